"""Spectral initialisation: set a model's frequencies from a periodogram, then refine.

Gradient descent only finds a frequency from inside its basin, |f - f*| < 4.49 / x_max
(a few thousandths for x up to 1000). ``fit_sines`` lands there (usually at the answer to
within 1e-8 relative); ``refine`` then polishes every parameter by full-batch L-BFGS.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from roughgrad.nn.mlp import FourierFeatures, Modulated, PeriodicMLP, SineSum, SirenLayer
from roughgrad.periodic.estimate import SineFit, fit_sines, select_components


def spectral_init(
    module: nn.Module,
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    *,
    n_components: int = 1,
    max_freq: float,
) -> SineFit:
    """Estimate ``n_components`` sines in (x, y) and write them into ``module``'s frequencies.

    Supported modules: SineSum (frequency, amplitude, phase, offset), a SirenLayer with one
    input (row k of the weight and bias become f_k / omega0 and phase_k / omega0, so unit k
    computes sin(f_k x + phase_k)), FourierFeatures with one input (its first K frequencies).

    Returns:
        The SineFit that was written.
    """
    fit = fit_sines(_np(x), _np(y), n_components, max_freq=max_freq)
    with torch.no_grad():
        if isinstance(module, SineSum):
            _copy(module.freq, fit.freqs)
            _copy(module.amplitude, fit.amplitudes)
            _copy(module.phase, fit.phases)
            _copy(module.offset, np.array(fit.offset))
        elif isinstance(module, SirenLayer):
            _check_rows(module.linear.weight, n_components)
            w = module.linear.weight
            w[:n_components, 0] = torch.as_tensor(fit.freqs / module.omega0, dtype=w.dtype)
            b = module.linear.bias
            b[:n_components] = torch.as_tensor(fit.phases / module.omega0, dtype=b.dtype)
        elif isinstance(module, FourierFeatures):
            _check_rows(module.freqs, n_components)
            module.freqs[:n_components, 0] = torch.as_tensor(fit.freqs, dtype=module.freqs.dtype)
        else:
            raise TypeError(
                f"spectral_init supports SineSum, SirenLayer and FourierFeatures, not "
                f"{type(module).__name__}"
            )
    return fit


def spectral_model(
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    *,
    max_freq: float,
    n_components: int | str = "auto",
    max_components: int = 8,
    penalty: float = 1.0,
    hidden: tuple[int, ...] = (64, 64),
    envelope: bool = False,
    envelope_hidden: tuple[int, ...] = (64,),
) -> tuple[nn.Module, SineFit]:
    """A model whose periods are read off the training data, ready for gradient descent.

    The strongest frequencies of (x, y) become the Fourier features of a
    [`PeriodicMLP`][roughgrad.nn.mlp.PeriodicMLP] (with its linear skip path), which then
    extrapolates with exactly those periods. How many: ``n_components="auto"`` (the default) lets
    [`select_components`][roughgrad.periodic.estimate.select_components] choose K by BIC (up to
    ``max_components``, parameter cost scaled by ``penalty``); an integer fixes K. The skip path
    starts at the fitted sum of sines and the head's last layer at zero, so the untrained model
    already predicts the fit and training only adds what a sum of sines misses (a sawtooth's
    corners, say).

    With ``envelope=True`` the carrier is wrapped in [`Modulated`][roughgrad.nn.mlp.Modulated],
    whose log-envelope (a ReLU MLP of x / max|x|) continues linearly outside the data, so decaying
    or growing oscillations are followed. Initial weights come from torch's global generator.

    Returns:
        (model, fit): the float32 model and the SineFit whose frequencies it uses.
    """
    xs, ys = _np(x), _np(y)
    if n_components == "auto":
        fit = select_components(
            xs, ys, max_freq=max_freq, max_components=max_components, penalty=penalty
        ).fit
    elif isinstance(n_components, int) and n_components >= 1:
        fit = fit_sines(xs, ys, n_components, max_freq=max_freq)
    else:
        raise ValueError(f"n_components={n_components!r}: give 'auto' or an integer >= 1")
    carrier = PeriodicMLP(torch.as_tensor(fit.freqs, dtype=torch.float32), hidden, skip=True)
    _write_fit(carrier, fit)
    model: nn.Module = carrier
    if envelope:
        model = Modulated(carrier, envelope_hidden, scale=float(np.abs(xs).max()) or 1.0)
    return model, fit


def _write_fit(model: PeriodicMLP, fit: SineFit) -> None:
    """skip(f) = the fit's sum of sines; the head's last layer zero (so head(f) = 0)."""
    assert model.skip is not None
    k = len(fit.freqs)
    # a sin(w x + p) = a cos(p) sin(w x) + a sin(p) cos(w x); features are [sin, cos]
    weight = np.concatenate(
        [fit.amplitudes * np.cos(fit.phases), fit.amplitudes * np.sin(fit.phases)]
    )
    with torch.no_grad():
        model.skip.weight.copy_(torch.as_tensor(weight, dtype=torch.float32).reshape(1, 2 * k))
        model.skip.bias.fill_(fit.offset)
        last = model.head[-1]
        assert isinstance(last, nn.Linear)
        last.weight.zero_()
        last.bias.zero_()


def refine(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, max_iter: int = 50) -> float:
    """Full-batch L-BFGS on the MSE of ``model(x)`` against ``y``; returns the final loss."""
    opt = torch.optim.LBFGS(
        model.parameters(),
        lr=1.0,
        max_iter=max_iter,
        tolerance_grad=1e-14,
        tolerance_change=1e-16,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float(((model(x) - y) ** 2).mean())


def _np(v: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().double().numpy()
    return np.asarray(v, dtype=np.float64).ravel()


def _copy(target: torch.Tensor, values: np.ndarray) -> None:
    target.copy_(torch.as_tensor(values, dtype=target.dtype).reshape(target.shape))


def _check_rows(weight: torch.Tensor, k: int) -> None:
    if weight.shape[1] != 1 or weight.shape[0] < k:
        raise ValueError(
            f"spectral_init needs a 1-input layer with >= {k} units, "
            f"got weight {tuple(weight.shape)}"
        )
