"""Plotting: the only package that imports matplotlib. Every function draws on a given ``ax``."""

from roughgrad.plot.curves import band, traces

__all__ = ["band", "traces"]
