"""Periodic activations and layers (Snake, Sine/SIREN, Fourier features) and an MLP builder."""

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
    "Window",
    "detach_state",
    "fit_ensemble",
    "mlp",
    "recurrent_model",
    "siren",
    "snake",
    "train_tbptt",
]
