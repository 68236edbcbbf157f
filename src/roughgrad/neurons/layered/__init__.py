"""Layered networks of neurons: input -> hidden -> output, batched over examples and members.

Two families, each a function of the parameters w1 (*lead, H, I), b1 (*lead, H), w2 (*lead,
O, H), b2 (*lead, O) and inputs x (B, I), where ``lead`` is an optional population shape (S
perturbed networks are one tensor program, not a loop):

**Hodgkin-Huxley** ([`HHNet`][roughgrad.neurons.layered.hh.HHNet],
[`hh_forward`][roughgrad.neurons.layered.hh.hh_forward]; the write-up's BNN). The ANN's weights
drive HH neurons:

    z_h        = x W1^T + b1                      (B, H), static over the trial
    I_h        = scale * z_h                      hidden input currents (uA/cm^2)
    h(t)       = sigmoid((V_h(t) - midpoint) / 2) / r0   hidden activity (0.5-1 when firing)
    s(t)       = s + (1 - e^{-dt/tau_syn}) (h(t) - s)    synaptic trace of h
    z_o(t)     = s(t) W2^T + b2,  I_o = scale * z_o       output currents
    o          = mean_t sigmoid((V_o(t) - midpoint) / 2) / r0    readout "voltage" (mollified)
             or  mean_t (V_o(t) + 65 mV) / 20 mV                readout "membrane" (graded)
             or  spike count / (T dt * 100 Hz)                  readout "spikes" (piecewise
                                                                constant)

with midpoint -30 mV and r0 = 0.2 by default. The midpoint -30 mV is the spike threshold used
throughout roughgrad: measured at dt = 0.1 ms over 100 ms, the fraction of time above it grows
monotonically with the input current from onset (0.11 at 6.5 uA/cm^2) to 0.20 at 60-80
uA/cm^2, where a midpoint of 0 mV peaks at 20 uA/cm^2 and falls as strongly driven spikes
shrink -- a readout that cannot tell strong from weak drive. The simulation runs ``steps``
steps of ``dt`` ms (the write-up's timeframes: 1000 steps of 0.01, 0.05 or 0.1 ms). Backends:
``"torch"`` and ``"compile"`` (see ``roughgrad.neurons.backends``).

**Leaky integrate-and-fire, as snnTorch builds it**
([`LIFNet`][roughgrad.neurons.layered.lif.LIFNet],
[`lif_forward`][roughgrad.neurons.layered.lif.lif_forward]): discrete-time ``Leaky`` neurons (reset
by subtraction, taken from the previous step's spike) driven by the static input current every step;
the output is the spike count. Backends: ``"torch"`` and ``"fused"``.

Noise for node perturbation is added to the pre-activations z_h and z_o: static (one value per
example and unit for the whole trial) or per step.
"""

from roughgrad.neurons.layered.hh import (
    R0,
    SPIKE_TH,
    HHNet,
    hh_activity,
    hh_forward,
    hh_reset_activity,
    hh_traces,
)
from roughgrad.neurons.layered.hh_units import hh_forward_units
from roughgrad.neurons.layered.lif import LIFNet, lif_forward

__all__ = [
    "R0",
    "SPIKE_TH",
    "HHNet",
    "LIFNet",
    "hh_activity",
    "hh_forward",
    "hh_forward_units",
    "hh_reset_activity",
    "hh_traces",
    "lif_forward",
]
