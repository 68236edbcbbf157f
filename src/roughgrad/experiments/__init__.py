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
    periodic_targets,
    rnn_frequency_halving,
    sin_frequency,
    sin_gradient_field,
)
from roughgrad.experiments.base import (
    Checkpoints,
    Claim,
    ClaimSpec,
    ConfigBase,
    ConfigError,
    Context,
    Counterexample,
    Experiment,
    NumericalError,
    Outcome,
    Progress,
    counterexample,
    param,
    part,
)
from roughgrad.experiments.digits import ann as digits_ann
from roughgrad.experiments.digits import bnn as digits_bnn
from roughgrad.experiments.digits import linear as digits_linear
from roughgrad.experiments.snake import coefficients as snake_coefficients
from roughgrad.experiments.snake import cycles as snake_cycles
from roughgrad.experiments.snake import decay as snake_decay
from roughgrad.experiments.snake import fit as snake_fit
from roughgrad.experiments.snake import tsne as snake_tsne

# In the order of the seeds and the report; the key is each experiment's own name.
EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        sin_frequency.EXPERIMENT,
        sin_gradient_field.EXPERIMENT,
        clock.EXPERIMENT,
        snake_cycles.EXPERIMENT,
        gradient_fidelity.EXPERIMENT,
        mc_vs_quadrature.EXPERIMENT,
        hh_fi_curve.EXPERIMENT,
        hh_silence.EXPERIMENT,
        hh_descent_1d.EXPERIMENT,
        mollify.EXPERIMENT,
        hh_complete_graph.EXPERIMENT,
        cross_correlation_loss.EXPERIMENT,
        rnn_frequency_halving.EXPERIMENT,
        snake_fit.EXTRAPOLATION,
        snake_fit.INTERPOLATION,
        snake_decay.EXPERIMENT,
        snake_coefficients.EXPERIMENT,
        snake_tsne.EXPERIMENT,
        periodic_targets.EXPERIMENT,
        digits_linear.EXPERIMENT,
        digits_ann.EXPERIMENT,
        digits_bnn.EXPERIMENT,
    )
}

__all__ = [
    "EXPERIMENTS",
    "Checkpoints",
    "Claim",
    "ClaimSpec",
    "ConfigBase",
    "ConfigError",
    "Context",
    "Counterexample",
    "Experiment",
    "NumericalError",
    "Outcome",
    "Progress",
    "counterexample",
    "param",
    "part",
]
