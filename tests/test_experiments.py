"""Every registered experiment: its quick profile runs, writes its files, and its claims hold."""

from __future__ import annotations

import json

import pytest

from roughgrad.experiments import EXPERIMENTS
from roughgrad.experiments.base import PROFILE_NAMES

pytestmark = pytest.mark.slow

# One row per registered experiment: the claims its quick profile must show holding, and the
# figures it must write. A registry entry without a row fails test_every_experiment_has_a_row.
QUICK_EXPECT: dict[str, dict] = {
    "sin-frequency": {
        "claims": [
            "sgd_fails",
            "adam_fails",
            "sgd_unstable_near_answer",
            "stable_lr_converges",
            "spectral_recovers",
            "curriculum_recovers",
            "curriculum_recovers_prior_range",
        ],
        "figures": [
            "sgd_loss_curves.png",
            "near_answer_and_curriculum.png",
            "recovery_rates.png",
            "recovery_sweep.png",
        ],
    },
    "sin-gradient-field": {
        "claims": ["basin_matches_theory", "batch_gradient_noisy", "smoothing_widens_basin"],
        "figures": ["gradient_field.png", "smoothed_loss.png"],
    },
    "clock": {
        "claims": [
            "baselines_fail",
            "float32_refused",
            "spectral_net_solves_clock",
            "clock_solved",
        ],
        "figures": ["clock_accuracy.png"],
    },
    "snake-cycles": {
        "claims": ["snake_fails_below_params"],
        "figures": ["cycles_vs_params.png"],
    },
    "periodic-targets": {
        "claims": ["auto_fits_mixture", "auto_ignores_noise"],
        "figures": ["mse_by_target.png", "forecasts.png"],
    },
    "gradient-fidelity": {  # the quality bars need the default profile's repeats
        "claims": ["regression_needs_s_near_params", "node_beats_weight_perturbation"],
        "figures": ["fidelity.png"],
    },
    "hh-fi-curve": {
        "claims": [
            "rate_at_10_textbook",
            "rheobase_textbook",
            "type_ii_onset",
        ],
        "figures": ["fi_curve.png"],
    },
    "hh-silence": {
        "claims": ["bifurcation_found", "single_trial_jumps"],
        "figures": ["loss_curves.png"],
    },
    "hh-descent-1d": {  # fd_gets_stuck depends on the grid and window: checked by default
        "claims": ["regression_converges", "mollified_converges"],
        "figures": ["descent.png"],
    },
    "mollify": {
        "claims": [
            "loss_curve_smoothed",
            "noisy_raster_desynchronised",
        ],
        "figures": ["mollify.png"],
    },
    "hh-complete-graph": {  # the bands need the default's 1000-point zoom
        "claims": ["jumps_at_spike_count_changes"],
        "figures": ["complete_graph.png"],
    },
    "cross-correlation-loss": {
        "claims": ["xcorr_minimum_at_target"],
        "figures": ["xcorr_vs_mse.png"],
    },
    "rnn-frequency-halving": {  # learning needs the default's budget; the collapse shows fast
        "claims": ["reset_training_collapses"],
        "at_least": {"control_learned_fraction": 1.0},
        "figures": ["rnn_training.png", "rollouts.png"],
    },
    "mc-vs-quadrature": {
        "claims": ["mc_blows_up_at_borders", "quadrature_accurate", "baseline_antithetic_fix_mc"],
        "figures": ["mc_vs_quadrature.png"],
    },
    "snake-extrapolation": {
        "claims": ["no_baseline_reaches_1e-3", "spectral_extrapolates"],
        "figures": ["final_fit.png", "training.gif", "training_loss.png"],
    },
    "snake-interpolation": {
        "claims": ["no_baseline_reaches_1e-2", "spectral_interpolates"],
        "figures": ["final_fit.png", "training.gif", "training_loss.png"],
    },
    "snake-decay": {
        "claims": [],
        "figures": ["final_fit.png", "training.gif", "training_loss.png"],
    },
    "snake-coefficients": {
        "claims": [],
        "figures": ["coefficients_heatmap.png", "best_and_worst.png"],
    },
    "snake-tsne": {
        "claims": [],
        # features of sin/cos of one frequency track the phase by construction
        "below": {"phase_nn_error_spectral": 0.1},
        "figures": ["tsne.png"],
    },
    "digits-linear": {
        "claims": [
            "regression_needs_s_ge_d",
        ],
        "figures": ["fit_s.png", "training.png"],
        # no-backprop training well above chance (10%) even at the quick budget
        "at_least": {"test_accuracy_node_perturbation": 0.5},
    },
    "digits-ann": {
        "claims": [],
        "figures": ["fit_s.png", "training_write_up_setting.png", "training_fast_setting.png"],
        "at_least": {"test_accuracy_node_perturbation_fast": 0.5},
    },
    "digits-bnn": {
        "claims": [],
        "figures": [
            "loss_along_direction.png",
            "training_short.png",
            "training_long.png",
            "autodiff_gradient_norm.png",
            "traces.png",
        ],
    },
    "bnn-gradient-fit": {
        "claims": ["w2_recovered_at_s_above_d"],
        "below": {"fit_error_w2_s200": 1e-3},
        "figures": ["fit_s.png", "vary_std.png", "w2_gradient.png"],
    },
}


