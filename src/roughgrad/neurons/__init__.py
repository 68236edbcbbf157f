"""Neurons: models behind one interface (NEURONS: Hodgkin-Huxley, LIF, Izhikevich), the HH
vector field and integrators, and the batched network simulator simulate()."""

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
from roughgrad.neurons.models import LIF, NEURONS, HodgkinHuxley, Izhikevich, NeuronModel
from roughgrad.neurons.networks import chain, complete_graph, feedforward
from roughgrad.neurons.simulate import LIFParams, SimResult, simulate

__all__ = [
    "LIF",
    "MAX_DT",
    "NEURONS",
    "HHParams",
    "HodgkinHuxley",
    "Izhikevich",
    "LIFParams",
    "NeuronModel",
    "SimResult",
    "SimulationError",
    "chain",
    "check_dt",
    "complete_graph",
    "feedforward",
    "linexp",
    "rates",
    "resting_state",
    "simulate",
    "step",
]
