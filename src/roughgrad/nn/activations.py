"""Periodic activations and the usual baselines, by registry name.

* Snake (Ziyin, Hartwig & Ueda 2020, "Neural Networks Fail to Learn Periodic Functions and How
  to Fix It"): x + sin^2(a x) / a. As a -> 0 it tends to x (sin^2(a x)/a ~ a x^2), so the
  division is replaced by its limit near a = 0 to keep value and gradient finite.
* SnakeB, the write-up 001 coefficient family: x + sin^2(a x) / b.
* Sine: sin(omega0 x) (SIREN, Sitzmann et al. 2020).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def snake(x: torch.Tensor, a: torch.Tensor | float) -> torch.Tensor:
    """x + sin^2(a x) / a, with the a -> 0 limit x + a x^2 used where |a| < 1e-6."""
    a = torch.as_tensor(a, dtype=x.dtype, device=x.device)
    small = a.abs() < 1e-6
    safe_a = torch.where(small, torch.ones_like(a), a)
    return x + torch.where(small, a * x * x, torch.sin(safe_a * x) ** 2 / safe_a)


class Snake(nn.Module):
    """Snake activation x + sin^2(a x)/a; ``a`` fixed or learnable, scalar or per feature.

    A learnable ``a`` is stored as log(a) so it stays positive (users of Snake implementations
    report NaNs when a crosses zero), and clamped to [a_min, a_max].
    """

    def __init__(
        self,
        a: float = 1.0,
        *,
        features: int | None = None,
        learnable: bool = False,
        a_min: float = 1e-3,
        a_max: float = 1e3,
    ) -> None:
        super().__init__()
        if a <= 0:
            raise ValueError(f"Snake needs a > 0, got a={a}")
        shape = (features,) if features else ()
        log_a = torch.full(shape, math.log(a))
        if learnable:
            self.log_a = nn.Parameter(log_a)
        else:
            self.register_buffer("log_a", log_a)
        self.a_min, self.a_max = a_min, a_max

    @property
    def a(self) -> torch.Tensor:
        return self.log_a.exp().clamp(self.a_min, self.a_max)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.a
        if self.a_min >= 1e-6:  # a is clamped away from 0: the direct form is safe and faster
            return x + torch.sin(a * x) ** 2 / a
        return snake(x, a)


class SnakeB(nn.Module):
    """x + sin^2(a x) / b (write-up 001, "Different coefficients 1/b sin(a x)"); a, b fixed."""

    def __init__(self, a: float = 1.0, b: float = 1.0) -> None:
        super().__init__()
        if b == 0:
            raise ValueError("SnakeB needs b != 0")
        # buffers, so that an Ensemble of members with different (a, b) stacks them
        self.register_buffer("a", torch.tensor(float(a)))
        self.register_buffer("b", torch.tensor(float(b)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.a, self.b
        assert isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)  # buffers
        return x + torch.sin(a * x) ** 2 / b


class Sine(nn.Module):
    """sin(omega0 x)."""

    def __init__(self, omega0: float = 1.0) -> None:
        super().__init__()
        self.omega0 = omega0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega0 * x)


ACTIVATIONS = {
    "relu": lambda **kw: nn.ReLU(),
    "tanh": lambda **kw: nn.Tanh(),
    "gelu": lambda **kw: nn.GELU(),
    "sigmoid": lambda **kw: nn.Sigmoid(),
    "sin": lambda omega0=1.0, **kw: Sine(omega0),
    "snake": lambda a=1.0, **kw: Snake(a, **kw),
    "snake_b": lambda a=1.0, b=1.0, **kw: SnakeB(a, b),
}
