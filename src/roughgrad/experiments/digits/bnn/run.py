"""The digits-bnn run: training every method on every timeframe, the landscape slice, the sigma
sweep and the traced neurons."""

from __future__ import annotations

import dataclasses

import numpy as np

from roughgrad.experiments.base import (
    Context,
    Outcome,
)
from roughgrad.experiments.digits import common as _digits
from roughgrad.experiments.digits.bnn.claims import _claims
from roughgrad.experiments.digits.bnn.config import Config, _timeframes
from roughgrad.landscape import loss_line, residual_rms, uniform_direction
from roughgrad.neurons.hh import upward_crossings
from roughgrad.neurons.layered import SPIKE_TH, HHNet, hh_traces


def _net(config: Config, dt: float, steps: int | None = None) -> HHNet:
    grad = "compile" if config.compile else "torch"
    return config.hh_net(dt, steps, backend=config.backend, autograd_backend=grad)


def _problem(config: Config, inputs: int, dt: float, steps: int | None = None) -> _digits.Problem:
    return _digits.make_problem(
        "bnn", inputs, config.hidden, config.loss, config.ce_gain, _net(config, dt, steps)
    )


def loss_along_direction(config: Config, data, ctx: Context) -> dict[str, np.ndarray]:
    """The loss as every parameter shifts by alpha in [0, 1], for each readout and dt (one
    population each): ``dir_loss_<readout>_dt<dt>``."""
    out = {"dir_alpha": np.linspace(0.0, 1.0, config.dir_points)}
    x, y = data.x_train[: config.dir_batch], data.y_train[: config.dir_batch]
    cases = [(r, dt) for r in config.dir_readouts for dt in config.dir_dts]
    for readout, dt in ctx.progress.track(cases, description="loss along a direction"):
        problem = _problem(dataclasses.replace(config, readout=readout), x.shape[1], dt)
        params = problem.init(ctx.generator(config.seed), ctx.device)
        line = loss_line(
            problem.objective(x, y), params, uniform_direction(params), out["dir_alpha"]
        )
        out[f"dir_loss_{readout}_dt{dt:g}"] = np.asarray(line.mean)
    return out


def run(config: Config, ctx: Context) -> Outcome:
    data = _digits.load_data(config, ctx)
    inputs = data.x_train.shape[1]
    arrays = loss_along_direction(config, data, ctx)
    rough = {
        (r, dt): residual_rms(arrays[f"dir_loss_{r}_dt{dt:g}"])
        for r in config.dir_readouts
        for dt in config.dir_dts
    }
    metrics: dict = {f"dir_residual_rms_{r}_dt{dt:g}": v for (r, dt), v in rough.items()}
    trained = {}
    for label, dt, steps in _timeframes(config):
        traces, trained[label] = _digits.train_methods(
            _problem(config, inputs, dt, steps),
            config,
            data,
            ctx,
            label=f"{label} ({steps} x {dt:g} ms): ",
        )
        metrics.update(_digits.trace_metrics(traces, suffix=f"_{label}"))
        arrays.update(_digits.trace_arrays(traces, suffix=f"_{label}"))
        metrics[f"best_val_accuracy_best_{label}"] = max(
            tr.accuracy[tr.selected] for tr in traces.values()
        )
    sweep = _sigma_sweep(config, data, ctx, metrics) if "long" in config.timeframes else {}
    for sigma, tr in sweep.items():
        metrics.update(_digits.trace_metrics({config.sweep_method: tr}, f"_long_sigma{sigma:g}"))
        arrays.update(_digits.trace_arrays({config.sweep_method: tr}, suffix=f"_sigma{sigma:g}"))
    # voltage traces of one test digit through the best network of the longest timeframe
    label, dt, steps = _timeframes(config)[-1]
    best = max(config.methods, key=lambda m: metrics[f"best_val_accuracy_{m}_{label}"])
    traced = hh_traces(trained[label][best], data.x_test[:20], _net(config, dt, steps))
    metrics.update(_regime(traced["v"], config.hidden, traced.get("spikes")))
    arrays["trace_v"] = traced["v"][:, 0].cpu().numpy()  # (T, H + O)
    arrays["trace_i_out"] = traced["i_out"][:, 0].cpu().numpy()  # (T, O)
    arrays["trace_i_hidden"] = traced["i_hidden"][0].cpu().numpy()  # (H,)
    arrays["trace_label"] = np.asarray([int(data.y_test[0])])
    arrays["trace_dt"] = np.asarray([dt])
    metrics["traced_network"] = best
    metrics["validation_examples"] = 0 if data.y_val is None else len(data.y_val)
    return Outcome(metrics, _claims(config, metrics, rough), arrays)


def _regime(v, hidden: int, spiked=None) -> dict[str, float]:
    """How the traced network computes, over its test images (v: (T, B, H + O) mV): the
    fraction of hidden neurons that spike (>= 2 spikes: upward crossings of -30 mV, or the
    model's own ``spiked`` (T, B, H + O) for another neuron model), that sit above -30 mV
    without spiking (depolarisation block) or below it (silent), and the output potentials'
    range (beyond a few tens of mV from rest the membrane is far outside physiology)."""
    h = v[..., :hidden]
    if spiked is None:
        spikes = upward_crossings(h[:-1], h[1:], SPIKE_TH).sum(0)
    else:
        spikes = spiked[..., :hidden].sum(0)
    late = h[len(h) // 5 :].mean(0)
    quiet = spikes < 2
    out = v[..., hidden:]
    return {
        "traced_hidden_spiking_fraction": float((~quiet).float().mean()),
        "traced_hidden_blocked_fraction": float((quiet & (late >= SPIKE_TH)).float().mean()),
        "traced_hidden_silent_fraction": float((quiet & (late < SPIKE_TH)).float().mean()),
        "traced_output_v_min": float(out.min()),
        "traced_output_v_max": float(out.max()),
    }


def _sigma_sweep(config: Config, data, ctx: Context, m: dict) -> dict[float, _digits.Trace]:
    """The sweep method on the long timeframe at each extra sigma (its own sigma is a method),
    at the learning rate its search chose there (``lr`` when it was not trained)."""
    _, dt, steps = _timeframes(config)[-1]  # the long one (run only when configured)
    problem = _problem(config, data.x_train.shape[1], dt, steps)
    lr = m.get(f"lr_{config.sweep_method}_long", config.lr)
    out = {}
    for sigma in config.sigma_sweep:
        out[sigma], _ = _digits.train(
            problem,
            config.sweep_method,
            dataclasses.replace(config, lr=lr, lrs=()),
            data,
            ctx,
            seed=config.seed,
            description=f"long, sigma {sigma:g}: {config.sweep_method}",
            options={"sigma": sigma},
        )
    return out
