"""The Snake experiments (write-up 001): shared models and training, four experiments."""
