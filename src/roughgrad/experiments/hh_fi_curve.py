"""Does the simulator reproduce the textbook Hodgkin-Huxley neuron?

Question: before any landscape is trusted, the simulator must be a Hodgkin-Huxley neuron. The
firing rate of one noiseless neuron against a constant current 0-50 uA/cm^2 (the f-I curve)
is compared with the textbook: repetitive firing starts near 6.2 uA/cm^2 (a jump from 0 to
about 50 Hz: a type II neuron), and the rate at 10 uA/cm^2 is about 68 Hz.

Claims checked:
  rate_at_10_textbook   the rate at 10 uA/cm^2 is within 3 Hz of 68 Hz;
  rheobase_textbook     repetitive firing starts between 5.5 and 7 uA/cm^2;
  type_ii_onset         the first firing rate above the onset is > 30 Hz (no slow start).
(The resting potential, -65 mV by the model's parameters, is reported as a metric and checked
in tests/test_neurons.py.)

Source: write-up 003 (the neuron model of "Most Simple Case"); validation the write-up assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    ConfigBase,
    ConfigError,
    Context,
    Experiment,
    Floor,
    Outcome,
    counterexample,
    param,
)
from roughgrad.neurons import NEURONS, HodgkinHuxley, simulate
from roughgrad.neurons.hh import MAX_DT, SimulationError, check_dt


@dataclass(frozen=True)
class Config(ConfigBase):
    i_max: float = param(50.0, "largest input current (uA/cm^2)", gt=0)
    i_step: float = param(0.25, "current grid spacing (uA/cm^2)", gt=0)
    duration_ms: float = param(1000.0, "simulated time per current (ms)", gt=0)
    transient_ms: float = param(200.0, "initial time excluded from the rate (ms)", ge=0)
    dt: float = param(0.01, "time step (ms); stable up to 0.1", gt=0, le=MAX_DT["exponential"])
    method: Literal["exponential", "euler"] = param("exponential", "integrator")
    model: Literal["hh", "izhikevich", "lif"] = param(
        "hh",
        "the neuron: Hodgkin-Huxley (the write-up's), or a regular-spiking Izhikevich or a LIF "
        "neuron from the registry, for comparison",
    )

    def validate(self) -> None:
        try:
            check_dt(self.dt, self.method)
        except SimulationError as exc:
            raise ConfigError(str(exc)) from None


_NAMES = {"hh": "Hodgkin-Huxley", "izhikevich": "Izhikevich", "lif": "LIF"}

PROFILES = {
    "quick": {"i_step": 1.0, "duration_ms": 400.0, "transient_ms": 100.0, "dt": 0.025},
    "default": {"dt": 0.025},
    "full": {},
}


def run(config: Config, ctx: Context) -> Outcome:
    currents = torch.arange(0.0, config.i_max + 1e-9, config.i_step, device=ctx.device)
    steps = round(config.duration_ms / config.dt)
    transient = round(config.transient_ms / config.dt)
    hh = config.model == "hh"
    neuron = HodgkinHuxley(method=config.method) if hh else NEURONS[config.model]()
    res = simulate(
        neuron, None, torch.ones_like(currents) * currents, steps=steps, dt=config.dt,
        transient=transient,
    )  # fmt: skip
    window = config.duration_ms - config.transient_ms
    rate = (res.rates_hz(window)).cpu().numpy()
    cur = currents.cpu().numpy()
    firing = rate > 1000.0 / window * 1.5  # at least two spikes in the window: repetitive
    onset = float(cur[np.argmax(firing)]) if firing.any() else float("nan")
    first_rate = float(rate[np.argmax(firing)]) if firing.any() else 0.0
    r10 = float(np.interp(10.0, cur, rate))
    quiet = simulate(
        config.model, None, torch.zeros(1), steps=round(200 / config.dt), dt=config.dt,
        record=["v"],
    )  # fmt: skip
    assert quiet.v is not None  # recorded
    rest = quiet.v[-1, 0].item()
    metrics = {
        "rate_hz_at_10": r10,
        "rheobase_uA": onset,
        "first_rate_hz": first_rate,
        "resting_potential_mV": rest,
        "neuron_steps": int(steps * len(currents)),
        "max_rate_hz": float(rate.max()),
    }
    claims = [
        Claim(
            "rate_at_10_textbook",
            abs(r10 - 68.0) <= 3.0,
            f"{r10:.1f} Hz at 10 uA/cm^2 (textbook ~68 Hz; dt {config.dt:g} ms)",
        ),
        Claim(
            "rheobase_textbook",
            5.5 <= onset <= 7.0,
            f"repetitive firing from {onset:g} uA/cm^2 (grid {config.i_step:g}; textbook ~6.2)",
        ),
        Claim(
            "type_ii_onset", first_rate > 30.0, f"the first rate above onset is {first_rate:.1f} Hz"
        ),
    ]
    return Outcome(metrics, claims, {"current": cur, "rate": rate})


def figures(outcome: Outcome, config: Config) -> dict:
    import matplotlib.pyplot as plt

    a = outcome.arrays
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(a["current"], a["rate"], marker=".", lw=1)
    ax.axvline(outcome.metrics["rheobase_uA"], color="gray", ls=":", lw=1, label="onset")
    ax.plot([10], [68], "r*", ms=10, label="textbook: 68 Hz at 10 uA/cm^2")
    ax.set(
        xlabel="input current (uA/cm^2)",
        ylabel="firing rate (Hz)",
        title=f"{_NAMES[config.model]} f-I curve (dt {config.dt:g} ms, {config.method} Euler)",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return {"fi_curve": fig}


CLAIMS = (
    ClaimSpec(
        "rate_at_10_textbook",
        "the rate at 10 uA/cm^2 is within 3 Hz of 68 Hz",
        (
            counterexample(
                "a 40 ms window with its onset spike counts 3 spikes: 75 Hz (a rate resolved "
                "to 25 Hz)",
                duration_ms=40.0,
                transient_ms=0.0,
            ),
        ),
    ),
    ClaimSpec(
        "rheobase_textbook",
        "repetitive firing starts between 5.5 and 7 uA/cm^2",
        (counterexample("a 5 uA/cm^2 grid cannot place the onset", i_step=5.0),),
    ),
    ClaimSpec(
        "type_ii_onset",
        "the first rate above onset is > 30 Hz (no slow start)",
        (
            counterexample(
                "a regular-spiking Izhikevich neuron is type I: it starts firing at a few Hz",
                model="izhikevich",
            ),
        ),
    ),
)

HEALTH = (Floor("the highest firing rate in the sweep (Hz)", lambda m: m["max_rate_hz"], 10.0),)

EXPERIMENT = Experiment(
    source="write-up 003, 'Most Simple Case' (the neuron model)",
    summary="the simulator's f-I curve against the textbook Hodgkin-Huxley neuron",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=HEALTH,
    alone="its HH populations use every core",
)
