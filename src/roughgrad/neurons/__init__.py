"""Neurons: models behind one interface (NEURONS: Hodgkin-Huxley, LIF, Izhikevich,
Traub-Miles), a frozen Network description (coupling, current or conductance synapses,
readout, noise), one simulate(model, network, inputs, ...) on the backends of BACKENDS, and
roughgrad.neurons.layered for input -> hidden -> output classifiers."""

from roughgrad.neurons.backends import BACKENDS, Backend, SimResult, SimState
from roughgrad.neurons.hh import (
    MAX_DT,
    HHParams,
    SimulationError,
    check_dt,
    linexp,
    rates,
    resting_state,
    step,
)
from roughgrad.neurons.layered import HHNet, LIFNet, hh_forward, lif_forward
from roughgrad.neurons.models import (
    LIF,
    NEURONS,
    HodgkinHuxley,
    Izhikevich,
    NeuronModel,
    TraubMiles,
)
from roughgrad.neurons.network import (
    ConductanceSynapse,
    CurrentSynapse,
    Network,
    Readout,
    SparseWeights,
    chain,
    complete_graph,
    feedforward,
    random_sparse,
)
from roughgrad.neurons.simulate import simulate

__all__ = [
    "BACKENDS",
    "LIF",
    "MAX_DT",
    "NEURONS",
    "Backend",
    "ConductanceSynapse",
    "CurrentSynapse",
    "HHNet",
    "HHParams",
    "HodgkinHuxley",
    "Izhikevich",
    "LIFNet",
    "Network",
    "NeuronModel",
    "Readout",
    "SimResult",
    "SimState",
    "SimulationError",
    "SparseWeights",
    "TraubMiles",
    "chain",
    "check_dt",
    "complete_graph",
    "feedforward",
    "hh_forward",
    "lif_forward",
    "linexp",
    "random_sparse",
    "rates",
    "resting_state",
    "simulate",
    "step",
]
