"""The digits experiments (write-up 003, "Real Application: MNIST"): one problem layout, one
training loop (``roughgrad.train.fit``), three experiments."""
