"""Neuron models behind one interface, in a registry keyed by the name configs use.

Adding a model is one file implementing [`NeuronModel`][roughgrad.neurons.models.base.NeuronModel]
plus one line here; ``tests/test_neuron_models.py`` runs its contract checks over ``NEURONS``.
"""

from roughgrad.neurons.models.base import NeuronModel
from roughgrad.neurons.models.hodgkin_huxley import HodgkinHuxley
from roughgrad.neurons.models.izhikevich import Izhikevich
from roughgrad.neurons.models.lif import LIF
from roughgrad.neurons.models.traub_miles import TraubMiles

NEURONS: dict[str, type[NeuronModel]] = {
    "hh": HodgkinHuxley,
    "lif": LIF,
    "izhikevich": Izhikevich,
    "traub-miles": TraubMiles,
}

__all__ = ["LIF", "NEURONS", "HodgkinHuxley", "Izhikevich", "NeuronModel", "TraubMiles"]
