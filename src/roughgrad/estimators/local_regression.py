"""Local linear regression of sampled losses: write-up 003's "regression method".

Sample S perturbations delta_s ~ N(0, sigma^2 I) around theta, evaluate f_s = f(theta + delta_s),
fit f_s ~ c + g . delta_s by least squares; the slope g estimates the gradient. With S < D the
minimum-norm solution is used (the write-up found S must reach the number of parameters on a linear
model). That solution is the projection of the gradient onto the S - 1 centred directions, so on
average it is shrunk to (S - 1) / D of the gradient (measured on a linear f with D = 8: 0.38 at
S = 4, 0.63 at S = 6); ``rescale=True`` multiplies it by D / (S - 1), which makes the slope's
mean the gradient (the direction, and so the cosine with the gradient, is unchanged).

``groups="separate"`` perturbs one parameter tensor at a time with S samples each (the write-up:
"changing weights in all layers at once with noise gives bad results"); alternating layers across
training steps is done by passing only that layer's parameters.

Also ``kneighbour_slope``, the write-up's 1-D form: the slope of a sampled loss curve at each point
from a straight-line fit to its k neighbours on each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.estimators._perturb import flatten, normal_like, unflatten
from roughgrad.estimators.base import Estimate, Estimator
from roughgrad.objectives.base import Objective


@dataclass(frozen=True)
class LocalRegression(Estimator):
    """Least-squares slope of f over S Gaussian perturbations of std sigma.

    Args:
        sigma: perturbation std; num_samples: S per group; groups: "joint" (all parameters in
            one regression) or "separate" (one regression per parameter tensor, S each);
        ridge: optional L2 penalty on the slope (0: minimum-norm least squares);
        rescale: with S - 1 < D, scale the minimum-norm slope by D / (S - 1) (see the module
            docstring), so that its expectation is the gradient rather than (S - 1) / D of it.
    """

    sigma: float = 0.01
    num_samples: int = 100
    groups: Literal["joint", "separate"] = "joint"
    ridge: float = 0.0
    rescale: bool = False
    chunk_size: int | None = 1024

    def __post_init__(self) -> None:
        if self.sigma <= 0 or self.num_samples < 2 or self.ridge < 0:
            raise ValueError("LocalRegression needs sigma > 0, num_samples >= 2, ridge >= 0")

    def _estimate(
        self, objective: Objective, params: Params, generator: torch.Generator
    ) -> Estimate:
        groups = [list(params)] if self.groups == "joint" else [[k] for k in params]
        grad: Params = {}
        for names in groups:  # one regression per group, each with its own S samples
            sub = {k: params[k] for k in names}
            deltas = {
                k: self.sigma * v for k, v in normal_like(sub, self.num_samples, generator).items()
            }
            f = objective.population(params, deltas, chunk_size=self.chunk_size)  # (S,)
            slope = regression_slope(flatten(deltas), f, self.ridge)
            d = slope.numel()
            if self.rescale and self.num_samples - 1 < d:
                slope = slope * (d / (self.num_samples - 1))
            grad.update(unflatten(slope, sub))
        return Estimate(grad, num_evals=self.num_samples * len(groups))


def regression_slope(x: Tensor, f: Tensor, ridge: float = 0.0) -> Tensor:
    """Slope g of the least-squares fit f ~ c + x g; x (S, D), f (S,) -> (D,).

    Centring removes the intercept; the (min-norm) solution is computed in the smaller of the
    two Gram spaces: (S x S) when S < D, so it is cheap for D in the hundreds of thousands.
    """
    xc = (x - x.mean(0)).double()
    fc = (f - f.mean()).double()
    s, d = xc.shape
    if not torch.isfinite(fc).all():  # NaN in, NaN out, as the other estimators (LAPACK aborts)
        return torch.full((d,), float("nan"), dtype=x.dtype, device=x.device)
    if s <= d:
        gram = xc @ xc.T + ridge * torch.eye(s, dtype=xc.dtype, device=xc.device)  # (S, S)
        # centring leaves one exactly-zero eigenvalue that rounding makes ~1e-15 of the largest:
        # the default cut-off (S * eps) can keep it, and 1 / it then multiplies the noise
        # (measured: relative error 100 instead of ~1 at S = 10 on an MLP's loss)
        coef = torch.linalg.lstsq(
            gram, fc[:, None], rcond=1e-10, driver="gelsd" if xc.is_cpu else None
        )
        return (xc.T @ coef.solution[:, 0]).to(x.dtype)
    gram = xc.T @ xc + ridge * torch.eye(d, dtype=xc.dtype, device=xc.device)  # (D, D)
    return (
        torch.linalg.lstsq(gram, (xc.T @ fc)[:, None], driver="gelsd" if xc.is_cpu else None)
        .solution[:, 0]
        .to(x.dtype)
    )


def kneighbour_slope(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Slope at each point of a sampled curve from a line fit to its k neighbours each side.

    At the ends the window is truncated. x must be sorted. (Write-up 003: 10 neighbours per side
    turned a stuck finite-difference descent into a converging one.)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    # windowed sums via cumulative sums: slope = cov(x, y) / var(x) over each window
    n = len(x)
    lo = np.clip(np.arange(n) - k, 0, n)
    hi = np.clip(np.arange(n) + k + 1, 0, n)
    cs = {
        name: np.r_[0.0, np.cumsum(v)]
        for name, v in {"x": x, "y": y, "xx": x * x, "xy": x * y}.items()
    }
    m = hi - lo
    sx, sy = cs["x"][hi] - cs["x"][lo], cs["y"][hi] - cs["y"][lo]
    sxx, sxy = cs["xx"][hi] - cs["xx"][lo], cs["xy"][hi] - cs["xy"][lo]
    return (sxy - sx * sy / m) / np.maximum(sxx - sx * sx / m, 1e-300)
