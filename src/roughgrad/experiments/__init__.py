"""The experiment registry: name -> Experiment. Adding an experiment is one module + one line."""

from roughgrad.experiments import (
    clock,
    cross_correlation_loss,
    gradient_fidelity,
    hh_complete_graph,
    hh_descent_1d,
    hh_fi_curve,
    hh_silence,
    mc_vs_quadrature,
    mollify,
    rnn_frequency_halving,
    sin_frequency,
    sin_gradient_field,
    snake_coefficients,
    snake_decay,
    snake_fit,
    snake_tsne,
)
from roughgrad.experiments._contract import (
    Claim,
    ConfigBase,
    ConfigError,
    Context,
    Experiment,
    Outcome,
    Progress,
    param,
)

EXPERIMENTS: dict[str, Experiment] = {
    "sin-frequency": sin_frequency.EXPERIMENT,
    "sin-gradient-field": sin_gradient_field.EXPERIMENT,
    "clock": clock.EXPERIMENT,
    "gradient-fidelity": gradient_fidelity.EXPERIMENT,
    "mc-vs-quadrature": mc_vs_quadrature.EXPERIMENT,
    "hh-fi-curve": hh_fi_curve.EXPERIMENT,
    "hh-silence": hh_silence.EXPERIMENT,
    "hh-descent-1d": hh_descent_1d.EXPERIMENT,
    "mollify": mollify.EXPERIMENT,
    "hh-complete-graph": hh_complete_graph.EXPERIMENT,
    "cross-correlation-loss": cross_correlation_loss.EXPERIMENT,
    "rnn-frequency-halving": rnn_frequency_halving.EXPERIMENT,
    "snake-extrapolation": snake_fit.EXTRAPOLATION,
    "snake-interpolation": snake_fit.INTERPOLATION,
    "snake-decay": snake_decay.EXPERIMENT,
    "snake-coefficients": snake_coefficients.EXPERIMENT,
    "snake-tsne": snake_tsne.EXPERIMENT,
}

__all__ = [
    "EXPERIMENTS",
    "Claim",
    "ConfigBase",
    "ConfigError",
    "Context",
    "Experiment",
    "Outcome",
    "Progress",
    "param",
]
