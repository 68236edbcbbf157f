"""Periodic problems: frequency estimation, spectral initialisation, stability, the clock."""

from roughgrad.periodic.clock import (
    CLOCK_FIELDS,
    DEFAULT_FIELDS,
    check_time_dtype,
    clock_reading,
    edge_instants,
    find_period,
    sample_instants,
    utc_offset_seconds,
)
from roughgrad.periodic.clock_fit import FieldUndetermined, PeriodicClock
from roughgrad.periodic.clock_net import ClockNet, PhaseLayer, spectral_periods
from roughgrad.periodic.estimate import ComponentSelection, SineFit, fit_sines, select_components
from roughgrad.periodic.forecast import (
    ARModel,
    SinesAR,
    choose_ar_order,
    dominant_period,
    fit_ar,
    seasonal_naive,
)
from roughgrad.periodic.init import refine, spectral_init, spectral_model
from roughgrad.periodic.spectrum import fft_periodogram, gridded_periodogram, ls_periodogram
from roughgrad.periodic.stability import (
    StabilityWarning,
    amplitude_bound,
    basin_half_width,
    check_frequency_lr,
    frequency_curvature,
    frequency_std_bound,
    sgd_lr_limit,
    uniform_frequency_curvature,
)

__all__ = [
    "CLOCK_FIELDS",
    "DEFAULT_FIELDS",
    "ARModel",
    "ClockNet",
    "ComponentSelection",
    "FieldUndetermined",
    "PeriodicClock",
    "PhaseLayer",
    "SineFit",
    "SinesAR",
    "StabilityWarning",
    "amplitude_bound",
    "basin_half_width",
    "check_frequency_lr",
    "check_time_dtype",
    "choose_ar_order",
    "clock_reading",
    "dominant_period",
    "edge_instants",
    "fft_periodogram",
    "find_period",
    "fit_ar",
    "fit_sines",
    "frequency_curvature",
    "frequency_std_bound",
    "gridded_periodogram",
    "ls_periodogram",
    "refine",
    "sample_instants",
    "seasonal_naive",
    "select_components",
    "sgd_lr_limit",
    "spectral_init",
    "spectral_model",
    "spectral_periods",
    "uniform_frequency_curvature",
    "utc_offset_seconds",
]
