"""Statistics the core shares: the coefficient of variation of monthly income and the modified
z-score's outlier limit. One implementation each, so the features, the smoothing buffer, the
insights and the outlier rule agree on what a volatile income or an outlier is. And grouping
rows by a key (`positions_by_value`), which recurring detection, rhythms and silences share."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Iglewicz and Hoaglin (1993): a modified z-score 0.6745 (x - median) / MAD above 3.5 is an
# outlier. 0.6745 is the MAD of a standard normal sample, so MAD / 0.6745 estimates sigma.
OUTLIER_Z = 3.5
MAD_OF_NORMAL = 0.6745


def finite_or_none(value: float | None) -> float | None:
    """A finite float, or None: a figure the data cannot define is None, never NaN or inf."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def coefficient_of_variation(values: ArrayLike, min_count: int = 2) -> float | None:
    """Sample standard deviation (ddof=1) over the mean. None with fewer than `min_count`
    values (too few to say anything about spread), a mean <= 0 (undefined) or a non-finite
    result."""
    data = np.asarray(values, dtype=np.float64)
    if len(data) < min_count:
        return None
    mean = float(data.mean())
    if mean <= 0:
        return None
    cv = float(data.std(ddof=1)) / mean
    return cv if math.isfinite(cv) else None


def median_and_mad(
    values: NDArray[np.float64], axis: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The median and the median absolute deviation from it (along `axis`, or of all)."""
    median = np.median(values, axis=axis)
    return np.asarray(median), np.asarray(np.median(np.abs(values - median), axis=axis))


def outlier_limit(
    median: NDArray[np.float64], mad: NDArray[np.float64], min_mad: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """The largest value whose modified z-score is at most OUTLIER_Z: median + 3.5 MAD /
    0.6745, with the MAD floored at `min_mad` (a group whose values barely vary would
    otherwise flag any change as an outlier)."""
    return np.asarray(median + OUTLIER_Z * np.maximum(mad, min_mad) / MAD_OF_NORMAL)


def short_median(values: np.ndarray) -> float:
    """np.median of a short, finite array (a dozen values), by sorting a list: numpy's median
    spends about 25 µs a call on its own bookkeeping, and recurring detection asks tens of
    thousands of times an outlook. The same value: the middle one, or the mean of the two."""
    ordered = sorted(np.asarray(values).tolist())
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)


def positions_by_value(values: np.ndarray) -> tuple[np.ndarray, list[NDArray[np.intp]]]:
    """The distinct values in sorted order, and for each the positions that hold it (in
    ascending order), from one stable sort. A mask per value (`positions[values == v]`) is a
    pass over every row per value: with 30,000 counterparties paying 30,000 income rows, the
    rhythms' masks took 11 of a 300,000-row outlook's 16 s (5 s grouped this way)."""
    unique, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique) + 1))
    return unique, [order[bounds[k] : bounds[k + 1]] for k in range(len(unique))]
