"""The compile backend: torch.compile'd chunks of time steps, for the layered HH classifiers."""

from __future__ import annotations

from roughgrad.neurons.backends import layered as loops
from roughgrad.neurons.backends.base import Backend, Request, SimResult
from roughgrad.neurons.hh import SimulationError

REASON = "it runs the layered HH classifiers only (roughgrad.neurons.layered)"


class Compiled(Backend):
    name = "compile"
    summary = (
        "torch.compile'd chunks of steps: differentiable, 5-10x faster on a CPU once "
        "compiled (the first call of each shape compiles for 10-30 s)"
    )
    differentiable = True
    layered = ("hh",)

    def supports(self, request: Request) -> str | None:
        return REASON

    def run(self, request: Request) -> SimResult:
        raise SimulationError(f"backend 'compile' does not run this simulation: {REASON}")

    def run_layered(self, request: loops.LayeredRequest) -> loops.LayeredResult:
        if request.eager:  # recording and per-step noise: the torch backend's (HHNet.run)
            return super().run_layered(request)
        if request.layout == "hh-units":
            return loops.units_loop(request, loops.compiled(loops.advance_units))
        if request.layout == "hh" and not request.net.generic:
            return loops.hh_loop(request, loops.compiled(loops.advance))
        return super().run_layered(request)
