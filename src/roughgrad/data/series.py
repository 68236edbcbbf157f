"""Real periodic series shipped offline by statsmodels, split for forecasting.

``sunspots``: yearly mean sunspot number, 1700-2008 (309 values; the ~11-year solar cycle,
with a cycle length and amplitude that drift). ``co2``: weekly atmospheric CO2 at Mauna Loa,
1958-2001 (2,284 weeks, 59 missing and dropped; a rising trend plus a yearly cycle).
``elnino``: monthly sea surface temperature of the El Nino region, 1950-2010 (732 months; a
yearly cycle of 12 samples under the irregular 2-7 year El Nino oscillation).
x is time in years since the first sample; the held-out set is the last ``test_fraction``.
"""

from __future__ import annotations

import numpy as np

from roughgrad.data.mnist import DataError
from roughgrad.data.signals import SignalSplit

SERIES = ("sunspots", "co2", "elnino")


def load_series(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(x in years since the first sample, y) of a statsmodels series: sunspots, co2 or
    elnino."""
    if name not in SERIES:
        raise DataError(f"unknown series {name!r}; known: {', '.join(SERIES)}")
    try:
        from statsmodels import datasets
    except ImportError:
        raise DataError(
            f"the {name} series comes with statsmodels: pip install statsmodels"
        ) from None
    if name == "sunspots":
        frame = datasets.sunspots.load_pandas().data
        x, y = frame["YEAR"].to_numpy(float), frame["SUNACTIVITY"].to_numpy(float)
    elif name == "elnino":
        frame = datasets.elnino.load_pandas().data  # one row per year, a column per month
        y = frame.drop(columns="YEAR").to_numpy(float).ravel()
        x = np.arange(len(y)) / 12.0
    else:
        frame = datasets.co2.load_pandas().data.dropna()
        days = (frame.index - frame.index[0]).days.to_numpy(float)
        x, y = days / 365.25, frame["co2"].to_numpy(float)
    return x - x[0], y


def forecast_split(
    x: np.ndarray, y: np.ndarray, *, test_fraction: float = 0.2, trend_degree: int = 0
) -> SignalSplit:
    """Train on the first 1 - ``test_fraction`` of the series, hold out the rest.

    A polynomial trend of ``trend_degree`` is fitted on the training part only and removed
    from the whole series, which is then scaled to unit variance on the training part: every
    model sees the same detrended, standardised values, and MSE is in units of the training
    variance.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction={test_fraction} must lie in (0, 1)")
    n_train = round(len(x) * (1 - test_fraction))
    if n_train < 16 or n_train == len(x):
        raise ValueError(f"a forecast split of {len(x)} samples leaves too few on one side")
    train, test = np.arange(n_train), np.arange(n_train, len(x))
    trend = np.polyval(np.polyfit(x[train], y[train], trend_degree), x)
    resid = y - trend
    resid = resid / (resid[train].std() or 1.0)
    return SignalSplit(x, resid, train, test)
