"""The sin-frequency fits: the target, gradient training of f, the spectral fit, the lr sweep."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from roughgrad.experiments.base import (
    Context,
)
from roughgrad.experiments.sin_frequency.config import Config
from roughgrad.nn import SineSum
from roughgrad.periodic import (
    frequency_std_bound,
    refine,
    sgd_lr_limit,
    spectral_init,
)


def _sines(config: Config, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The target's (frequencies, amplitudes, phases) as (K,) tensors like ``like``."""
    return tuple(
        torch.as_tensor(v, dtype=like.dtype, device=like.device)
        for v in (config.freqs(), config.amps(), config.phases())
    )


def _target(
    config: Config, x: torch.Tensor, gen: torch.Generator, sines: tuple | None = None
) -> torch.Tensor:
    """Target values at x (..., B): sum of the configured sines plus noise. ``sines`` may hold
    per-row frequencies (n, 1, K) for x (n, B)."""
    f, a, p = sines if sines is not None else _sines(config, x)
    y = (a * torch.sin(x[..., None] * f + p)).sum(-1)  # (..., B)
    if config.noise:
        y = y + config.noise * torch.randn(x.shape, generator=gen, dtype=x.dtype, device=x.device)
    return y


def _data_scale(config: Config, gen: torch.Generator, sines: tuple, n: int) -> torch.Tensor:
    """(n, 1): each row's amplitude bound sqrt(2 mean(y^2)) (``amplitude_bound``) from
    ``n_samples`` samples of its own data over the full range: what sets the learning rates,
    in place of the true amplitudes."""
    f = sines[0]
    x = torch.rand(n, config.n_samples, generator=gen, dtype=f.dtype, device=f.device) * 2 - 1
    y = _target(config, x * config.x_range, gen, sines)
    return (2 * (y**2).mean(1, keepdim=True)).sqrt()


