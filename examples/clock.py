"""Learn a digital clock from (seconds since T0, reading) samples over 120 years."""

import numpy as np

from roughgrad.periodic import PeriodicClock, clock_reading, edge_instants, sample_instants

rng = np.random.default_rng(0)
t = sample_instants(20_000, span_years=120, rng=rng)  # int64 seconds, negative ones included
clock = PeriodicClock().fit(t, clock_reading(t))  # periods found from the data, pinned exactly
print("periods found (s):", clock.periods)

test = np.concatenate([sample_instants(100_000, 120, rng), edge_instants(120)])
print(
    "exact-match on held-out instants:",
    np.mean((clock.predict(test) == clock_reading(test)).all(1)),
)
print("t = -1 reads", clock.predict(np.array([-1]))[0].tolist())
