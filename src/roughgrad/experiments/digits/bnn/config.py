"""The digits-bnn settings: the HH classifier's config (shared with bnn-gradient-fit), profiles and
timeframes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from roughgrad.experiments.base import (
    ConfigError,
    param,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.neurons import NEURONS
from roughgrad.neurons.backends import resolve_layered as resolve_backend
from roughgrad.neurons.layered import HHNet
from roughgrad.objectives.hh_classifier import HHClassifier


@dataclass(frozen=True)
class HHConfig(_digits.DigitsConfig):
    """The HH classifier's simulation settings, shared by digits-bnn and bnn-gradient-fit."""

    objective_type: ClassVar[type] = HHClassifier
    steps: int = param(1000, "simulation steps per trial (the write-up: 1000)", ge=1)
    dt_short: float = param(0.01, "short timeframe: ms per step (1000 steps: 10 ms)", gt=0, le=0.1)
    dt_long: float = param(0.1, "long timeframe: ms per step (1000 steps: 100 ms)", gt=0, le=0.1)
    scale: float = param(40.0, "input current per unit of pre-activation (uA/cm^2)", gt=0)
    tau_syn: float = param(5.0, "synaptic time constant (ms)", gt=0)
    readout: Literal["voltage", "membrane", "spikes"] = param(
        "membrane",
        "output: mollified voltage, mean membrane potential (both differentiable) or spike counts",
    )
    loss: Literal["mse", "cross_entropy"] = param("cross_entropy", "loss on the readout")
    neuron: Literal["hh", "lif", "izhikevich"] = param(
        "hh",
        "the neuron model (roughgrad.neurons.NEURONS): hh, or lif / izhikevich on the torch "
        "backend (their activity is their spike rate; scale sets their drive)",
    )
    synapse: Literal["current", "conductance"] = param(
        "current",
        "current: a unit's pre-activation z is an input current scale * z; conductance: it "
        "opens g_scale * |z| mS/cm^2 towards 0 mV (z > 0) or -80 mV (z < 0), on the torch backend",
    )
    g_scale: float = param(0.6, "mS/cm^2 per unit of pre-activation (synapse=conductance)", gt=0)

    def hh_net(self, dt: float, steps: int | None = None, **backends: str) -> HHNet:
        """The simulation settings at ``dt`` (``steps`` or the configured count), with the
        caller's ``backend`` / ``autograd_backend`` (torch for a neuron other than hh or for
        conductance synapses)."""
        common = dict(
            steps=steps or self.steps, dt=dt, scale=self.scale, tau_syn=self.tau_syn,
            readout=self.readout, synapse=self.synapse, g_scale=self.g_scale,
        )  # fmt: skip
        if self.neuron != "hh" or self.synapse == "conductance":
            neuron = NEURONS[self.neuron]() if self.neuron != "hh" else None
            return HHNet(**common, backend="torch", autograd_backend="torch", neuron=neuron)  # type: ignore[arg-type]
        if "backend" in backends:  # "auto": the fused kernel where it builds, else torch
            backends["backend"] = resolve_backend(backends["backend"], "hh")
        return HHNet(**common, **backends)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Config(HHConfig):
    methods: tuple[str, ...] = param(
        ("autodiff", "autodiff_clipped", "node_perturbation"), "methods to train with"
    )
    dt_mid: float = param(0.05, "mid timeframe: ms per step (1000 steps: 50 ms)", gt=0, le=0.1)
    timeframe_by: Literal["dt", "steps"] = param(
        "dt",
        "how timeframes differ: dt (steps steps of dt_<timeframe>, the write-up) or steps (every "
        "timeframe at dt_short, with steps x dt_<timeframe> / dt_short steps: the same "
        "durations without the coarser integration)",
    )
    compile: bool = param(
        True, "run autodiff's simulations in torch.compile'd chunks (faster once compiled)"
    )
    backend: Literal["auto", "torch", "compile", "fused"] = param(
        "auto",
        "forward-only simulations (estimators' populations, evaluation): fused (one C loop per "
        "network, CPU), compile or torch (any device); auto: fused where its C kernel builds, "
        "else torch with a notice",
    )
    timeframes: tuple[str, ...] = param(
        ("short", "long"),
        "timeframes to train on: short, mid and/or long (steps x dt_short, dt_mid, dt_long)",
    )
    surrogate: float = param(
        10.0, "autodiff_surrogate: width (mV) of the fast-sigmoid pseudo-derivative", gt=0
    )
    batch_size: int = param(32, "examples per update", ge=1)
    samples: int = param(10, "S: perturbed networks per estimate (the other estimators)", ge=2)
    estimator_options: tuple[str, ...] = param(
        (
            "node_perturbation.num_samples=110",
            "node_perturbation.directions=coordinates",
            "node_perturbation.layerwise=false",
            "local_regression.sigma=0.15",
            "gaussian_smoothing.sigma=0.15",
        ),
        "per-method estimator options, method.option=value. Node perturbation: one network "
        "per hidden and output unit (num_samples 110, coordinates; each simulated as its "
        "perturbed neuron plus the outputs: 110 cost as much as 11 whole networks), all "
        "layers in one population; with coordinates one unit moves by sigma sqrt(layer "
        "width). Local regression: the write-up's sigma 0.15",
    )
    epochs: float = param(4.0, "passes over the training set per method", gt=0)
    lr: float = param(0.004, "Adam learning rate (without lrs; setting it alone clears lrs)", gt=0)
    lrs: tuple[float, ...] = param(
        (0.001, 0.004, 0.016),
        "learning rates searched per method and timeframe on validation (bracketed; empty: lr "
        "only)",
        gt=0,
        le=10,
    )
    search_epochs: float = param(
        1.0,
        "compare the searched rates after this many epochs, then train the winner for epochs "
        "(0: every rate trains for epochs)",
        ge=0,
    )
    lr_schedule: Literal["constant", "cosine"] = param("cosine", "learning rate over training")
    sigma_sweep: tuple[float, ...] = param(
        (0.003,), "extra sigmas for the sweep method on the long timeframe", gt=0
    )
    sweep_method: Literal[
        "node_perturbation", "local_regression", "gaussian_smoothing", "node_perturbation_time"
    ] = param("node_perturbation", "the estimator of the sigma sweep")
    clip: float = param(1.0, "autodiff_clipped: max gradient norm", gt=0)
    evaluations: int = param(7, "test-accuracy evaluations over training", ge=2)
    dir_dts: tuple[float, ...] = param((0.01, 0.05, 0.1), "dt values of Loss Along Dir", gt=0)
    dir_readouts: tuple[str, ...] = param(
        ("membrane", "voltage"),
        "readouts of Loss Along Dir; the first one's roughness is the claim (membrane: the "
        "trained readout; voltage: the write-up's spike-driven readout)",
    )
    dir_points: int = param(200, "points along the direction", ge=11)
    dir_batch: int = param(10, "training examples in the Loss Along Dir loss", ge=1)

    @classmethod
    def allowed_methods(cls) -> tuple[str, ...]:
        return _digits.AUTODIFF + _digits.estimator_methods(cls.objective_type)

    def validate(self) -> None:
        super().validate()
        if not self.timeframes or set(self.timeframes) - set(TIMEFRAMES):
            raise ConfigError(
                f"timeframes={','.join(self.timeframes)} is not allowed: choose one or more of "
                + ", ".join(TIMEFRAMES)
            )
        allowed = ("voltage", "membrane", "spikes")
        bad = [r for r in self.dir_readouts if r not in allowed]
        if bad or not self.dir_readouts:
            raise ConfigError(
                f"dir_readouts={','.join(self.dir_readouts)} is not allowed: choose one or more "
                f"of {', '.join(allowed)}"
            )


