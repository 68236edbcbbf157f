"""Recover the frequency of sin(31 x) from 4096 random noisy samples, where SGD cannot."""

import numpy as np
import torch

from roughgrad.nn import SineSum
from roughgrad.periodic import fit_sines, refine, spectral_init

rng = np.random.default_rng(0)
x = rng.uniform(-1000, 1000, 4096)
y = np.sin(31 * x + 0.3) + 0.1 * rng.standard_normal(x.size)

fit = fit_sines(x, y, max_freq=1000)  # periodogram + coarse-to-fine least squares, float64
print(f"frequency {fit.freqs[0]:.7f}, amplitude {fit.amplitudes[0]:.4f}, phase {fit.phases[0]:.4f}")

model = SineSum(1).double()  # f ~ N(0, 1): SGD from here never reaches 31
spectral_init(model, x, y, max_freq=1000)  # write the estimate into the model...
xt, yt = torch.as_tensor(x)[:, None], torch.as_tensor(y)[:, None]
print(f"after L-BFGS refinement: f = {model.freq.item():.7f}, MSE {refine(model, xt, yt):.5f}")
