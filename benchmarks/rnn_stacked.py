"""rnn-frequency-halving's jobs: every seed of a (cell, mode) stacked against one run per seed.

    python benchmarks/rnn_stacked.py [--quick] [--steps N] [--seeds S]

For each (cell, mode) of the experiment's default profile, the time of one stacked job
(``train_stacked`` + the stacked rollouts: all seeds as one model, the C window and burn-in
kernels) against the peer, the unstacked job it replaced: ``train_one`` per seed (torch's own
GRU/LSTM modules, the Python-loop sigmoid RNN) and ``rollout`` / ``long_rollout`` per seed.
One thread, as in the experiment's worker processes. ``--steps`` (default 800, a tenth of the
default profile's updates) keeps the peer's side short; the evaluations are the default
profile's.

The last line is JSON; ``ratio_*`` are the peer's seconds over roughgrad's (> 1: ahead).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from roughgrad.experiments.rnn_frequency_halving import Config, long_rollout, rollout, train_one
from roughgrad.experiments.rnn_frequency_halving.config import CARRIED
from roughgrad.experiments.rnn_frequency_halving.train import _job


def unstacked(cell: str, mode: str, seeds: list[int], config: Config) -> None:
    for seed in seeds:
        model, _ = train_one(cell, mode, seed, config)
        rollout(model, config, seed, control=mode == "control")
        if mode in CARRIED and config.long_eval:
            long_rollout(model, config, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 updates, 2 seeds")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    steps, n = (100, 2) if args.quick else (args.steps, args.seeds)
    torch.set_num_threads(1)
    config = Config(steps=steps, seeds=n)
    seeds = list(range(n))
    _job("gru", "reset", seeds[:1], Config(steps=2))  # loads (or compiles) the kernels
    print(f"{'cell':5} {'mode':11} {'stacked s':>10} {'one per seed s':>15} {'ratio':>6}")
    totals = {"stacked": 0.0, "peer": 0.0}
    result: dict[str, float | int] = {"steps": steps, "seeds": n}
    for cell in config.cells:
        for mode in config.modes:
            start = time.perf_counter()
            _job(cell, mode, seeds, config)
            mid = time.perf_counter()
            unstacked(cell, mode, seeds, config)
            end = time.perf_counter()
            ours, peer = mid - start, end - mid
            totals["stacked"] += ours
            totals["peer"] += peer
            result[f"ratio_{cell}_{mode}"] = peer / ours
            print(f"{cell:5} {mode:11} {ours:10.1f} {peer:15.1f} {peer / ours:6.1f}", flush=True)
    ratio = totals["peer"] / totals["stacked"]
    print(f"{'all':17} {totals['stacked']:10.1f} {totals['peer']:15.1f} {ratio:6.1f}")
    result.update(
        stacked_seconds=totals["stacked"], peer_seconds=totals["peer"], ratio_all_jobs=ratio
    )
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