def test_every_experiment_has_a_row():
    assert set(EXPERIMENTS) == set(QUICK_EXPECT)


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_contract(name):
    exp = EXPERIMENTS[name]
    assert exp.doc.strip(), "the module docstring states the question and the claims"
    assert exp.source.startswith("write-up ")
    for profile in PROFILE_NAMES:
        exp.config(profile)  # every profile resolves to a valid config


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_quick_profile(name, quick_runs):
    record = quick_runs(name)
    files = {p.name for p in record.run_dir.iterdir()}
    assert {"config.json", "argv.txt", "env.json", "metrics.json", "claims.json"} <= files
    assert not [f for f in files if f.endswith(".tmp")]
    assert json.loads((record.run_dir / "config.json").read_text())["seed"] == 0
    claims = {c["name"]: c for c in record.claims}
    for claim in QUICK_EXPECT[name]["claims"]:
        assert claims[claim]["holds"], claims[claim]["evidence"]
    for metric, floor in QUICK_EXPECT[name].get("at_least", {}).items():
        assert record.metrics[metric] >= floor, (metric, record.metrics[metric])
    for metric, ceiling in QUICK_EXPECT[name].get("below", {}).items():
        assert record.metrics[metric] < ceiling, (metric, record.metrics[metric])
    figures = {p.name for p in (record.run_dir / "figures").iterdir()}
    assert set(QUICK_EXPECT[name]["figures"]) <= figures
    for fig in figures:
        assert (record.run_dir / "figures" / fig).stat().st_size > 1000


