"""Problems as pure functions of parameters (module + batch + criterion), with capabilities."""

from roughgrad.objectives.base import (
    Batched,
    NodePerturbable,
    Objective,
    Restricted,
    Stochastic,
    detached_params,
)
from roughgrad.objectives.distributed import Distributed, PopulationPool, distributed
from roughgrad.objectives.functions import FunctionObjective, Quadratic
from roughgrad.objectives.hh_classifier import HHClassifier, HHNet, hh_forward
from roughgrad.objectives.lif_classifier import LIFClassifier, LIFNet, lif_forward
from roughgrad.objectives.mlp import MLPObjective
from roughgrad.objectives.module import MinibatchObjective, ModuleObjective
from roughgrad.objectives.neuron import NeuronObjective
from roughgrad.objectives.recurrent import RecurrentPerturbable, RNNObjective
from roughgrad.objectives.spiking import SpikingNetObjective

__all__ = [
    "Batched",
    "Distributed",
    "FunctionObjective",
    "HHClassifier",
    "HHNet",
    "LIFClassifier",
    "LIFNet",
    "MLPObjective",
    "MinibatchObjective",
    "ModuleObjective",
    "NeuronObjective",
    "NodePerturbable",
    "Objective",
    "PopulationPool",
    "Quadratic",
    "RNNObjective",
    "RecurrentPerturbable",
    "Restricted",
    "SpikingNetObjective",
    "Stochastic",
    "detached_params",
    "distributed",
    "hh_forward",
    "lif_forward",
]
