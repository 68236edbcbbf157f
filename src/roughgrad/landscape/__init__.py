"""Loss landscapes of any objective: directions, 1-D/2-D slices, gradient fields, mollifiers,
and the detectors that turn a sampled curve into a count or a width (bands, minima, basins).

Compute only; the plots are in roughgrad.plot.landscape.
"""

from roughgrad.landscape.detectors import (
    basin_width,
    count_bands,
    count_local_minima,
    count_reversals,
)
from roughgrad.landscape.directions import random_direction, uniform_direction
from roughgrad.landscape.field import gradient_field
from roughgrad.landscape.slices import Slice, loss_line, loss_plane
from roughgrad.landscape.smoothing import (
    high_frequency_fraction,
    mollify,
    residual_rms,
    total_variation,
)
from roughgrad.objectives.base import Stochastic

__all__ = [
    "Slice",
    "Stochastic",
    "basin_width",
    "count_bands",
    "count_local_minima",
    "count_reversals",
    "gradient_field",
    "high_frequency_fraction",
    "loss_line",
    "loss_plane",
    "mollify",
    "random_direction",
    "residual_rms",
    "total_variation",
    "uniform_direction",
]
