"""Worker processes that never outlive the run that started them.

``worker_pool(n)`` is a ``ProcessPoolExecutor`` (spawn context) whose workers

* ask the kernel to send them SIGTERM when their parent dies (Linux ``PR_SET_PDEATHSIG``), so
  a parent killed outright (SIGKILL, a crash) leaves no orphan computing on;
* are stopped at once, queued work cancelled, when the ``with`` block is left by an exception
  (Ctrl-C, SIGTERM and SIGHUP arrive as ``KeyboardInterrupt``: see ``stop_on_signals``),
  instead of ``ProcessPoolExecutor``'s default of waiting for every running job to finish.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent(initializer=None, initargs: tuple = ()) -> None:
    """Worker initializer: SIGTERM this process when its parent exits (Linux only); then
    the pool's own ``initializer(*initargs)``."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # A worker leaves Ctrl-C to its parent, which stops it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


@contextlib.contextmanager
def worker_pool(
    workers: int, initializer=None, initargs: tuple = ()
) -> Iterator[ProcessPoolExecutor]:
    """A process pool for independent jobs (each worker runs ``initializer(*initargs)`` when it
    starts); see the module docstring."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(initializer, initargs),
    )
    try:
        yield pool
    except BaseException:
        terminate(pool)
        raise
    else:
        pool.shutdown(wait=True)


def terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel queued jobs and stop the pool's processes now (SIGTERM, then SIGKILL)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(timeout=3)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings from the library reach the user as one line on stderr (the CLI and reproduce's
    workers install it as ``warnings.showwarning``)."""
    print(f"warning: {message}", file=sys.stderr)


def raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While active (in the main thread), SIGTERM and SIGHUP stop the program as Ctrl-C does:
    a ``KeyboardInterrupt``, so a run is marked interrupted, its last checkpoint is kept and its
    worker pools are stopped."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            previous[sig] = signal.signal(sig, raise_interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
