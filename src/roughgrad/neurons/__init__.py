"""Neurons: models behind one interface (NEURONS: Hodgkin-Huxley, LIF, Izhikevich), the HH
vector field and integrators, and the batched simulators: simulate() for recurrent
populations, roughgrad.neurons.layered for input -> hidden -> output classifiers, both on the
backends of BACKENDS."""

from roughgrad.neurons.backends import BACKENDS, Backend
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
from roughgrad.neurons.models import LIF, NEURONS, HodgkinHuxley, Izhikevich, NeuronModel
from roughgrad.neurons.networks import chain, complete_graph, feedforward
from roughgrad.neurons.simulate import LIFParams, SimResult, simulate

__all__ = [
    "BACKENDS",
    "LIF",
    "MAX_DT",
    "NEURONS",
    "Backend",
    "HHNet",
    "HHParams",
    "HodgkinHuxley",
    "Izhikevich",
    "LIFNet",
    "LIFParams",
    "NeuronModel",
    "SimResult",
    "SimulationError",
    "chain",
    "check_dt",
    "complete_graph",
    "feedforward",
    "hh_forward",
    "lif_forward",
    "linexp",
    "rates",
    "resting_state",
    "simulate",
    "step",
]
