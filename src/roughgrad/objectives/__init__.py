"""Problems as pure functions of parameters (module + batch + criterion), with capabilities."""

from roughgrad.objectives.base import NodePerturbable, Objective
from roughgrad.objectives.functions import FunctionObjective, Quadratic
from roughgrad.objectives.module import ModuleObjective

__all__ = ["FunctionObjective", "ModuleObjective", "NodePerturbable", "Objective", "Quadratic"]
