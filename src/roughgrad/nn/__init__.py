"""Periodic activations and layers (Snake, Sine/SIREN, Fourier features) and an MLP builder."""

from roughgrad.nn.activations import ACTIVATIONS, Sine, Snake, SnakeB, snake
from roughgrad.nn.mlp import FourierFeatures, SineSum, SirenLayer, mlp, siren
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
    "FourierFeatures",
    "GatedRNN",
    "SigmoidRNN",
    "Sine",
    "SineSum",
    "SirenLayer",
    "Snake",
    "SnakeB",
    "Window",
    "detach_state",
    "mlp",
    "recurrent_model",
    "siren",
    "snake",
    "train_tbptt",
]
