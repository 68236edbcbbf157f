"""Which model forecasts which periodic signal? Spectral models choose their own number of sines.

Question (write-up 001 tries sin(x), a decaying sine and, commented out, sin(x) + sin(x/3) +
sin(3x); write-up 000 asks for "a form of Fourier transform"): on signals beyond one sine --
a mixture of three, a sawtooth, sin(x) under noise, a quasi-periodic sum, and two real series
-- which model predicts the held-out part, and can the spectral model pick how many sines it
needs from the training data alone? On real series, does any periodic model beat the simple
forecasts (repeat the last cycle, an autoregressive model)?

Targets (``targets``): the synthetic ones on the write-up's grid and split (2000 points on
[-50, 50], training blocks about [-37.5, -12.5] and [0, 25], the rest held out; see
``roughgrad.data.signals``): ``sin``, ``mixture``, ``decay`` (exp(-|x|/20) sin x),
``sawtooth`` (period 2 pi), ``noisy`` (sin x + N(0, ``noise``^2); held-out error is measured
against the noise-free sin x), ``quasiperiodic`` (sin x + 0.5 sin(sqrt(2) x)). Real series
(statsmodels, offline; ``roughgrad.data.series``): ``sunspots`` (yearly, 1700-2008) and ``co2``
(weekly Mauna Loa, 1958-2001, a quadratic trend fitted on the training part removed) and
``elnino`` (monthly sea surface temperature, 1950-2010: a yearly cycle under the irregular El
Nino oscillation); each is
forecast over its last 20%, after standardising on the training part (MSE in units of the
training variance; predicting the training mean scores about 1 when the series is stationary).

Models (every trained one gets the same seeds, steps and learning-rate search on a validation
split, every 10th training point, as in the snake experiments):
  spectral           ours: PeriodicMLP on the frequencies select_components picks (K by BIC,
                     ``components=auto``), its linear path starting at the fitted sines;
  spectral_k1        the same with K = 1 (the write-up 001 setting of the snake experiments);
  spectral_envelope  ours with a learned exponential envelope (for decay);
  snake              the write-up's Snake MLP (a = ``snake_a``, width ``hidden``);
  sines              the BIC-selected sum of sines alone, no network (what training adds);
  lomb_scargle       anchor: the single least-squares sinusoid at the periodogram's peak;
  gp                 anchor: scikit-learn's Gaussian process with ExpSineSquared x constant
                     + white noise, hyperparameters by marginal likelihood with
                     ``gp_restarts`` restarts from log-uniform starting points (periodicity
                     bounded to [2 sample spacings, the training span]; no period given).
Forecasts from the end of a real series (``roughgrad.periodic.forecast``; every setting read
off the training part, orders chosen on its last 20%):
  sines_ar           ours: polynomial trend + K sines + an AR (or persisting-level) residual,
                     K, the residual's model and the AR order chosen for the forecast's lead
                     time;
  seasonal_naive     repeat the last cycle (the strongest periodogram peak, whole samples);
  ar                 an AR model, its order chosen for the forecast's lead time (as sines_ar
                     chooses its AR part), up to two cycles and a quarter of the series;
  ar_one_step        the same with the order chosen for one step ahead (the textbook rule).
The lowest held-out MSE of all models on each real series, predicting 0 included, is the
metric ``<series>_winner``.

Claims checked:
  auto_fits_mixture      the spectral model's held-out MSE on the mixture is <= 1e-3;
  auto_fits_sawtooth     ... on the sawtooth is <= 1e-2;
  auto_ignores_noise     on the noisy target it is no worse than K = 1 (within 10%) and better
                         than predicting 0: BIC does not add sines to fit noise.
The comparison with the anchors on every target is the table ``mse_by_target`` (metrics
``<target>_test_mse_<model>``), reported whichever model wins.

Source: write-up 001, "Extrapolation investigation" (the commented-out mixture target) and
"Fitting on a Decaying Signal"; write-up 000, "Relationship to the Fourier transform".
"""

from __future__ import annotations

from roughgrad.experiments.base import (
    ClaimSpec,
    Experiment,
    counterexample,
)
from roughgrad.experiments.periodic_targets.config import PROFILES, Config
from roughgrad.experiments.periodic_targets.figures import figures
from roughgrad.experiments.periodic_targets.run import run

__all__ = ["CLAIMS", "EXPERIMENT", "PROFILES", "Config", "figures", "run"]


CLAIMS = (
    ClaimSpec(
        "auto_fits_mixture",
        "with components=auto the spectral model's held-out MSE on the mixture is <= 1e-3",
        (counterexample("one sine cannot hold three (measured)", max_components=1),),
    ),
    ClaimSpec(
        "auto_fits_sawtooth",
        "with components=auto the spectral model's held-out MSE on the sawtooth is <= 1e-2",
        (counterexample("one sine and a short budget miss the corners", max_components=1),),
    ),
    ClaimSpec(
        "auto_ignores_noise",
        "on sin(x) + noise the auto-K spectral model is no worse than K = 1 (within 10%) and "
        "beats predicting 0",
        (counterexample("without BIC's penalty every K fits noise", bic_penalty=0.0),),
    ),
)


EXPERIMENT = Experiment(
    source="write-up 001, 'Extrapolation investigation' (its commented-out mixture target)",
    summary="spectral models choose their number of sines (BIC) and forecast mixtures, "
    "sawtooth and noise; on real series they are compared with seasonal naive, AR and a GP",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
)
