"""The Snake experiments (seed 001): shared models and training, four experiments."""
