"""Plotting: the only package that imports matplotlib. Every function draws on a given ``ax``."""

from roughgrad.plot.anim import gif_bytes
from roughgrad.plot.curves import band, traces
from roughgrad.plot.landscape import line, plane

__all__ = ["band", "gif_bytes", "line", "plane", "traces"]
