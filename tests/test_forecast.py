"""The simple forecasts and the periodic model with an AR residual, on series with known
structure (known answers), and BIC's stop at frequencies the span cannot resolve."""

from __future__ import annotations

import numpy as np
import pytest

from roughgrad.periodic import (
    SinesAR,
    choose_ar_order,
    dominant_period,
    fit_ar,
    fit_sines,
    seasonal_naive,
    select_components,
)


def _ar2(n: int, rng: np.random.Generator) -> np.ndarray:
    y = np.zeros(n)
    e = rng.standard_normal(n)
    for t in range(2, n):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    return y


def test_fit_ar_recovers_the_coefficients_and_forecasts_by_feeding_back():
    y = _ar2(20_000, np.random.default_rng(0))
    model = fit_ar(y, 2)
    assert np.allclose(model.coef, [0.6, -0.3], atol=0.02) and abs(model.intercept) < 0.03
    path = model.forecast(np.array([1.0, 2.0]), 3)  # history ends ..., 1, 2
    c, (a, b) = model.intercept, model.coef
    first = c + a * 2 + b * 1
    assert np.allclose(
        path, [first, c + a * first + b * 2, c + a * (c + a * first + b * 2) + b * first]
    )


def test_the_ar_order_is_chosen_on_the_validation_tail():
    y = _ar2(4000, np.random.default_rng(1))
    order, scores = choose_ar_order(y, 8)  # one step ahead: the two lags matter
    assert order == 2 and set(scores) == set(range(9)), scores
    # 200 steps ahead an AR(2) forecast is its mean whatever the order: a low order wins
    assert choose_ar_order(y, 8, horizon=200)[0] <= 2
    flat = np.full(100, 3.0) + 1e-3 * np.random.default_rng(2).standard_normal(100)
    assert choose_ar_order(flat, 5)[0] <= 5  # any order forecasts a constant


def test_seasonal_naive_repeats_the_last_cycle_and_the_period_comes_from_the_data():
    t = np.arange(300.0)
    y = np.sin(2 * np.pi * t / 11) + 0.01 * np.random.default_rng(3).standard_normal(300)
    assert round(dominant_period(t, y, max_freq=3.0)) == 11
    assert np.array_equal(seasonal_naive(np.arange(10.0), 4, 6), [6, 7, 8, 9, 6, 7])
    with pytest.raises(ValueError, match="period=0"):
        seasonal_naive(np.arange(5.0), 0, 3)


def test_sines_plus_ar_forecasts_what_fixed_sines_cannot():
    """A cycle plus a wandering level (AR(1), phi 0.9): near the end of the data the AR part
    carries the level, so its forecast of the next 10 steps beats the sines alone
    and the seasonal naive forecast on average (6 series); far ahead it falls back to the sines."""
    n, horizon = 400, 10
    mse: dict[str, list[float]] = {"ours": [], "sines": [], "naive": []}
    for seed in range(6):
        rng = np.random.default_rng(seed)
        level = np.zeros(n + horizon)
        for t in range(1, n + horizon):
            level[t] = 0.9 * level[t - 1] + 0.2 * rng.standard_normal()
        t = np.arange(n + horizon, dtype=float)
        y = np.sin(2 * np.pi * t / 11) + level
        model = SinesAR(max_freq=3.0, horizon=horizon).fit(t[:n], y[:n])
        preds = {
            "ours": model.predict(t[n:]),
            "sines": fit_sines(t[:n], y[:n], 1, max_freq=3.0).predict(t[n:]),
            "naive": seasonal_naive(y[:n], 11, horizon),
        }
        for k, v in preds.items():
            mse[k].append(float(np.mean((v - y[n:]) ** 2)))
    means = {k: float(np.mean(v)) for k, v in mse.items()}
    assert means["ours"] < means["sines"] and means["ours"] < 0.7 * means["naive"], means
    far = np.array([n + 10_000.0])  # the AR part has decayed to its mean
    assert (
        abs(model.predict(far)[0] - model.sines.predict(far)[0] - np.polyval(model.trend, far)[0])
        < 0.1
    )