def _train(
    freq: torch.Tensor,
    config: Config,
    gen: torch.Generator,
    ctx: Context,
    *,
    method: str,
    lr: float | torch.Tensor,
    scale: torch.Tensor,
    coef: torch.Tensor | None = None,
    curriculum: bool = False,
    smoothing: bool = False,
    sines: tuple | None = None,
    label: str = "",
):
    """Train the model sum_k c_k1 sin(f_k x) + c_k2 cos(f_k x) side by side for n rows, with
    SGD or Adam on fresh minibatches: frequencies ``freq`` (n, K) and coefficients ``coef``
    (n, K, 2; default zero). The coefficients carry every amplitude and phase, learned with f:
    nothing of the answer but the number of components is given.

    ``lr``: the frequencies' learning rate (a float, or (n, 1) per row). ``scale`` (n, 1): each
    row's amplitude bound from its data (``_data_scale``). ``sines``: per-row targets, (n, 1, K)
    tensors of frequencies, amplitudes and phases (default: the configured target).
    ``curriculum``: the input range grows from ``Config.curriculum``'s start, with the
    frequencies' lr at half the stability limit 6 / (scale^2 r^2) of the current range r.
    ``smoothing``: the gradient is taken at f + sigma_t eps (eps ~ N(0, 1) per row and step), a
    one-sample estimate of the gradient of the Gaussian-smoothed loss, with sigma_t annealed
    linearly from ``smoothing_sigma`` to 0 over the first half of the steps. SGD moves the
    coefficients at lr 0.5 / K, half their stability limit (their curvature is at most 2K);
    Adam moves everything at its ``lr``.

    The gradients of the per-init MSE are written out (what autograd gives; a test checks it):
    the loop runs up to 10^6 tiny steps, where autograd's per-step overhead would dominate.
    Adam is the elementwise textbook update (betas 0.9, 0.999, eps 1e-8).
    Returns final freqs (n, K), coefficients (n, K, 2), windowed losses (n, L) and frequency
    trajectories (n, L, K).
    """
    n, k = freq.shape
    if sines is None:
        sines = tuple(v.expand(n, 1, k) for v in _sines(config, freq))
    c = freq.new_zeros(n, k, 2) if coef is None else coef.clone()
    r0, every = config.curriculum()
    sigma0 = config.smoothing_sigma or config.max_freq / 4
    lr_coef = 0.5 / k
    theta = torch.cat([freq[..., None], c], -1)  # (n, K, 3): f, c1, c2
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    n_logs = config.steps // config.log_every
    losses = freq.new_zeros(n, n_logs)
    traj = freq.new_zeros(n, n_logs, k)
    step = 0
    for j in ctx.progress.track(range(n_logs), total=n_logs, description=label or method):
        for _ in range(config.log_every):
            r, lr_t = config.x_range, lr
            if curriculum:  # range grows geometrically; lr stays at half the stability limit
                r = min(config.x_range, r0 * config.curriculum_growth ** (step // every))
                lr_t = 0.5 * sgd_lr_limit(r, scale)
            x = (
                torch.rand(
                    n, config.batch_size, generator=gen, dtype=freq.dtype, device=freq.device
                )
                * 2
                - 1
            ) * r  # (n, B)
            y = _target(config, x, gen, sines)
            at = theta[..., 0]
            if smoothing:
                sigma = sigma0 * max(0.0, 1 - 2 * step / config.steps)
                eps = torch.randn(at.shape, generator=gen, dtype=at.dtype, device=at.device)
                at = at + sigma * eps
            phase = x[..., None] * at[:, None, :]  # (n, B, K)
            sin, cos = torch.sin(phase), torch.cos(phase)
            c1, c2 = theta[:, None, :, 1], theta[:, None, :, 2]
            err = (c1 * sin + c2 * cos).sum(-1) - y  # (n, B)
            losses[:, j] += (err**2).mean(1) / config.log_every
            e2 = 2 * err[..., None]
            grad = torch.stack(
                [
                    (e2 * (c1 * cos - c2 * sin) * x[..., None]).mean(1),
                    (e2 * sin).mean(1),
                    (e2 * cos).mean(1),
                ],
                -1,
            )  # (n, K, 3)
            step += 1
            if method == "adam":
                m = 0.9 * m + 0.1 * grad
                v = 0.999 * v + 0.001 * grad**2
                grad = (m / (1 - 0.9**step)) / ((v / (1 - 0.999**step)).sqrt() + 1e-8)
                theta = theta - lr * grad
            else:  # lr_t: a float or (n, 1), per row
                theta[..., 0] -= lr_t * grad[..., 0]
                theta[..., 1:] -= lr_coef * grad[..., 1:]
            theta = torch.nan_to_num(theta, nan=0.0, posinf=0.0, neginf=0.0)  # diverged: reset
        traj[:, j] = theta[..., 0]
    return theta[..., 0], theta[..., 1:], losses, traj


def _recovered(
    freq: torch.Tensor, config: Config, target: torch.Tensor | None = None
) -> torch.Tensor:
    """(n,) bool: every component's |frequency| within tolerance (matched in sorted order) of
    the configured target, or of each row's ``target`` (n, K). The model with learned
    coefficients fits -f exactly as well as f (c1 sin(-f x) + c2 cos(-f x) = -c1 sin(f x) +
    c2 cos(f x)), so both count."""
    if target is None:
        target = torch.as_tensor(config.freqs(), dtype=freq.dtype, device=freq.device)
    return ((freq.abs().sort(-1).values - target.sort(-1).values).abs() < config.tolerance).all(-1)


def _spectral(config: Config, rng: np.random.Generator, ctx: Context):
    """Fit every init by spectral_init + L-BFGS refinement on its own noisy random samples."""
    k = len(config.freqs())
    rel_err, seconds = np.zeros((config.n_inits, k)), np.zeros(config.n_inits)
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    for i in ctx.progress.track(
        range(config.n_inits), total=config.n_inits, description="spectral fits"
    ):  # one independent fit per init
        x = torch.as_tensor(rng.uniform(-config.x_range, config.x_range, config.n_samples))
        y = _target(config, x, gen)
        start = time.process_time()
        model = SineSum(k).double()
        spectral_init(model, x, y, n_components=k, max_freq=config.max_freq)
        refine(model, x[:, None], y[:, None], max_iter=20)
        seconds[i] = time.process_time() - start
        est = np.sort(model.freq.detach().numpy())
        rel_err[i] = np.abs(est - np.sort(config.freqs())) / np.sort(config.freqs())
    return rel_err, seconds


def _spectral_verdict(config: Config, rel_err: np.ndarray, xs: np.ndarray):
    """(ok (n,), allowed (K,)): recovered when within 1e-6 relative, or within 5 Cramer-Rao
    standard deviations when noise sets the floor."""
    crlb = np.array(
        [
            frequency_std_bound(amp, config.noise, xs[: config.n_samples])
            for amp in np.array(config.amps())[np.argsort(config.freqs())]
        ]
    )
    allowed = np.maximum(1e-6, 5 * crlb / np.sort(config.freqs()))  # (K,) relative
    return (rel_err <= allowed).all(1), allowed


SWEEP_METHODS = ("sgd", "adam", "curriculum", "smoothing", "spectral")


def _sweep_axes(config: Config) -> tuple[tuple[float, ...], ...]:
    """The sweep's axes (f*, amplitudes, phases): the swept f* inside the prior range, and the
    swept amplitudes and phases (an empty axis: the configured value). The sweep covers their
    product."""
    return (
        _swept(config),
        config.sweep_amplitudes or (config.amplitude,),
        config.sweep_phases or (config.phase,),
    )


def _sweep(config: Config, gen: torch.Generator, rng: np.random.Generator, ctx: Context):
    """Recovery rate of every method at every sweep point: {method: (F, A, P)}.

    The gradient methods train all points x n_inits rows side by side, each row towards its
    own target (f*, amplitude, phase; the other components as configured), from the same
    N(0, 1) starts, for the same ``steps``, seeing only its data. The spectral fit runs per init
    on its own samples, at every f* and the configured amplitude and phase (it fits amplitudes
    and phases by least squares, so they do not move its recovery but through the SNR). SGD
    gets the curriculum's own lr rule at the full range (half the data's stability limit), not
    the write-up's diverging lr, so the two differ only in the range schedule."""
    axes = _sweep_axes(config)
    grid = list(itertools.product(*axes))
    n, dev, dt = config.n_inits, ctx.device, torch.float64
    rows = [replace(config, target_freq=f, amplitude=a, phase=p) for f, a, p in grid]
    sines = tuple(
        torch.stack([torch.as_tensor(v, dtype=dt) for v in vals])
        .to(dev)
        .repeat_interleave(n, 0)[:, None, :]
        for vals in zip(*[(c.freqs(), c.amps(), c.phases()) for c in rows], strict=True)
    )  # 3 x (G n, 1, K)
    targets = sines[0][:, 0]
    f0 = torch.randn(targets.shape, generator=gen, dtype=dt, device=dev)
    scale = _data_scale(config, gen, sines, len(targets))
    runs: dict[str, dict[str, Any]] = {
        "sgd": dict(method="sgd", lr=0.5 * sgd_lr_limit(config.x_range, scale)),
        "adam": dict(method="adam", lr=config.adam_lr),
        "curriculum": dict(method="sgd", lr=0.0, curriculum=True),
        "smoothing": dict(method="adam", lr=config.adam_lr, smoothing=True),
    }
    rates = {}
    for name, kw in runs.items():
        final, *_ = _train(
            f0, config, gen, ctx, scale=scale, sines=sines, label=f"sweep: {name}", **kw
        )
        hit = _recovered(final, config, targets).double().reshape(len(grid), n)
        rates[name] = hit.mean(1).cpu().numpy().reshape([len(a) for a in axes])
    spectral = []
    for f in axes[0]:
        one = replace(config, target_freq=f)
        rel_err, _ = _spectral(one, rng, ctx)
        xs = rng.uniform(-config.x_range, config.x_range, config.n_samples)
        spectral.append(_spectral_verdict(one, rel_err, xs)[0].mean())
    rates["spectral"] = np.broadcast_to(np.array(spectral)[:, None, None], rates["sgd"].shape)
    return rates


def _swept(config: Config) -> tuple[float, ...]:
    """The sweep's frequencies inside the prior range [0, max_freq)."""
    return tuple(f for f in config.sweep_freqs if f < config.max_freq)


def _recovers_up_to(fs: tuple[float, ...], rates: np.ndarray, bar: float = 0.9) -> float:
    """The largest swept f* up to which every swept f* is recovered at rate >= bar (0: none)."""
    order = np.argsort(fs)
    top = 0.0
    for i in order:
        if rates[i] < bar:
            break
        top = float(fs[i])
    return top
