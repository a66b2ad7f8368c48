"""The stratum of a history: which users' forecasts err alike, so that a user's intervals are
calibrated towards the factor pooled over users like them (`evaluation.POOLED`), not over
everyone (Mondrian conformal prediction, Vovk et al. 2005: calibrated within each category).

Two things of the inflow over its last year decide it, measured in 30-day blocks ending on
the last day (up to TREND_BLOCKS of them):
* the trend: the least-squares slope of the blocks per block over their mean, FALLING below
  -TREND_PER_BLOCK, RISING above it, else STEADY;
* the volatility: CALM where the blocks' coefficient of variation is below CALM_CV, else
  VARIED.
On tuning data (generator job seeds 5, 13, 17, eight month-end origins) the normalised errors
of rising earners' outflow needed 1.7-1.8 times the simulated spread at 30-60 days, steady
ones' 1.3-1.4 (spending follows an income the paths do not expect to grow), and calm earners'
30-day inflow 1.4-1.5 against 1.1 (a steady income's paths are narrow; its misses are rare
but large). A pooled factor over everyone widens neither enough and others too much.
"""

from __future__ import annotations

import numpy as np

FALLING, STEADY, RISING = "falling", "steady", "rising"
CALM, VARIED = "calm", "varied"
UNKNOWN = "unknown"  # fewer than MIN_BLOCKS blocks, or no income in them
TRENDS = (FALLING, STEADY, RISING)
VOLATILITIES = (CALM, VARIED)
STRATA: tuple[str, ...] = (*(f"{t} {v}" for t in TRENDS for v in VOLATILITIES), UNKNOWN)

BLOCK_DAYS = 30
TREND_BLOCKS = 12
MIN_BLOCKS = 4
TREND_PER_BLOCK = 0.02  # 2% of the mean a month: about a quarter over a year
CALM_CV = 0.2


def stratum(inflow: np.ndarray) -> str:
    """The stratum (module docstring) of a history's daily `inflow`, oldest first."""
    blocks = min(len(inflow) // BLOCK_DAYS, TREND_BLOCKS)
    if blocks < MIN_BLOCKS:
        return UNKNOWN
    sums = np.asarray(inflow[len(inflow) - blocks * BLOCK_DAYS :], dtype=np.float64)
    sums = sums.reshape(blocks, BLOCK_DAYS).sum(axis=1)
    mean = float(sums.mean())
    if not mean > 0:
        return UNKNOWN
    t = np.arange(blocks, dtype=np.float64) - (blocks - 1) / 2
    slope = float(t @ sums / (t @ t)) / mean
    trend = FALLING if slope < -TREND_PER_BLOCK else RISING if slope > TREND_PER_BLOCK else STEADY
    volatility = CALM if float(sums.std()) / mean < CALM_CV else VARIED
    return f"{trend} {volatility}"
