"""Forecasting a regularly sampled series: the simple forecasts a periodic model must beat, and
a periodic model that uses them.

A forecast continues the training series for ``horizon`` steps after its last sample, with no
look at what follows (a multi-step, "dynamic" forecast: an autoregressive model feeds its own
predictions back). Everything here reads its settings off the training data:

* ``seasonal_naive``: repeat the last cycle; the cycle length in samples comes from the
  strongest periodogram peak (``dominant_period``) unless given.
* ``ARModel`` / ``fit_ar`` / ``choose_ar_order``: y_t = c + sum_i phi_i y_{t-i} by least
  squares, the order chosen by the error of forecasts of the lead time it is for over the last
  ``val_fraction`` of the training series (fitted on the rest), then refitted on all of it.
* ``SinesAR``: a polynomial trend plus K sines plus a forecast of what they leave: an AR model
  (reverting to the residual's mean: near the data it carries the local level and phase that
  fixed sines cannot) or the residual's level over its last cycle, persisting (for a trend
  that drifts from the fitted one). K, the residual's model and the AR order are chosen the
  same way, on a validation tail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roughgrad.periodic.estimate import SineFit, fit_sines


def _regular_step(x: np.ndarray) -> float:
    """The median sample spacing of ``x`` (which must increase)."""
    dx = np.diff(np.asarray(x, dtype=np.float64))
    if len(dx) == 0 or (dx <= 0).any():
        raise ValueError("a forecast needs at least two samples at increasing x")
    return float(np.median(dx))


def dominant_period(x: np.ndarray, y: np.ndarray, *, max_freq: float) -> float:
    """The period of the strongest sinusoid in (x, y), in samples (not rounded)."""
    fit = fit_sines(x, y, 1, max_freq=max_freq)
    return float(2 * np.pi / fit.freqs[0] / _regular_step(x))


def seasonal_naive(y: np.ndarray, period: int, horizon: int) -> np.ndarray:
    """(horizon,) the last ``period`` samples of ``y`` repeated."""
    y = np.asarray(y, dtype=np.float64)
    if not 1 <= period <= len(y):
        raise ValueError(f"period={period} must lie in [1, {len(y)}] (the series' length)")
    last = y[-period:]
    return last[np.arange(horizon) % period]


@dataclass(frozen=True)
class ARModel:
    """y_t = intercept + sum_i coef[i] y_{t-1-i}: ``coef[0]`` weighs the latest sample."""

    coef: np.ndarray
    intercept: float

    @property
    def order(self) -> int:
        return len(self.coef)

    def forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """(horizon,) predictions after ``history``, each fed back as the next input."""
        return self.forecast_many(np.asarray(history, dtype=np.float64)[None], horizon)[0]

    def forecast_many(self, histories: np.ndarray, horizon: int) -> np.ndarray:
        """(n, horizon) forecasts after each row of ``histories`` (n, >= order), all rows
        advanced together: one small matrix product per step, not one loop per row."""
        p = self.order
        if histories.shape[1] < p:
            raise ValueError(
                f"an AR({p}) forecast needs {p} samples of history, got {histories.shape[1]}"
            )
        buf = histories[:, histories.shape[1] - p :][:, ::-1].copy()  # latest first
        out = np.empty((len(histories), horizon))
        for h in range(horizon):  # sequential by nature: each step needs the previous one
            out[:, h] = self.intercept + buf @ self.coef
            if p:
                buf = np.concatenate([out[:, h : h + 1], buf[:, :-1]], axis=1)
        return out


def _lag_design(y: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """(design (n - order, 1 + order): an intercept column then the lags, latest first;
    targets (n - order,)): the least-squares problem of an AR(``order``) on ``y``."""
    rows = np.lib.stride_tricks.sliding_window_view(y, order + 1)  # oldest first
    design = np.concatenate([np.ones((len(rows), 1)), rows[:, :-1][:, ::-1]], axis=1)
    return design, rows[:, -1]


def _solve_ar(gram: np.ndarray, rhs: np.ndarray, order: int, ridge: float) -> ARModel:
    """The AR(``order``) whose normal equations are the leading block of (gram, rhs)."""
    k = order + 1
    theta = np.linalg.solve(gram[:k, :k] + ridge * np.eye(k), rhs[:k])
    return ARModel(theta[1:], float(theta[0]))


def fit_ar(y: np.ndarray, order: int, ridge: float = 1e-8) -> ARModel:
    """Least-squares AR(``order``) with an intercept (a tiny ridge keeps it well posed)."""
    y = np.asarray(y, dtype=np.float64)
    if order < 0 or len(y) < 2 * order + 2:
        raise ValueError(f"AR({order}) needs at least {2 * order + 2} samples, got {len(y)}")
    if order == 0:
        return ARModel(np.zeros(0), float(y.mean()))
    design, target = _lag_design(y, order)
    return _solve_ar(design.T @ design, design.T @ target, order, ridge * len(y))


def choose_ar_order(
    y: np.ndarray, max_order: int, *, val_fraction: float = 0.2, horizon: int = 1
) -> tuple[int, dict[int, float]]:
    """The AR order that forecasts the last ``val_fraction`` of ``y`` best, fitted on the rest:
    (order, {order: validation MSE}).

    Forecasts of ``horizon`` steps start from origins spread over the validation tail (every
    ``horizon // 2`` steps, each from all the data before it) and the squared errors of all of
    them are averaged, so the order is chosen for the lead time it will be used at (one step:
    the usual one-step-ahead criterion).
    """
    y = np.asarray(y, dtype=np.float64)
    n_val = max(1, round(len(y) * val_fraction))
    n_fit = len(y) - n_val
    horizon = max(1, min(horizon, n_val))
    # One design of the largest order on a common sample: every order's normal equations are
    # a block of its Gram matrix (as statsmodels' order selection does).
    top = min(max_order, (n_fit - 2) // 2)
    if top < 0:
        raise ValueError(f"{len(y)} samples are too few to choose an AR order")
    design, target = _lag_design(y[:n_fit], top)
    gram, rhs = design.T @ design, design.T @ target
    # every origin's forecast at once: histories (origins, top), truths (origins, horizon)
    starts = np.arange(n_fit, len(y), max(1, horizon // 2))
    histories = np.stack([y[o - top : o] for o in starts]) if top else np.zeros((len(starts), 0))
    ahead = starts[:, None] + np.arange(horizon)[None]
    inside = ahead < len(y)  # the last origins' forecasts run past the series
    truth = y[np.minimum(ahead, len(y) - 1)]
    scores: dict[int, float] = {}
    for p in range(0, top + 1):
        model = _solve_ar(gram, rhs, p, 1e-8 * n_fit)
        errors = model.forecast_many(histories, horizon) - truth
        scores[p] = float(np.mean(errors[inside] ** 2))
    best = min(scores, key=lambda p: scores[p])
    return best, scores


@dataclass
class SinesAR:
    """Trend + K sines + an AR model of the residual; see the module docstring.

    K (0 to ``max_components``: 0 is a trend plus AR) and the AR order are chosen on the last
    ``val_fraction`` of the training series: every K is fitted on the rest, its AR order chosen
    there, and the whole model's forecasts over the validation tail (``horizon`` steps, from
    origins spread over it) are scored; the best K is refitted on all the training data. The
    frequencies are the K strongest periodogram peaks refined by least squares (``fit_sines``),
    each completing at least ``min_cycles`` cycles in the span.

    Args:
        max_freq: the highest frequency the sines may have (rad per unit x).
        max_components: the most sines tried.
        trend_degree: the polynomial trend fitted first (0: a constant).
        max_order: the largest AR order tried (None: two cycles of the strongest sine, at most
            a quarter of the series).
        val_fraction: the share of the training series that chooses K and the AR order.
        horizon: the lead time they are chosen for (the forecast's length, if known).
        min_cycles: a sine must complete this many cycles in the training span; slower
            variation is left to the trend and the AR part (a sine fitted to a wandering level
            swings back outside the data).
    """

    max_freq: float
    max_components: int = 8
    trend_degree: int = 0
    max_order: int | None = None
    val_fraction: float = 0.2
    horizon: int = 1
    min_cycles: float = 2.0
    trend: np.ndarray | None = None
    sines: SineFit | None = None
    ar: ARModel | None = None
    x_end: float = 0.0
    step: float = 1.0
    residual: np.ndarray | None = None
    residual_kind: str = "ar"
    level_window: int = 1
    scores: dict[tuple[int, str], float] | None = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> SinesAR:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        n_val = max(1, round(len(x) * self.val_fraction))
        n_fit = len(x) - n_val
        horizon = max(1, min(self.horizon, n_val))
        scores: dict[tuple[int, str], float] = {}
        for k in range(self.max_components + 1):
            try:
                parts = _fit_parts(x[:n_fit], y[:n_fit], k, self, horizon)
            except ValueError:
                break  # fewer peaks than k, or too few samples
            for kind, part in parts.items():
                errors = []
                for o in range(n_fit, len(x), max(1, horizon // 2)):
                    h = min(horizon, len(x) - o)
                    errors.append(_forecast(part, x, y, o, h) - y[o : o + h])
                scores[(k, kind)] = float(np.mean(np.concatenate(errors) ** 2))
        if not scores:
            raise ValueError(f"too few samples ({len(x)}) to choose a forecasting model")
        self.scores = scores
        k, self.residual_kind = min(scores, key=lambda c: scores[c])
        part = _fit_parts(x, y, k, self, horizon)[self.residual_kind]
        self.trend, self.sines, self.residual, self.ar = (
            part.trend,
            part.sines,
            part.residual,
            part.ar,
        )
        self.level_window = part.window
        self.step, self.x_end = _regular_step(x), float(x[-1])
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Trend + sines at ``x``; after the training end, plus the AR forecast of the residual
        (sample k after the end gets the k-th forecast step)."""
        if self.trend is None or self.sines is None or self.ar is None or self.residual is None:
            raise RuntimeError("SinesAR.predict before fit")
        x = np.asarray(x, dtype=np.float64)
        out = np.polyval(self.trend, x) + self.sines.predict(x)
        ahead = np.rint((x - self.x_end) / self.step).astype(np.int64)
        future = ahead >= 1
        if future.any():
            horizon = int(ahead[future].max())
            if self.residual_kind == "level":
                path = np.full(horizon, self.residual[-self.level_window :].mean())
            else:
                path = self.ar.forecast(self.residual, horizon)
            out[future] += path[ahead[future] - 1]
        return out


# How the residual of trend + sines is forecast: "ar" (an AR model, reverting to the residual's
# mean) or "level" (the mean of the residual's last cycle, persisting: a level that drifts).
RESIDUALS = ("ar", "level")


@dataclass(frozen=True)
class _Parts:
    trend: np.ndarray
    sines: SineFit
    residual: np.ndarray
    ar: ARModel
    window: int  # samples in the residual's last cycle
    kind: str  # one of RESIDUALS


def _fit_parts(
    x: np.ndarray, y: np.ndarray, k: int, cfg: SinesAR, horizon: int
) -> dict[str, _Parts]:
    """Trend and K sines fitted on (x, y) once, with each residual model of ``RESIDUALS``."""
    step = _regular_step(x)
    trend = np.polyfit(x, y, cfg.trend_degree)
    detrended = y - np.polyval(trend, x)
    if k == 0:
        sines = SineFit(np.zeros(0), np.zeros(0), np.zeros(0), 0.0, float(detrended.std()))
    else:
        min_freq = 2 * np.pi * cfg.min_cycles / float(np.ptp(x))
        fit = fit_sines(x, detrended, k, max_freq=cfg.max_freq, min_freq=min_freq)
        keep = fit.freqs >= min_freq  # least squares may pull a slow peak below it
        sines = SineFit(
            fit.freqs[keep], fit.amplitudes[keep], fit.phases[keep], fit.offset, fit.rms_residual
        )
    residual = detrended - sines.predict(x)
    strongest = float(sines.freqs[np.argmax(sines.amplitudes)]) if len(sines.freqs) else 0.0
    cycle = 2 * np.pi / strongest / step if strongest > 0 else np.inf
    window = int(min(max(round(cycle), 1), len(x) // 4)) if np.isfinite(cycle) else 1
    cap = cfg.max_order if cfg.max_order is not None else int(min(2 * cycle, len(x) / 4))
    order, _ = choose_ar_order(
        residual, max(cap, 0), val_fraction=cfg.val_fraction, horizon=horizon
    )
    level = ARModel(np.zeros(0), 0.0)  # unused: the level is the residual's last-cycle mean
    return {
        "ar": _Parts(trend, sines, residual, fit_ar(residual, order), window, "ar"),
        "level": _Parts(trend, sines, residual, level, window, "level"),
    }


def _forecast(part: _Parts, x: np.ndarray, y: np.ndarray, origin: int, h: int) -> np.ndarray:
    """The fitted parts' forecast of y[origin : origin + h] from y[:origin]."""
    base = np.polyval(part.trend, x) + part.sines.predict(x)
    history = y[:origin] - base[:origin]
    if part.kind == "level":
        return base[origin : origin + h] + history[-part.window :].mean()
    return base[origin : origin + h] + part.ar.forecast(history, h)
