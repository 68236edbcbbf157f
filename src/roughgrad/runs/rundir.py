"""Run directories: one per run, created exclusively, every file written atomically.

Layout of a run directory::

    config.json    the resolved config
    argv.txt       the command line that made the run
    env.json       versions, threads, device, platform, git commit
    metrics.json   the experiment's metrics
    claims.json    [{"name", "holds", "evidence"}, ...]
    run.json       experiment name, profile, start/end times, status
    data.npz       arrays behind the figures
    figures/*.png  (and *.gif)
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import platform
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from roughgrad._atomic import atomic_write_bytes


class RunDirError(OSError):
    """The run directory can't be created or written; the message is one line."""


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(
        path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"
    )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def new_run_dir(root: Path, experiment: str) -> Path:
    """Create and return ``root/experiment/<UTC time>-<random>``; never reuses an existing one."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    return create_run_dir(Path(root) / experiment / f"{stamp}-{secrets.token_hex(3)}")


def create_run_dir(path: Path) -> Path:
    """Create ``path`` (and its parents); refuse one that already exists."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir()
    except FileExistsError:
        raise RunDirError(f"run directory {path} already exists; choose a new one") from None
    except OSError as exc:
        raise RunDirError(f"cannot create run directory {path}: {exc.strerror}") from None
    (path / "figures").mkdir()
    return path


def environment(device: torch.device) -> dict[str, Any]:
    """Versions, threads, device and platform, for env.json."""
    import matplotlib
    import scipy
    import sklearn

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
        "scikit_learn": sklearn.__version__,
        "device": str(device),
        "cuda_available": torch.cuda.is_available(),
    }
    if device.type == "cuda":
        info["cuda_device_name"] = torch.cuda.get_device_name(device)
    try:
        from importlib.metadata import version

        info["roughgrad"] = version("roughgrad")
    except Exception:  # not installed as a distribution (e.g. run from a source tree)
        info["roughgrad"] = "unknown"
    info["git_commit"] = _git_commit()
    return info


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def save_figure(fig: Any, path: Path) -> None:
    """Save a matplotlib figure as PNG atomically, its title (the suptitle, else the panels'
    titles) in the PNG's ``Title`` field: the caption the report and the docs show."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Title": _title_of(fig)})
    atomic_write_bytes(path, buf.getvalue())


def _title_of(fig: Any) -> str:
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        return " ".join(suptitle.get_text().split())
    titles = [" ".join(ax.get_title().split()) for ax in fig.axes]
    return "; ".join(t for t in titles if t)


def figure_caption(path: Path) -> str:
    """A saved figure's caption: its PNG ``Title`` (see ``save_figure``), else its file
    name as words (``recovery_rates.png`` -> "Recovery rates")."""
    path = Path(path)
    if path.suffix == ".png":
        from PIL import Image

        try:
            with Image.open(path) as image:
                title = str(getattr(image, "text", {}).get("Title", "")).strip()
        except OSError:
            title = ""
        if title:
            return title
    words = path.stem.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=False, **{k: np.asarray(v) for k, v in arrays.items()})
    atomic_write_bytes(path, buf.getvalue())


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
