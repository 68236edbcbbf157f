"""Can gradient descent learn the frequency of sin(f x), and what does?

Question: the one-parameter model y = sin(f x) matches the target sin(31 x) exactly at f = 31.
Trained as in the write-up (f ~ N(0, 1), x ~ U[-1000, 1000], batch 32, SGD lr 1e-4, MSE), does
it ever find f = 31? Why not, and what recovers f* instead?

Why: near f* the loss curvature is L''(f*) ~= x_max^2 / 3 (3.3e5 at x_max = 1000), so SGD is
stable only for lr < 6 / x_max^2 (6e-6): lr 1e-4 diverges even started next to the answer. And
the gradient points toward f* only within |f - f*| < 4.49 / x_max (0.0045) of it.

Remedies: (a) spectral initialisation (a periodogram of the samples, coarse-to-fine least
squares, then L-BFGS refinement of the model) -- the main one; (b) a gradient-only curriculum
that grows the input range from 1 / max_freq (where every frequency of the prior range has its
basin around it) to full, with lr kept at half the stability limit.
Every gradient method sees only the data: the model is sum_k c_k1 sin(f_k x) + c_k2 cos(f_k x),
whose coefficients (every amplitude and phase) start at zero and are learned with f, and every
learning rate comes from the data's own curvature: the stability limit 6 / (s^2 x_max^2) at
the amplitude bound s = sqrt(2 mean y^2) of the samples (``periodic.amplitude_bound``), which
is never below the true amplitude. Since that model fits -f exactly as well as f, recovery
counts |f|. The spectral fit estimates everything too.

Claims checked:
  sgd_fails                    at most 10% of random inits reach |f - f*| < tolerance with SGD;
  adam_fails                   the same with Adam;
  sgd_unstable_near_answer     SGD at the write-up's lr, started inside the basin, moves away;
  stable_lr_converges          SGD at half the data's stability limit from the same starts
                               converges;
  spectral_recovers            every init recovers f* to within 1e-6 relative (or, with noise,
                               within 5 Cramer-Rao standard deviations if that is larger);
  curriculum_recovers          the growing-range curriculum recovers f* in >= 90% of inits;
  curriculum_recovers_prior_range  ... at every point of a sweep over f* from 1 to 1150
                               (< max_freq), amplitude 0.3 to 3 and phase 0 to pi/2: its start
                               range 1 / max_freq and stage length come from the prior range of
                               f and the step budget, its learning rates from the data, never
                               from f* or the amplitude. The sweep also measures where SGD,
                               Adam, annealed Gaussian smoothing and the spectral fit recover f*
                               (metrics sweep_*).
Measured range of the curriculum: one sine, amplitude 0.3-3, phase 0-pi/2, noise up to 0.2,
f* up to 1150 (quick and default profiles); a mixture of three sines (31, 97, 250) is recovered
in 3 of 8 inits at 2,000 steps and 7 of 8 at 20,000 (quick profile with
components=97,0.5,1.0,250,0.8,-0.3): two coefficient pairs can settle on one frequency.
(Two identities are unit tests, not claims: the curvature L''(f*) = x_max^2 / 3
(tests/test_periodic.py), and that the write-up's model sin(f x) with f set to f* has zero loss
on sin(31 x) (tests/test_experiments.py). The metric exact_freq_loss reports the latter for the
configured target, which is above 0 once the target has a phase, noise or more components.)

Source: write-up 000 ("Nevermind XOR - Deep Learning has an issue with Sin"), sections
"Simplifying the problem", "Why can't we train the sin?" and "What to do about it?".
"""

from __future__ import annotations

from roughgrad.experiments.base import (
    ClaimSpec,
    Experiment,
    Floor,
    counterexample,
)
from roughgrad.experiments.sin_frequency.config import PROFILES, Config
from roughgrad.experiments.sin_frequency.figures import figures, objective
from roughgrad.experiments.sin_frequency.run import run

__all__ = ["CLAIMS", "EXPERIMENT", "PROFILES", "Config", "figures", "objective", "run"]


# a target SGD can learn: f* = 1 on x in [-2, 2], whose basin (4.49 / x_max) holds most
# N(0, 1) starts, at an lr below the stability limit 6 / x_max^2 (on [-1, 1] the sine is
# nearly linear and f trades off against the learned amplitude)
# counterexamples of claims other than the sweep's skip the sweep (it has its own claim)
_NO_SWEEP: dict = {"sweep_freqs": ()}


_EASY = {"target_freq": 1.0, "x_range": 2.0, "lr": 0.1, "max_freq": 10.0, **_NO_SWEEP}


CLAIMS = (
    ClaimSpec(
        "sgd_fails",
        "SGD at the write-up's lr recovers f* in at most 10% of random inits",
        (counterexample("f* = 1 on x in [-2, 2]: the basin holds the starts", **_EASY),),
    ),
    ClaimSpec(
        "adam_fails",
        "Adam recovers f* in at most 10% of random inits",
        (counterexample("f* = 1 on x in [-2, 2]: the basin holds the starts", **_EASY),),
    ),
    ClaimSpec(
        "sgd_unstable_near_answer",
        "SGD at the configured lr, started within near_offset of f*, ends farther away",
        (counterexample("lr 1e-6 is below the stability limit 6e-6", lr=1e-6, **_NO_SWEEP),),
    ),
    ClaimSpec(
        "stable_lr_converges",
        "SGD at half the data's stability limit, started near f*, recovers f* in >= 90% of inits",
        (
            counterexample(
                "starts 0.1 from f* lie outside the 0.0045 basin", near_offset=0.1, **_NO_SWEEP
            ),
        ),
    ),
    ClaimSpec(
        "spectral_recovers",
        "spectral init + L-BFGS recovers every frequency to 1e-6 (or 5 Cramer-Rao stds)",
        (
            counterexample(
                "16 samples at noise 3 (SNR -9.5 dB) cannot pin the frequency",
                noise=3.0,
                n_samples=16,
                **_NO_SWEEP,
            ),
        ),
    ),
    ClaimSpec(
        "curriculum_recovers",
        "the growing-range curriculum recovers f* in >= 90% of inits",
        (
            counterexample(
                "a start range of 0.01 set by hand: f* x 0.01 = 7 rad is outside the basin",
                target_freq=700.0,
                curriculum_start=0.01,
                **_NO_SWEEP,
            ),
        ),
    ),
    ClaimSpec(
        "curriculum_recovers_prior_range",
        "the data-derived curriculum recovers >= 90% of inits at every swept (f*, amplitude, "
        "phase) up to max_freq",
        (
            counterexample(
                "a start range of 0.01 set by hand: f* x 0.01 > 4.49 rad from f* = 700 up",
                curriculum_start=0.01,
            ),
        ),
    ),
)


EXPERIMENT = Experiment(
    source="write-up 000, 'Simplifying the problem'",
    summary="SGD and Adam cannot find f in sin(f x); spectral init and a curriculum do",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    objective=objective,
    health=(
        Floor(
            "1 - |measured curvature L''(f*) / its closed form (A^2 x_max^2 / 3 for "
            "f* x_max >> 1) - 1| (the landscape is the usual one)",
            lambda m: 1 - abs(m["curvature_at_fstar"] / m["curvature_predicted"] - 1),
            0.9,
        ),
    ),
)
