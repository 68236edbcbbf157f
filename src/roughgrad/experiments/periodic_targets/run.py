"""The periodic-targets run: every model and anchor on every target, the metrics and the claims."""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np

from roughgrad.data import SignalSplit
from roughgrad.data.series import SERIES, forecast_split, load_series
from roughgrad.experiments.base import (
    Claim,
    Context,
    Outcome,
)
from roughgrad.experiments.periodic_targets.config import (
    ANCHORS,
    FORECASTS,
    MAX_FREQ,
    TRAINED,
    TREND,
    Config,
)
from roughgrad.experiments.snake.common import (
    Fitted,
    fit_models,
    make_split,
)
from roughgrad.nn.mlp import PeriodicMLP
from roughgrad.periodic import (
    SinesAR,
    choose_ar_order,
    dominant_period,
    fit_ar,
    fit_sines,
    seasonal_naive,
)
from roughgrad.periodic.estimate import ComponentSelection, select_components


def _split(target: str, config: Config) -> tuple[SignalSplit, float]:
    """The target's data and the highest frequency searched on it."""
    if target in SERIES:
        x, y = load_series(target)
        return forecast_split(x, y, trend_degree=TREND[target]), MAX_FREQ[target]
    return make_split(config, reverse=False, signal=target, noise=config.noise), config.max_freq


def _gp(split: SignalSplit, config: Config) -> np.ndarray:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, ExpSineSquared, WhiteKernel

    train = split.train[:: max(1, int(np.ceil(len(split.train) / config.gp_max_points)))]
    x = split.x[train, None]
    dx = float(np.min(np.diff(np.sort(split.x[split.train]))))
    span = float(np.ptp(split.x[split.train]))
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * ExpSineSquared(
        1.0, span / 10, length_scale_bounds=(1e-2, 1e2), periodicity_bounds=(2 * dx, span)
    ) + WhiteKernel(1e-2, (1e-8, 1.0))
    gp = GaussianProcessRegressor(
        kernel,
        normalize_y=True,
        n_restarts_optimizer=config.gp_restarts,
        random_state=config.seed,
    )
    with warnings.catch_warnings():  # a bound reached is a result here, not a problem
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(x, split.y[train])
    return gp.predict(split.x[:, None])


def _anchor(
    name: str, split: SignalSplit, max_freq: float, sel: ComponentSelection, config: Config
) -> np.ndarray:
    """(n_points,) prediction of an untrained model on the whole grid."""
    x, y = split.x[split.train], split.y[split.train]
    if name == "sines":
        return sel.fit.predict(split.x)
    if name == "lomb_scargle":
        return fit_sines(x, y, 1, max_freq=max_freq).predict(split.x)
    return _gp(split, config)


def _forecast(
    name: str, split: SignalSplit, max_freq: float, config: Config
) -> tuple[np.ndarray, dict[str, Any]]:
    """(held-out prediction, what the data chose) of a forecast from the training series' end.

    Every choice is made on the training part: the cycle of seasonal naive is the strongest
    periodogram peak, rounded to whole samples; the AR orders are chosen on its last 20% (AR:
    for the forecast's own lead time, as trend + sines + AR chooses its parts; AR one step:
    for one step ahead, the textbook criterion), up to two of those cycles and a quarter of
    the series, or ``max_ar_order``."""
    x, y = split.x[split.train], split.y[split.train]
    horizon = len(split.test)
    cycle = dominant_period(x, y, max_freq=max_freq)
    cap = int(min(config.max_ar_order, 2 * cycle, len(y) / 4))
    if name == "seasonal_naive":
        period = max(1, round(cycle))
        return seasonal_naive(y, period, horizon), {"period_samples": period}
    if name in ("ar", "ar_one_step"):
        order, _ = choose_ar_order(y, cap, horizon=1 if name == "ar_one_step" else horizon)
        return fit_ar(y, order).forecast(y, horizon), {"order": order}
    model = SinesAR(max_freq=max_freq, horizon=horizon, max_order=cap).fit(x, y)
    assert model.sines is not None and model.ar is not None
    chosen = {
        "components": len(model.sines.freqs),
        "residual": model.residual_kind,
        "order": model.ar.order,
    }
    return model.predict(split.x[split.test]), chosen


