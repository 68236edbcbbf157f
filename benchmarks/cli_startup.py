"""Start-up time of the command line against `python -c "import torch"`, side by side.

`roughgrad --version`, `list` and `describe NAME` read the experiment catalog and import neither
torch nor any experiment, so they should take a fraction of torch's import time (targets:
`--version` < 0.5x, `list` <= 1.2x). Each command runs ``--repeats`` times, interleaved with the
torch import so that both see the same machine load; medians are compared. Prints a table and,
last, one JSON object whose ``ratio_*`` fields are torch's time over the command's (> 1: the
command is faster). Run by hand:

    python benchmarks/cli_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "version": ["--version"],
    "list": ["list"],
    "describe": ["describe", "digits-bnn"],
    "help": ["--help"],
}


def seconds(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    exe = shutil.which("roughgrad") or sys.exit("roughgrad is not on PATH: pip install -e .")
    times: dict[str, list[float]] = {"import torch": [], **{k: [] for k in COMMANDS}}
    for _ in range(repeats):
        times["import torch"].append(seconds([sys.executable, "-c", "import torch"]))
        for name, argv in COMMANDS.items():
            times[name].append(seconds([exe, *argv]))
    median = {k: statistics.median(v) for k, v in times.items()}
    base = median["import torch"]
    print(f"{'command':<30}{'median s':>10}{'x import torch':>16}")
    for name, value in median.items():
        label = name if name == "import torch" else f"roughgrad {' '.join(COMMANDS[name])}"
        print(f"{label:<30}{value:>10.3f}{value / base:>16.2f}")
    result = {f"seconds_{k.replace(' ', '_')}": v for k, v in median.items()}
    ratios = {f"ratio_{k}": base / median[k] for k in COMMANDS}
    print(json.dumps({**result, **ratios, "repeats": repeats}))


if __name__ == "__main__":
    main()
