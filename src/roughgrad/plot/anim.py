"""Animated GIFs from a sequence of matplotlib figures (Pillow, which matplotlib depends on)."""

from __future__ import annotations

import io
from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from PIL import Image


def gif_bytes(figures: Iterable[Figure], *, fps: float = 10.0, hold_last: int = 10) -> bytes:
    """Render each figure as one frame (closing it) and return the GIF file's bytes.

    ``hold_last`` repeats the final frame so that a looping GIF pauses on the result.
    """
    frames: list[Image.Image] = []
    for fig in figures:
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]  # Agg canvas
        frames.append(Image.fromarray(rgba[..., :3]).quantize(colors=64, dither=Image.Dither.NONE))
        plt.close(fig)
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    frames += [frames[-1]] * hold_last
    out = io.BytesIO()
    frames[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(1000 / fps),
        loop=0,
        optimize=False,
    )
    return out.getvalue()