def run(config: Config, ctx: Context) -> Outcome:
    trained = [m for m in config.models if m in TRAINED]
    anchors = [m for m in config.models if m in ANCHORS]
    forecasts = [m for m in config.models if m in FORECASTS]
    mse: dict[str, dict[str, float]] = {}
    metrics: dict[str, Any] = {}
    arrays: dict[str, Any] = {}
    for target in config.targets:
        split, max_freq = _split(target, config)
        cfg = dataclasses.replace(config, max_freq=max_freq)
        truth = split.target
        fits = fit_models(cfg, split, trained, ctx, prefix=f"{target}/")
        mse[target] = {m: float(np.median(f.test_mse)) for m, f in fits.items()}
        arrays[f"{target}_x"], arrays[f"{target}_y"] = split.x, truth
        arrays[f"{target}_train"] = split.train
        for m, f in fits.items():
            arrays[f"{target}_pred_{m}"] = f.pred[0]
            metrics[f"{target}_test_mse_{m}_per_seed"] = [float(v) for v in f.test_mse]
            metrics[f"{target}_lr_{m}"] = f.lr
        sel = select_components(
            split.x[split.train],
            split.y[split.train],
            max_freq=max_freq,
            max_components=config.max_components,
            penalty=config.bic_penalty,
        )
        for m in anchors:
            start = time.perf_counter()
            pred = _anchor(m, split, max_freq, sel, config)
            mse[target][m] = float(np.mean((pred[split.test] - truth[split.test]) ** 2))
            arrays[f"{target}_pred_{m}"] = pred
            metrics[f"{target}_seconds_{m}"] = round(time.perf_counter() - start, 2)
        if target in SERIES:
            for m in forecasts:
                start = time.perf_counter()
                held_out, chosen = _forecast(m, split, max_freq, config)
                mse[target][m] = float(np.mean((held_out - truth[split.test]) ** 2))
                pred = np.full(len(split.x), np.nan)
                pred[split.test] = held_out
                arrays[f"{target}_pred_{m}"] = pred
                metrics[f"{target}_seconds_{m}"] = round(time.perf_counter() - start, 2)
                for key, value in chosen.items():
                    metrics[f"{target}_{m}_{key}"] = value
        # the spectral model chose its sines on the training points less validation; the
        # anchor "sines" on all of them: report each one's own K
        used = _sines_used(fits["spectral"]) if "spectral" in fits else sel.fit.freqs
        metrics[f"{target}_components"] = len(used)
        metrics[f"{target}_freqs"] = [round(float(w), 6) for w in used]
        metrics[f"{target}_components_sines"] = sel.n_components
        metrics[f"{target}_zero_predictor_mse"] = float(np.mean(truth[split.test] ** 2))
        for m, v in mse[target].items():
            metrics[f"{target}_test_mse_{m}"] = v
        if target in SERIES:  # who forecasts the real series best, predicting 0 included
            scores = {**mse[target], "zero": metrics[f"{target}_zero_predictor_mse"]}
            metrics[f"{target}_winner"] = min(scores, key=lambda m: scores[m])
        ctx.progress.log(
            f"{target}: K = {sel.n_components}; "
            + ", ".join(f"{m} {v:.3g}" for m, v in mse[target].items())
        )
    models = [*trained, *anchors, *forecasts]
    arrays["targets"] = np.array(config.targets)
    arrays["models"] = np.array(models)
    arrays["mse"] = np.array([[mse[t].get(m, np.nan) for m in models] for t in config.targets])
    return Outcome(metrics, _claims(mse, metrics, config), arrays)


def _sines_used(fitted: Fitted) -> np.ndarray:
    """The frequencies of a trained spectral model's Fourier features (its first member's)."""
    model = fitted.ensemble.member(0)
    assert isinstance(model, PeriodicMLP)
    return model.features.freqs[:, 0].cpu().numpy()


def _claims(mse: dict, metrics: dict, config: Config) -> list[Claim]:
    claims = []
    budget = (
        f"{config.steps} Adam steps, lr over {list(config.lrs)} on validation, "
        f"{config.seeds} seed(s), median"
    )
    for target, bound, name in (
        ("mixture", 1e-3, "auto_fits_mixture"),
        ("sawtooth", 1e-2, "auto_fits_sawtooth"),
    ):
        if target in mse and "spectral" in mse[target]:
            v = mse[target]["spectral"]
            claims.append(
                Claim(
                    name,
                    v <= bound,
                    f"{target}: spectral (components={config.components}, K = "
                    f"{metrics[f'{target}_components']}) held-out MSE {v:.3g} (bound {bound:g}); "
                    + ", ".join(f"{m} {u:.3g}" for m, u in mse[target].items() if m != "spectral")
                    + f"; {budget}",
                )
            )
    if "noisy" in mse and {"spectral", "spectral_k1"} <= set(mse["noisy"]):
        auto, one = mse["noisy"]["spectral"], mse["noisy"]["spectral_k1"]
        zero = metrics["noisy_zero_predictor_mse"]
        # no worse than K = 1, and better than predicting 0: two models that both fail do
        # not make BIC's choice right
        claims.append(
            Claim(
                "auto_ignores_noise",
                auto <= 1.1 * one and auto < zero,
                f"sin(x) + N(0, {config.noise:g}^2): spectral with K = "
                f"{metrics['noisy_components']} (components={config.components}, bic_penalty "
                f"{config.bic_penalty:g}) {auto:.3g} vs K = 1 {one:.3g} and predicting 0 "
                f"{zero:.3g} (against the noise-free sin x); {budget}",
            )
        )
    return claims
