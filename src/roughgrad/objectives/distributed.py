"""An estimator's population evaluated by Ray actors: for simulators too expensive for one machine.

Every estimator asks its objective for a population of losses (``population`` or, for node
perturbation, ``node_population``) with the members along dim 0.
[`Distributed`][roughgrad.objectives.distributed.Distributed] wraps an objective so that call is
split into one contiguous chunk of members per actor of a
[`PopulationPool`][roughgrad.objectives.distributed.PopulationPool]; the actors evaluate their
chunks in parallel and the losses are joined in order. The noise is drawn by the estimator in the
driver before the split, so a distributed estimate equals the in-process one up to floating-point
reassociation (the tests check this).

The actors live as long as the pool: each keeps its own torch threads, caches and compiled
kernels (e.g. the Hodgkin-Huxley network's ``torch.compile``'d time step) warm across calls;
each call ships the objective (its model settings and minibatch, placed once in Ray's object
store and shared by all actors), the parameters and the actor's chunk.

    >>> with PopulationPool(actors=2) as pool:  # doctest: +SKIP
    ...     est = GaussianSmoothing(sigma=0.1, num_samples=64)
    ...     e = est(distributed(objective, pool), params, generator=g)

Ray is optional (``pip install 'roughgrad[ray]'``); a pool starts a local Ray instance unless
Ray is already initialised or ``address`` names a cluster (whose nodes need roughgrad installed).
"""

from __future__ import annotations

import itertools
import socket
from typing import Any

import torch
from torch import Tensor

from roughgrad._types import Params
from roughgrad.objectives.base import NodePerturbable, Objective


def import_ray() -> Any:
    """The ray module, or an ImportError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ImportError(
            "distributing a population needs Ray, which is not installed: "
            "pip install 'roughgrad[ray]'"
        ) from None
    return ray


def init_ray(address: str | None, num_cpus: int) -> bool:
    """Start a local Ray of ``num_cpus`` CPUs, or connect to the cluster at ``address``, unless
    Ray is already initialised; return whether this call started it. An unreachable
    ``host:port`` fails within seconds with a one-line ConnectionError (Ray itself would retry
    for minutes)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    if not address:
        ray.init(num_cpus=num_cpus, **quiet)
        return True
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if sep and port.isdigit():
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
        except OSError as exc:
            raise ConnectionError(
                f"cannot reach Ray at {address}: {exc.strerror or exc}; "
                "start one with `ray start --head` or check the address"
            ) from None
    ray.init(address=address, **quiet)
    return True


class _Evaluator:
    """A Ray actor: evaluates one chunk of a population with its own torch threads."""

    def __init__(self, threads: int) -> None:
        torch.set_num_threads(threads)

    def ready(self) -> bool:
        return True

    def run(
        self, objective: Objective, method: str, params: Params, chunk: Params, kwargs: dict
    ) -> Any:
        return getattr(objective, method)(params, chunk, **kwargs)


class PopulationPool:
    """``actors`` Ray actors of ``threads`` torch threads each; a context manager.

    Args:
        actors: number of actors (population chunks evaluated in parallel), >= 1.
        threads: torch threads (and Ray CPUs) per actor, >= 1.
        address: an existing Ray cluster ("auto" or "host:port"); None starts a local instance
            of ``actors * threads`` CPUs unless Ray is already initialised.
    """

    def __init__(self, actors: int = 2, *, threads: int = 1, address: str | None = None) -> None:
        if actors < 1 or threads < 1:
            raise ValueError(f"actors and threads must be >= 1, got {actors} and {threads}")
        ray = import_ray()
        self._started = init_ray(address, actors * threads)
        free = ray.available_resources().get("CPU", 0)
        if free < actors * threads:  # actors would wait for CPUs forever
            if self._started:
                ray.shutdown()
            raise RuntimeError(
                f"Ray has {free:g} free CPUs; {actors} actors of {threads} thread(s) need "
                f"{actors * threads}: use fewer actors or a larger cluster"
            )
        actor = ray.remote(num_cpus=threads)(_Evaluator)
        self.actors = [actor.remote(threads) for _ in range(actors)]
        ray.get([a.ready.remote() for a in self.actors])  # placed: their CPUs are now reserved
        self._ray = ray

    @property
    def size(self) -> int:
        return len(self.actors)

    def map(
        self,
        objective: Objective,
        method: str,
        params: Params,
        chunks: list[Params],
        **kwargs: Any,
    ) -> list:
        """``getattr(objective, method)(params, chunk, **kwargs)`` per chunk, one actor each,
        results in chunk order."""
        ray = self._ray
        obj_ref, params_ref = ray.put(objective), ray.put(params)
        refs = [
            self.actors[i % self.size].run.remote(obj_ref, method, params_ref, chunk, kwargs)
            for i, chunk in enumerate(chunks)
        ]
        return ray.get(refs)

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)
        self.actors = []
        if self._started:
            self._ray.shutdown()

    def __enter__(self) -> PopulationPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def split_members(tensors: dict[str, Tensor], parts: int) -> list[dict[str, Tensor]]:
    """Split every tensor's dim 0 (the members) into up to ``parts`` contiguous chunks."""
    size = next(iter(tensors.values())).shape[0]
    bounds = torch.linspace(0, size, min(parts, size) + 1).round().long().tolist()
    return [{k: v[lo:hi] for k, v in tensors.items()} for lo, hi in itertools.pairwise(bounds)]


class Distributed(Objective):
    """``objective`` with its population split across the actors of ``pool``."""

    def __init__(self, objective: Objective, pool: PopulationPool) -> None:
        self.objective, self.pool = objective, pool

    def __call__(self, params: Params) -> Tensor:
        return self.objective(params)

    def population(
        self, params: Params, deltas: Params, *, chunk_size: int | None = None
    ) -> Tensor:
        chunks = split_members(deltas, self.pool.size)
        parts = self.pool.map(self.objective, "population", params, chunks, chunk_size=chunk_size)
        return torch.cat(parts)


class DistributedNode(Distributed, NodePerturbable):
    """[`Distributed`][roughgrad.objectives.distributed.Distributed] for a node-perturbable
    objective: its noisy populations are split too (member 0, the noise-free network, is in the
    first chunk, whose layer inputs are returned)."""

    objective: Any  # Objective and NodePerturbable

    def node_population(
        self, params: Params, noise: dict[str, Tensor]
    ) -> tuple[Tensor, dict[str, Tensor]]:
        parts = self.pool.map(
            self.objective, "node_population", params, split_members(noise, self.pool.size)
        )
        return torch.cat([losses for losses, _ in parts]), parts[0][1]

    def node_layers(self) -> dict[str, tuple[str, str | None, int]]:
        return self.objective.node_layers()

    def node_batch_size(self) -> int:
        return self.objective.node_batch_size()


def distributed(objective: Objective, pool: PopulationPool) -> Distributed:
    """Wrap ``objective`` so that its populations are evaluated by ``pool``'s actors, keeping
    the node-perturbation capability when the objective has it."""
    if isinstance(objective, NodePerturbable):
        return DistributedNode(objective, pool)
    return Distributed(objective, pool)
