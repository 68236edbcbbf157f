"""Progress on stderr for the command line: bars on a terminal, periodic lines elsewhere.

Results (the claims summary, or the one ``--json`` object) go to stdout. With stderr a
terminal, every tracked loop is a rich progress bar; without one (a log file, CI, ``nohup``), a
tracked loop prints one line once it runs for ``every`` seconds, then one every ``every``
seconds and one when it ends, so a long run is never silent and a short loop adds no noise;
between loops, a line whenever ``every`` seconds pass without one ("still running").
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgressBar

from roughgrad.runtime import Progress

ERR = Console(stderr=True, soft_wrap=True)
OUT = Console(soft_wrap=True)  # results (the claims summary); stderr has progress and diagnostics
LINE_SECONDS = 30.0  # without a terminal: one progress line per loop this often


class RichProgress(Progress):
    """Rich bars (``bar``), periodic lines (``bar`` None, ``every`` > 0) or nothing."""

    def __init__(self, bar: RichProgressBar | None, every: float = 0.0) -> None:
        self.bar, self.every = bar, every
        self.last_output = time.monotonic()
        self.place: tuple[str, int, str] = ("working", 0, "")  # (what, done, of), for heartbeat

    def track(
        self, iterable: Iterable[Any], total: int | None = None, description: str = ""
    ) -> Iterator[Any]:
        if self.bar is not None:
            task = self.bar.add_task(description or "working", total=total)
            for item in iterable:
                yield item
                self.bar.advance(task)
            self.bar.remove_task(task)
        elif self.every > 0:
            yield from self._lines(iterable, total, description or "working")
        else:
            yield from iterable

    def _lines(self, iterable: Iterable[Any], total: int | None, what: str) -> Iterator[Any]:
        start = last = time.monotonic()
        of = f"/{total}" if total is not None else ""
        done = 0
        self.place = (what, 0, of)
        for item in iterable:
            yield item
            done += 1
            self.place = (what, done, of)  # formatted only when the heartbeat prints
            now = time.monotonic()
            if now - last >= self.every:
                last = now
                self.log(f"{what}: {done}{of} ({now - start:.0f} s)")
        if last > start:  # a loop that printed progress says when it ends; short ones stay quiet
            self.log(f"{what}: {done}{of} done ({time.monotonic() - start:.0f} s)")

    def log(self, message: str) -> None:
        self.last_output = time.monotonic()
        (self.bar.console if self.bar is not None else ERR).print(
            message, markup=False, highlight=False
        )

    def heartbeat(self, stop: threading.Event) -> None:
        """Without a terminal: a line whenever ``every`` seconds pass with none, so that the
        whole run, not only its long loops, prints at least that often."""
        start = time.monotonic()
        while not stop.wait(min(1.0, self.every)):
            if time.monotonic() - self.last_output >= self.every:
                what, done, of = self.place
                self.log(f"still running, {time.monotonic() - start:.0f} s: {what}: {done}{of}")


@contextlib.contextmanager
def progress(enabled: bool, every: float = LINE_SECONDS) -> Iterator[RichProgress]:
    """A ``RichProgress`` for one command: bars on a terminal, lines without one."""
    if not enabled:
        yield RichProgress(None)
    elif not ERR.is_terminal:
        lines = RichProgress(None, every)
        stop = threading.Event()
        beat = threading.Thread(target=lines.heartbeat, args=(stop,), daemon=True)
        beat.start()
        try:
            yield lines
        finally:
            stop.set()
            beat.join()
    else:
        bar = RichProgressBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=ERR,
            transient=True,
        )
        with bar:
            yield RichProgress(bar)
