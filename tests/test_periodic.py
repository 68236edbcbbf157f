"""roughgrad.periodic: periodograms, sine fitting, spectral init, stability, the clock."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from roughgrad.nn import FourierFeatures, SineSum, SirenLayer
from roughgrad.periodic import (
    PeriodicClock,
    StabilityWarning,
    amplitude_bound,
    check_frequency_lr,
    check_time_dtype,
    clock_reading,
    edge_instants,
    fft_periodogram,
    find_period,
    fit_sines,
    frequency_curvature,
    gridded_periodogram,
    ls_periodogram,
    refine,
    sample_instants,
    select_components,
    sgd_lr_limit,
    spectral_init,
    spectral_model,
    uniform_frequency_curvature,
)


def test_fft_periodogram_peak_on_grid():
    x = np.arange(4096) * 0.01
    w, p = fft_periodogram(np.sin(31 * x), 0.01)
    assert abs(w[p.argmax()] - 31) <= (w[1] - w[0]) / 2 + 1e-12


@pytest.mark.slow
def test_ls_and_gridded_periodograms_find_the_peak():
    rng = np.random.default_rng(0)
    x = rng.uniform(-500, 500, 3000)
    y = np.sin(7.3 * x) + 0.5 * rng.standard_normal(3000)
    omegas = np.linspace(5, 10, 5000)
    assert abs(omegas[ls_periodogram(x, y, omegas).argmax()] - 7.3) < 2e-3
    w, p = gridded_periodogram(x, y, max_freq=20)
    assert abs(w[p.argmax()] - 7.3) < np.pi / 1000  # grid spacing pi / span


@pytest.mark.parametrize("freq", [0.5, 31.0, 250.0])
def test_fit_sines_recovers_frequency_with_noise(freq):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1000, 1000, 4096)
    y = 0.8 * np.sin(freq * x + 1.1) + 0.5 * rng.standard_normal(len(x))
    fit = fit_sines(x, y, max_freq=1200)
    # Cramer-Rao: sigma_f ~ noise / (A X sqrt(n/3)) ~ 1.7e-5 absolute; allow 5 sigma
    assert abs(fit.freqs[0] - freq) < 1e-4
    assert abs(fit.amplitudes[0] - 0.8) < 0.05
    assert abs(np.angle(np.exp(1j * (fit.phases[0] - 1.1)))) < 0.05


def test_fit_sines_two_components_and_noise_free_exactness():
    rng = np.random.default_rng(2)
    x = rng.uniform(-2000, 2000, 4096)
    y = np.sin(31 * x) + 0.6 * np.sin(97.5 * x - 0.4) + 0.3
    fit = fit_sines(x, y, 2, max_freq=200)
    np.testing.assert_allclose(fit.freqs, [31, 97.5], rtol=1e-9)
    np.testing.assert_allclose(fit.amplitudes, [1.0, 0.6], rtol=1e-7)
    np.testing.assert_allclose(fit.phases, [0.0, -0.4], atol=1e-6)
    assert abs(fit.offset - 0.3) < 1e-8


def test_fit_sines_five_components_at_0db():
    rng = np.random.default_rng(3)
    freqs = np.array([2.5, 40.0, 133.0, 401.0, 950.0])
    amps = np.array([1.0, 0.7, 1.2, 0.6, 0.9])
    x = rng.uniform(-1000, 1000, 4096)
    clean = np.sin(np.outer(x, freqs) + rng.uniform(-3, 3, 5)) @ amps
    y = clean + np.sqrt(np.sum(amps**2) / 2) * rng.standard_normal(len(x))  # SNR 0 dB
    fit = fit_sines(x, y, 5, max_freq=1200)
    # Cramer-Rao at 0 dB: sigma_f ~ sigma / (A X) sqrt(3 / n) ~ 4e-5 for the weakest; 5 sigma
    assert np.all(np.abs(fit.freqs - freqs) < 2e-4), fit.freqs


def test_phase_is_exact_far_from_zero():
    # samples near x = 3.8e9: a float32 x would be off by ~128 units; fit and predict in float64
    rng = np.random.default_rng(4)
    x = 3.8e9 + rng.uniform(-1e4, 1e4, 2048)
    y = np.sin(0.05 * x + 0.3)
    fit = fit_sines(x, y, max_freq=1.0)
    assert np.max(np.abs(fit.predict(x) - y)) < 1e-6
    assert np.spacing(np.float32(3.8e9)) == 256  # float32 cannot even hold single seconds


def test_fit_sines_rejects_bad_input():
    with pytest.raises(ValueError, match="finite"):
        fit_sines(np.array([0.0, 1.0, np.nan, 2, 3, 4]), np.zeros(6), max_freq=1)
    with pytest.raises(ValueError, match="equal length"):
        fit_sines(np.zeros(10), np.zeros(9), max_freq=1)


def test_spectral_init_then_refine_sinesum():
    rng = np.random.default_rng(5)
    x = torch.as_tensor(rng.uniform(-1000, 1000, 2048))[:, None]
    y = 1.5 * torch.sin(31 * x + 0.2) + 0.05 * torch.as_tensor(rng.standard_normal((2048, 1)))
    model = SineSum(1).double()
    spectral_init(model, x, y, max_freq=100)
    loss = refine(model, x, y)
    assert abs(model.freq.item() - 31) < 1e-5
    assert loss < 0.0026  # noise variance 0.0025


def test_spectral_init_writes_siren_and_fourier_features():
    rng = np.random.default_rng(6)
    x = rng.uniform(-100, 100, 2048)
    y = np.sin(3.0 * x + 0.5)
    layer = SirenLayer(1, 8, omega0=30.0, first=True).double()
    spectral_init(layer, x, y, max_freq=10)
    out = layer(torch.as_tensor(x)[:, None])[:, 0].detach().numpy()
    assert np.max(np.abs(out - y)) < 1e-6
    ff = FourierFeatures(torch.zeros(4))
    spectral_init(ff, x, y, max_freq=10)
    assert abs(ff.freqs[0, 0].item() - 3.0) < 1e-5
    with pytest.raises(TypeError, match="spectral_init supports"):
        spectral_init(torch.nn.Linear(1, 1), x, y, max_freq=10)


def test_stability_limit_and_warning():
    x = np.random.default_rng(7).uniform(-1000, 1000, 200_000)
    assert abs(frequency_curvature(x, 31.0) / (1000**2 / 3) - 1) < 0.02
    assert sgd_lr_limit(1000) == pytest.approx(6e-6)
    with pytest.warns(StabilityWarning, match="stability limit"):
        assert not check_frequency_lr(1e-4, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_frequency_lr(1e-6, 1000)


@pytest.mark.parametrize(("x_range", "freq", "amp", "phase"), [(1000, 31, 1, 0), (2, 1, 1.5, 0.7)])
def test_curvature_closed_form_and_the_amplitude_limit(x_range, freq, amp, phase):
    """The closed form matches the sample mean, also where f* X is small and the phase
    matters; the limit scales as 1 / A^2; over many cycles the data's amplitude bound is at
    least A and close to it (sqrt(A^2 + 2 sigma^2))."""
    x = np.random.default_rng(3).uniform(-x_range, x_range, 1_000_000)
    exact = uniform_frequency_curvature(x_range, freq, amp, phase)
    assert abs(frequency_curvature(x, freq, amp, phase) / exact - 1) < 0.01
    assert sgd_lr_limit(x_range, amp) == pytest.approx(sgd_lr_limit(x_range) / amp**2)
    y = amp * np.sin(freq * x + phase) + 0.2 * np.random.default_rng(4).standard_normal(x.size)
    if freq * x_range > 100:  # many cycles: mean sin^2 = 1/2
        assert amp <= amplitude_bound(y) <= 1.01 * np.sqrt(amp**2 + 2 * 0.2**2)
    with pytest.raises(ValueError, match="finite samples"):
        amplitude_bound(np.array([np.nan]))


def test_sgd_at_seed_lr_diverges_near_answer_and_stable_lr_converges():
    rng = np.random.default_rng(8)
    for lr, should_converge in [(1e-4, False), (3e-6, True)]:
        f = 31.002
        for _ in range(3000):
            x = rng.uniform(-1000, 1000, 32)
            err = np.sin(f * x) - np.sin(31 * x)
            f -= lr * np.mean(2 * err * np.cos(f * x) * x)
        assert (abs(f - 31) < 1e-6) == should_converge, (lr, f)


def test_clock_reading_edges():
    t = np.array([-1, 0, 59, 60, 3599, 3600, 86399, 86400, -86400, -86401], dtype=np.int64)
    expected = [
        [23, 59, 59],
        [0, 0, 0],
        [0, 0, 59],
        [0, 1, 0],
        [0, 59, 59],
        [1, 0, 0],
        [23, 59, 59],
        [0, 0, 0],
        [0, 0, 0],
        [23, 59, 59],
    ]
    assert clock_reading(t).tolist() == expected
    with pytest.raises(TypeError, match="integer seconds"):
        clock_reading(np.array([1.5]))


def test_float32_time_is_refused_float64_and_int_accepted():
    t = np.array([3_786_912_000 // 2], dtype=np.int64)
    check_time_dtype(t)
    check_time_dtype(t.astype(np.float64))
    with pytest.raises(ValueError, match="spacing 128 s"):
        check_time_dtype(t.astype(np.float32))


def test_find_period_is_exact_enough_to_pin():
    rng = np.random.default_rng(9)
    t = sample_instants(5000, 120, rng)
    p = find_period(t, 2 * np.pi * clock_reading(t)[:, 0] / 24)
    assert abs(p - 86400) < 0.05  # needs ~1e-10 relative over 120 years; pinning rounds it


@pytest.mark.slow
@pytest.mark.parametrize("n_train", [1000, 20_000])
def test_periodic_clock_is_exact(n_train):
    rng = np.random.default_rng(10)
    t = sample_instants(n_train, 120, rng)
    clock = PeriodicClock().fit(t, clock_reading(t))
    assert sorted(clock.periods) == [60, 3600, 86400]
    test = np.concatenate([sample_instants(50_000, 120, rng), edge_instants(120)])
    assert np.array_equal(clock.predict(test), clock_reading(test))


def _corrupt(r: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    r = r.copy()
    bad = rng.choice(len(r), round(fraction * len(r)), replace=False)
    r[bad] = rng.integers(r.min(0), r.max(0) + 1, size=(len(bad), r.shape[1]))
    return r


def test_clock_fields_read_the_calendar():
    # 2000-01-01 was a Saturday (ISO 6); 2000 is a leap year, so 2000-12-31 is day 366
    t = np.array([0, 12 * 3600, 13 * 3600, 2 * 86400, 365 * 86400, 366 * 86400])
    r = clock_reading(t, ("hours12", "weekday", "yday"))
    assert r.tolist() == [[12, 6, 1], [12, 6, 1], [1, 6, 1], [12, 1, 3], [12, 7, 366], [12, 1, 1]]
    with pytest.raises(ValueError, match="unknown clock field 'days'"):
        clock_reading(t, ("days",))


@pytest.mark.slow
def test_periodic_clock_tolerates_label_noise():
    rng = np.random.default_rng(11)
    t = sample_instants(30_000, 120, rng)
    noisy = _corrupt(clock_reading(t), 0.01, rng)
    clock = PeriodicClock().fit(t, noisy)
    test = np.concatenate([sample_instants(20_000, 120, rng), edge_instants(120)])
    assert np.array_equal(clock.predict(test), clock_reading(test))  # clean test labels
    assert 0.98 < min(f.agreement for f in clock.fields if f is not None) < 1.0


@pytest.mark.slow
def test_periodic_clock_reads_offset_and_calendar_fields():
    fields = ("hours12", "minutes", "seconds", "weekday", "yday")
    rng = np.random.default_rng(12)
    t = sample_instants(60_000, 120, rng)
    clock = PeriodicClock().fit(t, clock_reading(t, fields))
    assert clock.undetermined == {}
    # the day of the year repeats after 4 years of 1461 days (2000 is a leap year)
    assert clock.periods == [43200, 3600, 60, 7 * 86400, 1461 * 86400]
    test = np.concatenate([sample_instants(20_000, 120, rng), edge_instants(120)])
    leap = np.array([59, 60, 365, 366, 1461 - 1, 1461]) * 86400  # Feb 29 2000, year ends
    test = np.concatenate([test, leap, -leap, leap - 1])
    assert np.array_equal(clock.predict(test), clock_reading(test, fields))


def test_periodic_clock_reports_what_a_short_span_cannot_pin():
    rng = np.random.default_rng(13)
    t = sample_instants(5000, 2 / 365.25, rng)  # two days
    clock = PeriodicClock().fit(t, clock_reading(t, ("hours", "minutes", "yday")))
    assert set(clock.undetermined) == {2}
    assert (
        "shorter than the period" in clock.undetermined[2]
        or "one reading" in (clock.undetermined[2])
    )
    pred = clock.predict(t)
    assert np.array_equal(pred[:, :2], clock_reading(t, ("hours", "minutes")))
    assert (pred[:, 2] == -1).all()


def test_periodic_clock_refuses_a_fit_that_reproduces_too_little():
    rng = np.random.default_rng(14)
    t = sample_instants(20_000, 120, rng)
    noisy = _corrupt(clock_reading(t), 0.3, rng)
    assert set(PeriodicClock().fit(t, noisy).undetermined) == {0, 1, 2}  # ~71% agreement < 90%
    clock = PeriodicClock(min_agreement=0.6).fit(t, noisy)
    assert clock.undetermined == {}
    assert np.array_equal(clock.predict(t), clock_reading(t))  # the right clock all along


def test_select_components_counts_sines_and_ignores_noise():
    x = np.linspace(-50, 50, 1000)
    mixture = np.sin(x) + np.sin(x / 3) + np.sin(3 * x)
    sel = select_components(x, mixture, max_freq=20)
    assert sel.n_components == 3
    np.testing.assert_allclose(sel.fit.freqs, [1 / 3, 1, 3], rtol=1e-8)
    noisy = np.sin(x) + 0.3 * np.random.default_rng(0).standard_normal(len(x))
    assert select_components(x, noisy, max_freq=20).n_components == 1
    # without BIC's penalty nothing stops it: every K fits some noise
    assert select_components(x, noisy, max_freq=20, max_components=4, penalty=0).n_components == 4
    with pytest.raises(ValueError, match="must be finite"):  # its own message, not a KeyError
        select_components(np.where(x > 0, np.nan, x), mixture, max_freq=20)


def test_spectral_model_starts_at_the_fitted_sines():
    x = np.linspace(-50, 50, 1000)
    y = np.sin(x) + np.sin(x / 3) + np.sin(3 * x)
    torch.manual_seed(0)
    model, fit = spectral_model(x, y, max_freq=20)
    assert len(fit.freqs) == 3
    with torch.no_grad():
        pred = model(torch.as_tensor(x, dtype=torch.float32)[:, None])[:, 0].double().numpy()
    assert np.abs(pred - y).max() < 1e-4  # float32 features; the untrained model is the fit
    with pytest.raises(ValueError, match="n_components=0"):
        spectral_model(x, y, max_freq=20, n_components=0)


def test_utc_offsets_parse_and_shift_every_field():
    from roughgrad.periodic import utc_offset_seconds

    assert utc_offset_seconds("+05:30") == 19800 and utc_offset_seconds("-03:30") == -12600
    assert utc_offset_seconds(3600) == 3600 and utc_offset_seconds("+5") == 18000
    for bad in ("+15:00", "5:75", "abc"):
        with pytest.raises(ValueError, match="utc_offset"):
            utc_offset_seconds(bad)
    # 00:00:00 UTC on 2000-01-01 is 05:30 in India and 20:30 on 1999-12-31 (day 365) in Newfoundland
    assert clock_reading(np.array([0]), ("hours", "minutes", "weekday"), "+05:30").tolist() == [
        [5, 30, 6]
    ]
    assert clock_reading(np.array([0]), ("hours", "minutes", "yday"), "-03:30").tolist() == [
        [20, 30, 365]
    ]


@pytest.mark.slow
@pytest.mark.parametrize("zone", ["+05:30", "-03:45"])
def test_periodic_clock_reads_a_clock_in_any_time_zone(zone):
    """A coarser field's steps start where one of the finer field's readings starts, not where
    the finer field rolls over: on UTC+05:30 the hours change at the half hour."""
    from roughgrad.periodic import utc_offset_seconds

    fields = ("hours", "minutes", "seconds", "weekday", "yday")
    rng = np.random.default_rng(14)
    t = sample_instants(30_000, 120, rng)
    clock = PeriodicClock().fit(t, clock_reading(t, fields, zone))
    assert clock.undetermined == {}
    assert min(f.agreement for f in clock.fields if f is not None) == 1.0
    test = np.concatenate([sample_instants(20_000, 120, rng), edge_instants(120)])
    local_edges = edge_instants(120) - np.int64(utc_offset_seconds(zone))  # local roll-overs
    test = np.concatenate([test, local_edges])
    assert np.array_equal(clock.predict(test), clock_reading(test, fields, zone))


def test_spectral_periods_reports_what_it_cannot_pin_instead_of_raising():
    from roughgrad.periodic import spectral_periods

    rng = np.random.default_rng(15)
    t = sample_instants(5000, 2 / 365.25, rng)  # two days: no day of the year
    readings = clock_reading(t, ("hours", "minutes", "yday"))
    noisy = _corrupt(readings, 0.01, rng)
    periods, undetermined = spectral_periods(t, noisy)  # a two-day span pins the day roughly
    assert periods[2] is None and set(undetermined) == {2}
    assert abs(periods[0] - 86400) < 0.01 * 86400 and abs(periods[1] - 3600) < 0.01 * 3600
