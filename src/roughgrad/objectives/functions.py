"""Objectives from plain functions, and the quadratic used to test every estimator."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.objectives.base import Objective


class FunctionObjective(Objective):
    """Wrap ``fn(params) -> scalar`` (it should be written with torch ops to be vmappable)."""

    def __init__(self, fn: Callable[[Params], Tensor]) -> None:
        self.fn = fn

    def __call__(self, params: Params) -> Tensor:
        return self.fn(params)


class Quadratic(Objective):
    """f(theta) = 1/2 (theta - c)^T A (theta - c) over one parameter "theta" of size d.

    Its gradient A (theta - c) is known exactly, so estimators are checked against it.
    """

    def __init__(self, dim: int, *, generator: torch.Generator, dtype=torch.float64) -> None:
        m = torch.randn(dim, dim, generator=generator, dtype=dtype)
        self.a = m @ m.T / dim + 0.5 * torch.eye(dim, dtype=dtype)  # SPD, eigenvalues >= 0.5
        self.c = torch.randn(dim, generator=generator, dtype=dtype)

    def __call__(self, params: Params) -> Tensor:
        d = params["theta"] - self.c
        return 0.5 * d @ (self.a @ d)

    def gradient(self, params: Params) -> Params:
        return {"theta": self.a @ (params["theta"] - self.c)}
