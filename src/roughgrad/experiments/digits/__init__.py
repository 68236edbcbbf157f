"""The digits experiments (seed 003, "Real Application: MNIST"): one problem layout, one
training loop (``roughgrad.train.fit``), three experiments."""
