"""The sin-frequency fits: the target, gradient training of f, the spectral fit, the lr sweep."""

from __future__ import annotations

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


def _train(
    freq: torch.Tensor,
    config: Config,
    gen: torch.Generator,
    ctx: Context,
    *,
    method: str,
    lr: float,
    curriculum: bool = False,
    smoothing: bool = False,
    target: torch.Tensor | None = None,
    label: str = "",
):
    """Train frequencies (n, K) side by side with SGD or Adam on fresh minibatches.

    ``target`` (n, K): each row's own target frequencies (default: the configured ones).
    ``curriculum``: the input range grows from ``Config.curriculum``'s start, with lr at
    half the stability limit of the current range. ``smoothing``: the gradient is taken at
    f + sigma_t eps (eps ~ N(0, 1) per row and step), a one-sample estimate of the gradient of
    the Gaussian-smoothed loss, with sigma_t annealed linearly from ``smoothing_sigma`` to 0
    over the first half of the steps.

    Amplitudes and phases are fixed at the truth. The gradient of the per-init MSE is written
    out, dL/df_k = mean_b 2 err a_k cos(f_k x + p_k) x (what autograd gives; a test checks it):
    the loop runs up to 10^6 tiny steps, where autograd's per-step overhead would dominate.
    Adam is the elementwise textbook update (betas 0.9, 0.999, eps 1e-8).
    Returns final freqs, windowed losses (n, L) and frequency trajectories (n, L, K).
    """
    n, k = freq.shape
    sines = _sines(config, freq)  # built once: the loop below runs up to 10^6 steps
    _, a, p = sines
    if target is not None:
        sines = (target[:, None, :], a, p)
    r0, every = config.curriculum()
    sigma0 = config.smoothing_sigma or config.max_freq / 4
    m, v = torch.zeros_like(freq), torch.zeros_like(freq)
    n_logs = config.steps // config.log_every
    losses = freq.new_zeros(n, n_logs)
    traj = freq.new_zeros(n, n_logs, k)
    step = 0
    for j in ctx.progress.track(range(n_logs), total=n_logs, description=label or method):
        for _ in range(config.log_every):
            r, lr_t = config.x_range, lr
            if curriculum:  # range grows geometrically; lr stays at half the stability limit
                r = min(config.x_range, r0 * config.curriculum_growth ** (step // every))
                lr_t = 0.5 * sgd_lr_limit(r)
            x = (
                torch.rand(
                    n, config.batch_size, generator=gen, dtype=freq.dtype, device=freq.device
                )
                * 2
                - 1
            ) * r  # (n, B)
            y = _target(config, x, gen, sines)
            at = freq
            if smoothing:
                sigma = sigma0 * max(0.0, 1 - 2 * step / config.steps)
                eps = torch.randn(freq.shape, generator=gen, dtype=freq.dtype, device=freq.device)
                at = freq + sigma * eps
            phase = x[..., None] * at[:, None, :] + p  # (n, B, K)
            err = (a * torch.sin(phase)).sum(-1) - y  # (n, B)
            losses[:, j] += (err**2).mean(1) / config.log_every
            grad = (2 * err[..., None] * a * torch.cos(phase) * x[..., None]).mean(1)  # (n, K)
            step += 1
            if method == "adam":
                m = 0.9 * m + 0.1 * grad
                v = 0.999 * v + 0.001 * grad**2
                grad = (m / (1 - 0.9**step)) / ((v / (1 - 0.999**step)).sqrt() + 1e-8)
            freq = freq - lr_t * grad
            freq = torch.nan_to_num(freq, nan=0.0, posinf=0.0, neginf=0.0)  # diverged: reset
        traj[:, j] = freq
    return freq, losses, traj


def _recovered(
    freq: torch.Tensor, config: Config, target: torch.Tensor | None = None
) -> torch.Tensor:
    """(n,) bool: every component's frequency within tolerance (matched in sorted order) of
    the configured target, or of each row's ``target`` (n, K)."""
    if target is None:
        target = torch.as_tensor(config.freqs(), dtype=freq.dtype, device=freq.device)
    return ((freq.sort(-1).values - target.sort(-1).values).abs() < config.tolerance).all(-1)


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


def _sweep(config: Config, gen: torch.Generator, rng: np.random.Generator, ctx: Context):
    """Recovery rate of every method at every f* of ``sweep_freqs``: {method: (F,)}.

    The gradient methods train all F x n_inits rows side by side, each row towards its own
    f*, from the same N(0, 1) starts, for the same ``steps``; the spectral fit runs per init on
    its own samples. SGD gets the curriculum's own lr rule at the full range (half the
    stability limit), not the write-up's diverging lr, so the two differ only in the range
    schedule."""
    fs = _swept(config)
    n, dev = config.n_inits, ctx.device
    targets = torch.stack([torch.as_tensor(replace(config, target_freq=f).freqs()) for f in fs]).to(
        dev
    )
    rows = targets.repeat_interleave(n, 0)  # (F n, K)
    f0 = torch.randn(rows.shape, generator=gen, dtype=torch.float64, device=dev)
    runs: dict[str, dict[str, Any]] = {
        "sgd": dict(method="sgd", lr=0.5 * sgd_lr_limit(config.x_range)),
        "adam": dict(method="adam", lr=config.adam_lr),
        "curriculum": dict(method="sgd", lr=0.0, curriculum=True),
        "smoothing": dict(method="adam", lr=config.adam_lr, smoothing=True),
    }
    rates = {}
    for name, kw in runs.items():
        final, _, _ = _train(f0, config, gen, ctx, target=rows, label=f"sweep: {name}", **kw)
        hit = _recovered(final, config, rows).double().reshape(len(fs), n)
        rates[name] = hit.mean(1).cpu().numpy()
    spectral = []
    for f in fs:
        one = replace(config, target_freq=f)
        rel_err, _ = _spectral(one, rng, ctx)
        xs = rng.uniform(-config.x_range, config.x_range, config.n_samples)
        spectral.append(_spectral_verdict(one, rel_err, xs)[0].mean())
    rates["spectral"] = np.array(spectral)
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
