"""Shared type aliases."""

from __future__ import annotations

from torch import Tensor

Params = dict[str, Tensor]
"""A model's parameters by name, as from ``dict(model.named_parameters())``."""
