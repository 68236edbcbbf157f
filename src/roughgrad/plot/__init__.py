"""Plotting: the only package that imports matplotlib. Every function draws on a given ``ax``."""

from roughgrad.plot.anim import gif_bytes
from roughgrad.plot.curves import band, traces
from roughgrad.plot.landscape import line, plane
from roughgrad.plot.sweep import seed_spread
from roughgrad.plot.training import accuracy_curves, error_against_samples, gradient_norms

__all__ = [
    "accuracy_curves",
    "band",
    "error_against_samples",
    "gif_bytes",
    "gradient_norms",
    "line",
    "plane",
    "seed_spread",
    "traces",
]