PROFILES = {
    "quick": {  # 1 ms and 2 ms trials: every method trains to 85-93% in seconds
        "steps": 20,
        "dt_short": 0.05,
        "hidden": 32,
        "max_train": 1437,
        "methods": ("autodiff", "node_perturbation"),
        "epochs": 2.0,
        "lrs": (0.01, 0.03, 0.1),
        "search_epochs": 0.5,
        "lr_extend": 2,
        "estimator_options": (
            "node_perturbation.num_samples=42",
            "node_perturbation.directions=coordinates",
            "node_perturbation.layerwise=false",
            "local_regression.sigma=0.15",
            "gaussian_smoothing.sigma=0.15",
        ),
        "evaluations": 3,
        "compile": False,
        "sigma_sweep": (1.0,),  # a sigma far too large: the claim is computed (and fails)
        "dir_points": 21,
        "dir_batch": 4,
    },
    "default": {},
    "full": {"epochs": 12.0, "sigma_sweep": (0.003, 0.03)},
}


TIMEFRAMES = ("short", "mid", "long")


def _timeframes(config: Config) -> list[tuple[str, float, int]]:
    """The configured timeframes as (label, dt, steps), shortest first: ``steps`` steps of
    dt_<label>, or with ``timeframe_by="steps"`` the same duration in steps of dt_short."""
    out = []
    for t in TIMEFRAMES:
        if t in config.timeframes:
            dt = getattr(config, f"dt_{t}")
            if config.timeframe_by == "steps":
                out.append((t, config.dt_short, round(config.steps * dt / config.dt_short)))
            else:
                out.append((t, dt, config.steps))
    return out


def _duration(config: Config, label: str) -> float:
    """The timeframe's length in ms."""
    return config.steps * getattr(config, f"dt_{label}")
