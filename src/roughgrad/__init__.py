"""roughgrad: training models where plain gradient descent fails."""

__version__ = "0.2.0"
