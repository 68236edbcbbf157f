"""Periodic activations and layers (Snake, Sine/SIREN, Fourier features) and an MLP builder."""

from roughgrad.nn.activations import ACTIVATIONS, Sine, Snake, SnakeB, snake
from roughgrad.nn.mlp import FourierFeatures, SineSum, SirenLayer, mlp, siren

__all__ = [
    "ACTIVATIONS",
    "FourierFeatures",
    "Sine",
    "SineSum",
    "SirenLayer",
    "Snake",
    "SnakeB",
    "mlp",
    "siren",
    "snake",
]
