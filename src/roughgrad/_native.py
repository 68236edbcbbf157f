"""Native kernels compiled on first use: the C compiler, the build cache, loading.

``build(source, error)`` compiles one C file with the system's compiler (``$CC``, else ``cc``)
into ``$ROUGHGRAD_CACHE`` (default ``~/.cache/roughgrad``), keyed by the source, the headers
beside it, flags, compiler and CPU (``-march=native`` code must not run on another CPU model
sharing the home directory), and loads it; failures raise ``error`` with one line saying why.
Used by the spiking kernels (``roughgrad.neurons.fused``) and the stacked recurrent burn-in
(``roughgrad.nn.stacked``).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

# Compile with -ffast-math but link without it: gcc links crtfastmath.o into a -ffast-math
# *link*, whose constructor turns on flush-to-zero / denormals-are-zero for the whole process
# (numpy's and torch's subnormals would silently become 0 once the kernel is loaded).
COMPILE_FLAGS = ["-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC", "-c"]
LINK_FLAGS = ["-shared", "-fopenmp"]


class NativeUnavailable(RuntimeError):
    """A native kernel could not be built (no C compiler, or it failed)."""


def cache_dir() -> Path:
    return Path(os.environ.get("ROUGHGRAD_CACHE", Path.home() / ".cache" / "roughgrad"))


def compiler(what: str, error: type[Exception] = NativeUnavailable) -> list[str]:
    """The compiler command: ``$CC`` split like a shell would (``CC="ccache gcc"``), else cc;
    ``what`` names what needs it in the error (e.g. "backend='fused' needs a C compiler ...")."""
    cc = shlex.split(os.environ.get("CC", "")) or [shutil.which("cc") or shutil.which("gcc") or ""]
    if not cc[0] or not shutil.which(cc[0]):
        raise error(what)
    return cc


def build(source: Path, cc: list[str], error: type[Exception] = NativeUnavailable) -> ctypes.CDLL:
    """Compile ``source`` with ``cc`` once per source/flags/compiler into the cache, then load
    it; a failure raises ``error`` and leaves nothing half-written."""
    version = subprocess.run([*cc, "--version"], capture_output=True, text=True).stdout
    headers = [h.read_text() for h in sorted(source.parent.glob("_*.h"))]  # what it includes
    parts = [source.read_text(), *headers, *COMPILE_FLAGS, *LINK_FLAGS, *cc, version, cpu()]
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    target = cache_dir() / f"{source.stem.strip('_')}-{key[:16]}.so"
    if not target.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
        except OSError as err:
            raise error(
                f"cannot write the compiled kernel to {target.parent} ({err.strerror}); "
                "set ROUGHGRAD_CACHE to a writable directory"
            ) from None
        os.close(fd)
        obj = tmp[: -len(".so")] + ".o"
        steps = (
            [*cc, *COMPILE_FLAGS, str(source), "-o", obj],
            [*cc, *LINK_FLAGS, obj, "-o", tmp, "-lm"],
        )
        try:
            for cmd in steps:
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    first = (proc.stderr.strip().splitlines() or ["(no output)"])[0]
                    raise error(f"compiling {source.name} with {shlex.join(cc)} failed: {first}")
        except BaseException:
            os.unlink(tmp)
            raise
        finally:
            if os.path.exists(obj):
                os.unlink(obj)
        os.replace(tmp, target)  # atomic: concurrent first uses don't see a partial file
    return ctypes.CDLL(str(target))


def cpu() -> str:
    """The architecture, CPU model and feature flags, so that a cache shared by machines is safe.

    x86 Linux names the model and flags; aarch64 Linux has no "model name" but an implementer,
    part, variant and "Features" line, which ``-march=native`` code depends on just as much.
    """
    arch = platform.machine()
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"{arch}\n{platform.processor()}"
    wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part", "CPU variant")
    return "\n".join([arch, *dict.fromkeys(ln for ln in lines if ln.startswith(wanted))])
