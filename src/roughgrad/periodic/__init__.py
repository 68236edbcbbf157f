"""Periodic problems: frequency estimation, spectral initialisation, stability, the clock."""

from roughgrad.periodic.clock import (
    PeriodicClock,
    check_time_dtype,
    clock_reading,
    edge_instants,
    find_period,
    sample_instants,
)
from roughgrad.periodic.estimate import SineFit, fit_sines
from roughgrad.periodic.init import refine, spectral_init, spectral_model
from roughgrad.periodic.spectrum import fft_periodogram, gridded_periodogram, ls_periodogram
from roughgrad.periodic.stability import (
    StabilityWarning,
    basin_half_width,
    check_frequency_lr,
    frequency_curvature,
    frequency_std_bound,
    sgd_lr_limit,
)

__all__ = [
    "PeriodicClock",
    "SineFit",
    "StabilityWarning",
    "basin_half_width",
    "check_frequency_lr",
    "check_time_dtype",
    "clock_reading",
    "edge_instants",
    "fft_periodogram",
    "find_period",
    "fit_sines",
    "frequency_curvature",
    "frequency_std_bound",
    "gridded_periodogram",
    "ls_periodogram",
    "refine",
    "sample_instants",
    "sgd_lr_limit",
    "spectral_init",
    "spectral_model",
]
