"""Why SGD on sin(f x) is unstable: the loss curvature at f* and the learning-rate limit.

For L(f) = E_x[(sin(f x) - sin(f* x))^2] with x ~ U[-X, X]:
    L''(f*) = 2 E[x^2 cos^2(f* x)] ~= X^2 / 3     (for f* X >> 1),
so gradient descent is stable near f* only for lr < 2 / L''(f*) ~= 6 / X^2 (6e-6 at X = 1000;
the write-up's lr 1e-4 is 17x too large). For A sin(f x + phase) the curvature is A^2 X^2 / 3 and
the limit 6 / (A^2 X^2); ``amplitude_bound`` reads a bound on A from the data alone. The basin
where -dL/df points at f* is |f - f*| < 4.49/X, the first minimum of sinc, because
L(f) ~= 1 - sinc((f - f*) X) near f*.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np

if TYPE_CHECKING:
    import torch

_A = TypeVar("_A", np.ndarray, "torch.Tensor")


class StabilityWarning(UserWarning):
    """A learning rate above the gradient-descent stability limit of a periodic loss."""


def frequency_curvature(
    x: np.ndarray, target_freq: float, amplitude: float = 1.0, phase: float = 0.0
) -> float:
    """L''(f*) = 2 A^2 mean(x^2 cos^2(f* x + phase)) of the regression loss of A sin(f x + phase).

    The other components of a mixture, fixed at their true values, do not change it.
    """
    x = np.asarray(x, dtype=np.float64)
    return float(2.0 * amplitude**2 * np.mean(x**2 * np.cos(target_freq * x + phase) ** 2))


def uniform_frequency_curvature(
    x_range: float, target_freq: float, amplitude: float = 1.0, phase: float = 0.0
) -> float:
    """``frequency_curvature`` for x ~ U[-X, X] in closed form:
    A^2 (X^2 / 3 + cos(2 phase) E[x^2 cos(2 f* x)]), which tends to A^2 X^2 / 3 for f* X >> 1."""
    k, big_x = 2.0 * target_freq, x_range
    if k * big_x < 1e-3:  # the series: E[x^2 cos(k x)] ~= X^2 / 3 - k^2 X^4 / 10
        osc = big_x**2 / 3 - k**2 * big_x**4 / 10
    else:
        osc = (
            big_x**2 * np.sin(k * big_x) / k
            + 2 * big_x * np.cos(k * big_x) / k**2
            - 2 * np.sin(k * big_x) / k**3
        ) / big_x
    return float(amplitude**2 * (big_x**2 / 3 + np.cos(2 * phase) * osc))


def frequency_std_bound(amplitude: float, noise_std: float, x: np.ndarray) -> float:
    """Cramer-Rao bound on the std of a frequency estimate: sigma sqrt(2) / (A sqrt(sum xc^2)).

    For one sine A sin(f x + phase) in white noise of std sigma with unknown amplitude and phase;
    for x ~ U[-X, X] it is sigma sqrt(6) / (A X sqrt(n)). Well-separated components of a
    mixture have (nearly) the same bound each.
    """
    x = np.asarray(x, dtype=np.float64)
    return float(noise_std * np.sqrt(2.0) / (amplitude * np.sqrt(np.sum((x - x.mean()) ** 2))))


@overload
def sgd_lr_limit(x_range: float, amplitude: float = 1.0) -> float: ...
@overload
def sgd_lr_limit(x_range: float, amplitude: _A) -> _A: ...
def sgd_lr_limit(x_range: float, amplitude: Any = 1.0) -> Any:
    """The stability limit 2 / L''(f*) ~= 6 / (A^2 X^2) for x ~ U[-X, X] and amplitude A (a
    number, or an array or tensor of amplitudes, one limit each)."""
    return 6.0 / (amplitude**2 * x_range**2)


def amplitude_bound(y: np.ndarray) -> float:
    """sqrt(2 mean(y^2)): from the samples alone, a bound on the amplitude of every sine in y
    (and on sqrt(sum A_k^2) of a mixture of well-separated sines plus noise, since
    mean(y^2) ~= sum A_k^2 / 2 + noise variance) when the samples span many cycles. The
    stability limit at this amplitude is then below the true one, so a learning rate set from
    it is stable without knowing A."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0 or not np.isfinite(y).all():
        raise ValueError(f"amplitude_bound needs finite samples, got {y.size} values")
    return float(np.sqrt(2.0 * np.mean(y**2)))


def basin_half_width(x_range: float) -> float:
    """|f - f*| below which the population gradient points at f*: 4.4934 / X."""
    return 4.493409457909064 / x_range


def check_frequency_lr(lr: float, x_range: float, *, stacklevel: int = 2) -> bool:
    """Warn (StabilityWarning) and return False when ``lr`` exceeds the stability limit."""
    limit = sgd_lr_limit(x_range)
    if lr > limit:
        warnings.warn(
            f"lr={lr:g} exceeds the gradient-descent stability limit 6/X^2 = {limit:.3g} of a "
            f"sin(f x) loss with |x| <= {x_range:g}: SGD diverges even next to the answer",
            StabilityWarning,
            stacklevel=stacklevel,
        )
        return False
    return True
