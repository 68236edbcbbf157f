"""Positive controls for every detector a claim rests on: synthetic data with the structure
present is found at the right count, and without it nothing is found, at the sizes the
experiments use (hh-complete-graph's zoom: 300-1000 values; loss curves: 100-3600 points)."""

from __future__ import annotations

import numpy as np
import pytest

from roughgrad.landscape import (
    basin_width,
    count_bands,
    count_local_minima,
    count_reversals,
    mollify,
    residual_rms,
)


def _bands(n_bands: int, n: int, apart: float, rng: np.random.Generator) -> np.ndarray:
    """n values in n_bands equal Gaussian bands of std 1, ``apart`` standard deviations apart."""
    return np.concatenate([rng.normal(k * apart, 1.0, n // n_bands) for k in range(n_bands)])


@pytest.mark.parametrize("n", [30, 100, 400])
@pytest.mark.parametrize("apart", [10, 20, 50, 100])
def test_count_bands_finds_separated_bands(n, apart):
    # the reviewer's case: three equal bands 10-100 standard deviations apart, 30-400 values;
    # over 100 draws the 30-value, 10-apart case is found in 91% (docstring): fixed draws here
    rng = np.random.default_rng(1000 * n + apart)
    found3 = [count_bands(_bands(3, n, apart, rng), seed=k) for k in range(5)]
    found2 = [count_bands(_bands(2, n, apart, rng), seed=k) for k in range(5)]
    assert found2 == [2] * 5
    assert sum(f == 3 for f in found3) >= 4, found3


@pytest.mark.parametrize("n", [30, 100, 400, 1000])
def test_count_bands_finds_one_band_in_a_cloud(n):
    rng = np.random.default_rng(n)
    for k in range(5):
        assert count_bands(rng.normal(0, 1, n), seed=k) == 1  # one Gaussian cloud
        assert count_bands(rng.uniform(0, 1, n), seed=k) == 1  # a uniform spread
        assert count_bands(rng.exponential(1, n), seed=k) == 1  # a skewed one


def test_count_bands_is_scale_free_and_counts_point_masses():
    rng = np.random.default_rng(0)
    values = _bands(3, 300, 20, rng)
    assert count_bands(values) == count_bands(1e-6 * values + 5.0) == 3
    assert count_bands(np.repeat([0.0, 1.0, 2.0, 3.0], 50)) == 4  # discrete levels
    assert count_bands(np.full(100, 0.3)) == 1
    assert count_bands(np.array([1.0, np.nan, 2.0])) == 1  # too few to split


def test_count_local_minima_counts_wells():
    x = np.linspace(0, 5, 1000)
    rng = np.random.default_rng(0)
    wells = np.cos(2 * np.pi * x)  # minima at 0.5, 1.5, ..., 4.5
    assert count_local_minima(wells) == 5
    assert count_local_minima(wells + 1e-3 * rng.standard_normal(len(x))) == 5


def test_count_local_minima_ignores_shallow_noise():
    x = np.linspace(-1, 1, 300)
    rng = np.random.default_rng(1)
    bowl = x**2 + 1e-3 * rng.standard_normal(len(x))  # wiggles below 1% of the range
    assert count_local_minima(bowl) == 1
    assert count_local_minima(bowl, prominence=0.0) >= 5  # every wiggle, without a depth
    assert count_local_minima(x) == 0  # monotone
    assert count_local_minima(np.zeros(50)) == 0


def test_basin_width_finds_the_basin():
    f = np.linspace(30, 32, 4001)
    target, half = 31.0, 0.0045
    inside = np.abs(f - target) < half
    noise = np.where(np.random.default_rng(0).random(len(f)) < 0.5, -1.0, 1.0)
    grad = np.where(inside, f - target, noise)  # points at f* inside, random outside
    below, above = basin_width(f, grad, target)
    assert below == pytest.approx(half, abs=1e-3)
    assert above == pytest.approx(half, abs=1e-3)


def test_basin_width_is_zero_without_one():
    f = np.linspace(-1, 1, 201)
    assert basin_width(f, -(f - 0.1), 0.1) == (0.0, 0.0)  # points away everywhere
    assert basin_width(f, np.zeros_like(f), 0.1) == (0.0, 0.0)  # flat: points nowhere


def test_count_reversals_counts_teeth():
    i = np.arange(400)
    sawtooth = 0.02 * i - 0.9 * (i // 50)  # rising teeth, each ending in a drop: 7 drops
    assert count_reversals(sawtooth) == 7
    assert count_reversals(-sawtooth) == 7  # on a falling curve, 7 rises


def test_count_reversals_ignores_a_monotone_curve():
    x = np.linspace(0, 1, 500)
    assert count_reversals(np.exp(x)) == 0
    wiggle = np.exp(x) + 1e-9 * np.random.default_rng(0).standard_normal(500)
    assert count_reversals(wiggle, tol=1e-6) == 0  # round-off below tol does not count


def test_residual_rms_measures_roughness():
    x = np.linspace(0, 1, 2001)
    smooth = np.sin(2 * np.pi * x)
    rng = np.random.default_rng(0)
    assert residual_rms(smooth) < 1e-4  # no roughness
    rough = smooth + 0.05 * rng.standard_normal(len(x))
    # white noise of std s leaves s sqrt(1 - 1/w) about an 11-point mean
    assert residual_rms(rough) == pytest.approx(0.05 * np.sqrt(1 - 1 / 11), rel=0.1)
    assert residual_rms(smooth + 0.2 * rng.standard_normal(len(x))) > 3 * residual_rms(rough)


def _spike(t: np.ndarray, at: float) -> np.ndarray:
    """A spike of 100 mV on a resting potential, its upstroke about 0.05 ms."""
    return -65.0 + 100.0 * np.exp(-(((t - at) / 0.05) ** 2))


def test_mollifier_halves_a_spikes_slope():
    t = np.arange(0, 20, 0.01)
    v = _spike(t, 10.0)
    smoothed = mollify(mollify(v, t, 0.1), t, 0.1)  # a 0.1 ms bump, twice (mollify's c)
    slope = np.abs(np.diff(v)).max()
    assert np.abs(np.diff(smoothed)).max() <= 0.5 * slope


def test_mollifier_keeps_a_slow_ramps_slope():
    t = np.arange(0, 20, 0.01)
    ramp = -65.0 + 2.0 * t  # 2 mV/ms: nothing to smooth
    smoothed = mollify(mollify(ramp, t, 0.1), t, 0.1)
    inner = slice(100, -100)  # away from the ends' ghost points
    assert np.abs(np.diff(smoothed[inner])).max() == pytest.approx(
        np.abs(np.diff(ramp)).max(), rel=1e-3
    )
