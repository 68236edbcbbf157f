"""Which models follow a decaying oscillation outside the training range?

Question (seed 001, "Fitting on a Decaying Signal"; the section has only its title): trained on
the seed's split of y = exp(-|x| / tau) sin(x) (tau = 20: the amplitude falls from 1 at x = 0
to 0.08 at |x| = 50), does Snake -- or any baseline -- continue the decay outside the training
blocks? A periodic model cannot: its amplitude is the same everywhere. Our ``spectral_envelope``
model is y = carrier(x) * exp(g(x)), the carrier a PeriodicMLP on the periodogram's frequency,
g a ReLU MLP, so the log-amplitude continues along a straight line: exponential decay is
extrapolated.

Claims checked:
  envelope_beats_snake_10x            spectral_envelope's median held-out MSE <= Snake's / 10;
  periodic_carrier_misses_decay       the purely periodic spectral model is >= 10x worse than
                                      spectral_envelope (the envelope is what matters);
  snake_beats_zero                    Snake's held-out MSE is below predicting 0 everywhere.

Source: seed 001, "Fitting on a Decaying Signal".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    Context,
    Experiment,
    Outcome,
    counterexample,
    param,
)
from roughgrad.experiments.snake.common import (
    FULL,
    QUICK,
    FitConfig,
    fit_arrays,
    fit_figures,
    fit_metrics,
    fit_models,
    make_split,
)


@dataclass(frozen=True)
class Config(FitConfig):
    tau: float = param(20.0, "decay length: y = exp(-|x|/tau) sin(x)", gt=0)
    models: tuple[str, ...] = param(
        ("snake", "relu", "tanh", "spectral", "spectral_envelope"), "models to train"
    )
    animate: tuple[str, ...] = param(
        ("snake", "spectral_envelope"), "models shown in the training GIF"
    )


PROFILES: dict[str, dict[str, Any]] = {
    "quick": {**QUICK, "models": ("snake", "spectral", "spectral_envelope")},
    "default": {},
    "full": FULL,
}


def run(config: Config, ctx: Context) -> Outcome:
    split = make_split(config, reverse=False, signal="decay", tau=config.tau)
    fits = fit_models(config, split, config.models, ctx, animate=config.animate)
    m = fit_metrics(fits, split)
    claims = []
    if "snake" in fits and "spectral_envelope" in fits:
        s, e = m["test_mse_snake"], m["test_mse_spectral_envelope"]
        claims.append(
            Claim(
                "envelope_beats_snake_10x",
                e <= s / 10,
                f"median held-out MSE: spectral_envelope {e:.3g}, Snake {s:.3g} "
                f"(ratio {s / max(e, 1e-300):.3g})",
            )
        )
    if "spectral" in fits and "spectral_envelope" in fits:
        p, e = m["test_mse_spectral"], m["test_mse_spectral_envelope"]
        claims.append(
            Claim(
                "periodic_carrier_misses_decay",
                p >= 10 * e,
                f"median held-out MSE: periodic only {p:.3g}, with envelope {e:.3g}",
            )
        )
    if "snake" in fits:
        s, z = m["test_mse_snake"], m["zero_predictor_test_mse"]
        claims.append(
            Claim("snake_beats_zero", s < z, f"Snake {s:.3g} vs predicting 0 everywhere {z:.3g}")
        )
    return Outcome(m, claims, fit_arrays(fits, split, config.frame_every))


def figures(outcome: Outcome, config: Config) -> dict:
    title = f"exp(-|x|/{config.tau:g}) sin(x): train (blue) / held-out (orange)"
    return fit_figures(outcome, title)


CLAIMS = (
    ClaimSpec(
        "envelope_beats_snake_10x",
        "spectral_envelope's median held-out MSE is <= Snake's / 10",
        (
            counterexample(
                "tau = 2: the signal is gone outside |x| < 10, and the envelope's exp(g) "
                "overshoots where Snake stays near 0",
                tau=2.0,
            ),
        ),
    ),
    ClaimSpec(
        "periodic_carrier_misses_decay",
        "the purely periodic spectral model is >= 10x worse than spectral_envelope",
        (counterexample("tau = 1e6: no decay left for the envelope to add", tau=1e6),),
    ),
    ClaimSpec(
        "snake_beats_zero",
        "Snake's held-out MSE is below predicting 0 everywhere",
        (counterexample("Snake with a = 0.01 is nearly x + a x^2: it grows away", snake_a=0.01),),
    ),
)

EXPERIMENT = Experiment(
    name="snake-decay",
    source="seed 001, Fitting on a Decaying Signal",
    summary="A decaying sine: Snake misses the decay; a spectral carrier times a ReLU log-envelope",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
)
