"""Hodgkin-Huxley and LIF neurons: parameters, vector fields, integrators, batched simulate()."""

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
from roughgrad.neurons.networks import chain, complete_graph, feedforward
from roughgrad.neurons.simulate import LIFParams, SimResult, simulate

__all__ = [
    "MAX_DT",
    "HHParams",
    "LIFParams",
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
