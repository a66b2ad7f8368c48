"""One-off shocks in a history (a ₹60,000 laptop, a one-time windfall): rows far above what is
usual for their category, by the modified z-score of their log amounts."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from gql_server.core.calendar import day_number
from gql_server.core.known_money.detection import detect_recurring
from gql_server.core.series import DAYS_PER_MONTH, Ledger
from gql_server.core.stats import median_and_mad, outlier_limit

# Outliers: the modified z-score of Iglewicz and Hoaglin (1993), on log amounts.
MIN_LOG_MAD = 0.25  # floor, so a fixed-price category does not flag a small increase
MIN_CATEGORY_ROWS = 3  # below this a category is judged against its whole direction
MATERIAL_SHARE = 0.2  # of a typical month's flow in that direction: smaller is not a shock


def outliers(ledger: Ledger, exclude: np.ndarray | None = None) -> np.ndarray:
    """Rows that are one-off shocks (a ₹60,000 laptop, a one-time windfall), as a boolean mask:
    above their `outlier_limits` and material.

    A row is an outlier when the modified z-score of its log amount (Iglewicz and Hoaglin,
    1993: 0.6745 (x - median) / MAD) exceeds 3.5 among all rows of its direction and category
    (of its whole direction when the category has fewer than three rows), and it is material:
    at least a fifth of a typical month's flow in that direction. Logs, because amounts are
    roughly log-normal; the MAD is floored so a fixed-price category does not flag a small
    rise. Rows of recurring series set what is usual but are never flagged: `exclude` (a
    boolean mask or row indexes) names them, and without it they are found with
    `detect_recurring` by category. Rows after `as_of` are not judged.
    """
    limits, material = _limits(ledger, exclude)
    flagged: NDArray[np.bool_] = (np.asarray(ledger.amount, dtype=np.float64) > limits) & material
    return flagged


def outlier_limits(ledger: Ledger, exclude: np.ndarray | None = None) -> np.ndarray:
    """The largest amount each row could have and not be an outlier (`outliers`): the
    amount whose modified z-score is 3.5 in its reference group; infinite for rows that are
    not judged (recurring, after as_of) or not material. Clipping an outlier to its limit
    (winsorising) keeps what is usual about it (a purchase happened) out of what is not."""
    limits, material = _limits(ledger, exclude)
    return np.where(material, limits, np.inf)


def _limits(ledger: Ledger, exclude: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the outlier limit (inf where not judged) and whether its size is material."""
    n = len(ledger)
    limits = np.full(n, np.inf)
    material = np.zeros(n, dtype=bool)
    if n == 0:
        return limits, material
    day = ledger.day_numbers
    amount = np.asarray(ledger.amount, dtype=np.float64)
    judged = (day <= day_number(ledger.as_of)) & (amount > 0)
    if not judged.any():
        return limits, material
    if exclude is None:
        exclude = np.array([r for s in detect_recurring(ledger) for r in s.row_indexes], int)
    exclude = np.asarray(exclude)
    excluded = np.zeros(n, dtype=bool)
    excluded[exclude if exclude.dtype == bool else exclude.astype(np.int64)] = True
    months = max((int(day[judged].max()) - int(day[judged].min()) + 1) / DAYS_PER_MONTH, 1.0)
    logs = np.log(np.where(judged, amount, 1.0))
    income = np.asarray(ledger.is_income, dtype=bool)
    category = np.asarray(ledger.category, dtype=object)
    for direction in (False, True):
        side = judged & (income == direction)
        threshold = MATERIAL_SHARE * float(amount[side].sum()) / months
        for name in sorted(set(category[side & ~excluded].tolist())):
            group = side & (category == name)
            reference = group if group.sum() >= MIN_CATEGORY_ROWS else side
            rows = group & ~excluded
            limits[rows] = _limit(logs, reference)
            material |= rows & (amount >= threshold)
    return limits, material


def _limit(logs: np.ndarray, reference: np.ndarray) -> float:
    """The amount above the reference rows' median whose modified z-score is 3.5."""
    median, mad = median_and_mad(logs[reference])
    return math.exp(float(outlier_limit(median, mad, min_mad=MIN_LOG_MAD)))