def test_a_sum_of_sines_in_noise_is_forecast_to_the_noise_level():
    """Three sines in white noise (an AR(6) process when noise-free, so the AR part alone could
    carry them too): whichever K validates best, the forecast of the next 100 steps is within
    the noise of the truth."""
    rng = np.random.default_rng(9)
    t = np.arange(900, dtype=float)
    clean = np.sin(0.3 * t) + 0.7 * np.sin(0.05 * t + 1) + 0.5 * np.sin(1.1 * t)
    y = clean + 0.1 * rng.standard_normal(900)
    model = SinesAR(max_freq=3.0, horizon=100).fit(t[:800], y[:800])
    assert {k for k, _ in model.scores} == set(range(9))
    assert np.mean((model.predict(t[800:]) - clean[800:]) ** 2) < 0.01


def test_bic_stops_at_sines_closer_than_the_span_resolves():
    """A cycle whose amplitude drifts (sin x (1 + 0.5 sin(0.01 x)) over a span of 200) is fitted
    by two sines 0.01 apart, below the resolution 2 pi / 200: BIC stops before that pair."""
    x = np.linspace(0, 200, 2000)
    y = np.sin(x) * (1 + 0.5 * np.sin(0.01 * x))
    sel = select_components(x, y, max_freq=5.0, max_components=8)
    freqs = np.sort(sel.fit.freqs)
    assert len(freqs) == 1 or np.diff(freqs).min() >= 2 * np.pi / 200
    # resolvable sines are still all found
    mixture = np.sin(x) + np.sin(x / 3) + np.sin(3 * x)
    assert select_components(x, mixture, max_freq=5.0).n_components == 3


def test_periodic_targets_forecasts_a_series_from_its_end_and_names_the_winner():
    """periodic-targets' forecasts on a synthetic monthly series (a yearly cycle, a 7.5-sample
    cycle and AR(1) noise, last 20% held out): each reads its settings off the training part
    (seasonal naive's cycle is 12 samples), and trend + sines + AR, which models both cycles,
    beats seasonal naive, which repeats only one, and predicting 0."""
    from roughgrad.data import SignalSplit
    from roughgrad.experiments import EXPERIMENTS
    from roughgrad.experiments.periodic_targets.run import _forecast

    rng = np.random.default_rng(5)
    n = 600
    t = np.arange(n)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.7 * noise[i - 1] + 0.2 * rng.standard_normal()
    y = np.sin(2 * np.pi * t / 12) + 0.6 * np.sin(2 * np.pi * t / 7.5) + noise
    split = SignalSplit(t / 12.0, y, np.arange(480), np.arange(480, n))
    config = EXPERIMENTS["periodic-targets"].config("quick")
    truth = y[split.test]
    mse = {}
    for name in ("sines_ar", "seasonal_naive", "ar", "ar_one_step"):
        pred, chosen = _forecast(name, split, 36.0, config)
        assert pred.shape == truth.shape and np.isfinite(pred).all()
        mse[name] = float(np.mean((pred - truth) ** 2))
        if name == "seasonal_naive":
            assert chosen == {"period_samples": 12}
    assert mse["sines_ar"] < 0.5 * mse["seasonal_naive"]
    assert mse["sines_ar"] < 0.5 * float(np.mean(truth**2))


def test_periodic_targets_runs_and_draws_a_real_series_beside_a_synthetic_one(monkeypatch):
    """The whole experiment with a real-series target (its data replaced by a synthetic yearly
    series: tests never read the statsmodels files) next to a synthetic one: the forecasts run
    on the series only, the winner is named, and every figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import importlib

    from roughgrad.experiments import EXPERIMENTS, Context

    pt_run = importlib.import_module("roughgrad.experiments.periodic_targets.run")

    t = np.arange(300.0)  # yearly, an 11-year cycle: what sunspots' frequency range covers
    series = np.sin(2 * np.pi * t / 11) + 0.3 * np.random.default_rng(1).standard_normal(300)
    monkeypatch.setattr(pt_run, "load_series", lambda name: (t, series))
    exp = EXPERIMENTS["periodic-targets"]
    config = exp.config(
        "quick",
        {
            "targets": ("sawtooth", "sunspots"),
            "models": ("spectral", "sines", "sines_ar", "seasonal_naive", "ar", "ar_one_step"),
        },
    )
    outcome = exp.run(config, Context())
    m = outcome.metrics
    assert "sawtooth_test_mse_sines_ar" not in m and "sunspots_test_mse_sines_ar" in m
    assert m["sunspots_seasonal_naive_period_samples"] == 11
    assert m["sunspots_winner"] in (*config.models, "zero")
    figures = exp.figures(outcome, config)
    assert set(figures) == {"mse_by_target", "forecasts"}
