"""Periodic activations and layers (Snake, Sine/SIREN, Fourier features), an MLP builder,
ensembles, and recurrent models with truncated BPTT (one model, or P seeds stacked)."""

from roughgrad.nn.activations import ACTIVATIONS, Sine, Snake, SnakeB, snake
from roughgrad.nn.ensemble import Ensemble, fit_ensemble
from roughgrad.nn.mlp import (
    FourierFeatures,
    Modulated,
    PeriodicMLP,
    SineSum,
    SirenLayer,
    mlp,
    siren,
)
from roughgrad.nn.recurrent import (
    GatedRNN,
    SigmoidRNN,
    Window,
    detach_state,
    recurrent_model,
    train_tbptt,
)
from roughgrad.nn.stacked import StackedRecurrent, StackedWindow, train_tbptt_stacked

__all__ = [
    "ACTIVATIONS",
    "Ensemble",
    "FourierFeatures",
    "GatedRNN",
    "Modulated",
    "PeriodicMLP",
    "SigmoidRNN",
    "Sine",
    "SineSum",
    "SirenLayer",
    "Snake",
    "SnakeB",
    "StackedRecurrent",
    "StackedWindow",
    "Window",
    "detach_state",
    "fit_ensemble",
    "mlp",
    "recurrent_model",
    "siren",
    "snake",
    "train_tbptt",
    "train_tbptt_stacked",
]