def test_the_write_ups_model_at_the_answer_has_zero_loss():
    """The identity behind write-up 000's "insert net.freq.data = 31 and the loss turns to
    zero": sin(f x) at f = f* matches sin(31 x) exactly; a phase the model lacks breaks it."""
    import torch

    from roughgrad.experiments.sin_frequency import Config
    from roughgrad.experiments.sin_frequency.fits import _target

    x = (
        torch.rand(100_000, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    ) * 1000
    model = torch.sin(31.0 * x)
    gen = torch.Generator().manual_seed(1)
    assert ((model - _target(Config(), x, gen)) ** 2).mean() < 1e-20
    assert ((model - _target(Config(phase=1.1), x, gen)) ** 2).mean() > 0.5


def test_sin_frequency_gradient_matches_autograd():
    """One SGD step at lr 1 moves frequencies and coefficients by their autograd gradients."""
    import torch

    from roughgrad.experiments import Context
    from roughgrad.experiments.sin_frequency import Config
    from roughgrad.experiments.sin_frequency.fits import _train

    config = Config(steps=1, log_every=1, n_inits=3, components=(97.0, 0.5, 1.0))
    f0 = torch.tensor([[30.0, 90.0], [31.5, 96.0], [0.3, 5.0]], dtype=torch.float64)
    c0 = torch.randn(3, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    gen = torch.Generator().manual_seed(0)
    scale = torch.ones(3, 1, dtype=torch.float64)
    f1, c1, _, _ = _train(f0, config, gen, Context(), method="sgd", lr=1.0, scale=scale, coef=c0)
    # lr 1 for f; the coefficients move at 0.5 / K = 0.25
    manual_f, manual_c = f0 - f1, (c0 - c1) / 0.25

    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(3, config.batch_size, generator=gen, dtype=torch.float64) * 2 - 1) * 1000
    f = f0.clone().requires_grad_(True)
    c = c0.clone().requires_grad_(True)
    a = torch.tensor([1.0, 0.5], dtype=torch.float64)
    p = torch.tensor([0.0, 1.0], dtype=torch.float64)
    f_star = torch.tensor([31.0, 97.0], dtype=torch.float64)
    y = (a * torch.sin(x[..., None] * f_star + p)).sum(-1)
    ph = x[..., None] * f[:, None, :]
    pred = (c[:, None, :, 0] * torch.sin(ph) + c[:, None, :, 1] * torch.cos(ph)).sum(-1)
    ((pred - y) ** 2).mean(1).sum().backward()
    torch.testing.assert_close(manual_f, f.grad)
    torch.testing.assert_close(manual_c, c.grad)


def test_sin_frequency_gradient_methods_need_only_the_data():
    """The write-up's frequency with amplitude 3, phase 0.7 and noise 0.2 (none of them told
    to the model): the curriculum recovers |f*| in every init and SGD at the write-up's lr
    does not; at phase pi/2 the fit -f* counts (it is exactly as good)."""
    import math

    from roughgrad.experiments import EXPERIMENTS, Context

    exp = EXPERIMENTS["sin-frequency"]
    over = {"target_freq": 437.7, "amplitude": 3.0, "phase": 0.7, "noise": 0.2}
    m = exp.run(exp.config("quick", {**over, "sweep_freqs": ()}), Context()).metrics
    assert m["curriculum_recovery_rate"] >= 0.9
    assert m["sgd_recovery_rate"] <= 0.1
    assert 3.0 <= m["data_amplitude_bound"] < 3.1  # sqrt(A^2 + 2 noise^2) = 3.013
    m = exp.run(exp.config("quick", {"phase": math.pi / 2, "sweep_freqs": ()}), Context()).metrics
    assert m["curriculum_recovery_rate"] >= 0.9


def test_clocknet_reads_a_12_hour_clock_in_a_time_zone_with_noisy_labels():
    """ClockNet with periods, offsets and bases from the data reads a 12-hour clock (readings
    12, 1, ..., 11) on UTC+05:30 exactly from labels of which 5% are corrupted; the same network
    with random periods does not, and neither does one without the offsets (the hours roll
    over at the half hour)."""
    import numpy as np
    import torch

    from roughgrad.experiments import EXPERIMENTS, ConfigError, Context
    from roughgrad.experiments.clock.models import _nets, _scores, _train_net
    from roughgrad.periodic import ClockNet, clock_reading, sample_instants

    config = EXPERIMENTS["clock"].config("quick")
    rng = np.random.default_rng(0)
    fields = ("hours12", "minutes", "seconds")
    t = sample_instants(12_000, 120, rng)
    r = clock_reading(t, fields, "+05:30")
    t_test, r_test = t[10_000:], r[10_000:]
    t, r = t[:10_000], r[:10_000].copy()
    bad = rng.choice(len(t), 500, replace=False)
    r[bad] = rng.integers(r.min(0), r.max(0) + 1, size=(500, 3))
    nets = _nets(t, r, rng)
    net = nets["spectral_net"]()
    assert net.phase.periods.tolist() == [43200, 3600, 60]
    assert net.phase.offsets.tolist() == [(3600 - 19800) % 43200, 1800, 0]
    assert net.bases.tolist() == [1, 0, 0]
    exact = {}
    for name, make in nets.items():
        pred, _ = _train_net(make, t, r, t_test, config, Context(), name)
        exact[name] = _scores(pred, r_test, fields)["exact"]
    no_offsets = ClockNet(net.phase.periods.tolist(), [12, 60, 60], bases=[1, 0, 0])
    pred, _ = _train_net(lambda: no_offsets, t, r, t_test, config, Context(), "no offsets")
    assert exact["spectral_net"] >= 0.99 and exact["random_net"] < 0.5
    assert _scores(pred, r_test, fields)["exact"] < 0.9
    assert (net.readings(torch.as_tensor(t[:5])) >= 0).all()  # an untrained net still reads
    with pytest.raises(ConfigError, match="net_layouts='13h' is not allowed: give any of 24h"):
        EXPERIMENTS["clock"].config("quick", {"net_layouts": "13h"})


def test_clock_refuses_an_unknown_baseline_with_the_known_ones():
    from roughgrad.experiments import EXPERIMENTS, ConfigError

    exp = EXPERIMENTS["clock"]
    assert exp.config("quick", {"baselines": "gelu"}).baselines == ("gelu",)
    with pytest.raises(ConfigError, match="baselines='mlp' is not allowed: give one or more of"):
        exp.config("quick", {"baselines": "mlp"})
