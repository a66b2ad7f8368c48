"""What the alert rules read: a user's situation as their stored forecast, recurring items
and buffer describe it on their today, and `covered_share`, which turns a day's balance
quantiles into the share of forecast paths still at or above zero."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Bill:
    """A known outflow of the next 30 days, one occurrence of it."""

    key: str  # stable across evaluations: the recurring item's id, or "tax:2026-12-15"
    name: str  # as a person reads it at the start of a sentence: "Rent", "Advance tax"
    due: date
    amount: Decimal
    covered_share: float  # share of paths whose balance stays >= 0 through `due`, 0..1
    is_tax: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.covered_share <= 1.0:  # False for NaN too
            raise ValueError(f"covered_share must be in [0, 1], got {self.covered_share!r}")


@dataclass(frozen=True)
class ExpectedIncome:
    """Recurring income whose expected date has passed without a payment matched to it."""

    key: str  # stable: the recurring item's id
    name: str  # who pays: "Acme Studio"
    expected_on: date
    amount: Decimal


@dataclass(frozen=True)
class Situation:
    as_of: date  # the user's today
    # Chance that the balance goes below zero within that many days (7 and 30); a horizon
    # missing or not finite means the forecast cannot say, and nothing is claimed about it.
    shortfall_probability: Mapping[int, float]
    # The lowest balance the forecast expects within 30 days (the service's choice of path
    # statistic, typically the lowest daily median) and the day it falls on, when known.
    projected_min_balance_30: Decimal
    bills: tuple[Bill, ...]
    overdue_candidates: tuple[ExpectedIncome, ...]
    buffer_balance: Decimal | None  # None: the user keeps no smoothing buffer
    buffer_monthly_draw: Decimal  # what the paycheck plan withdraws next month; 0 when none
    projected_min_on: date | None = None


def covered_share(p10: float, p50: float, p90: float) -> float:
    """Share of paths with balance >= 0 from a day's 10th, 50th and 90th percentiles: the
    quantile function is taken as linear between (0.1, p10), (0.5, p50) and (0.9, p90) and
    extended past them along the outer segments, then read where it crosses zero; the result
    is clamped to [0, 1]. Linear quantiles spread the tails too thinly (real balances have
    heavier tails), so beyond the 10th and 90th percentiles the figure is rough; a zero p10
    gives exactly 0.9, a zero p50 exactly 0.5
    and a zero p90 exactly 0.1. Quantiles out of order are sorted first, as
    simulated percentiles can cross only through rounding."""
    if not all(math.isfinite(value) for value in (p10, p50, p90)):
        raise ValueError(f"quantiles must be finite, got {(p10, p50, p90)!r}")
    low, mid, high = sorted((p10, p50, p90))
    return min(1.0, max(0.0, 1.0 - _zero_crossing(low, mid, high)))


def _zero_crossing(low: float, mid: float, high: float) -> float:
    """The smallest probability level u at which the piecewise-linear quantile function is
    >= 0, unclamped: one minus it is the share of paths at or above zero."""
    if low >= 0.0:
        slope = (mid - low) / 0.4
        return 0.1 - low / slope if slope > 0 else 0.0
    if mid >= 0.0:
        return 0.1 + 0.4 * -low / (mid - low)
    if high >= 0.0:
        return 0.5 + 0.4 * -mid / (high - mid)
    slope = (high - mid) / 0.4
    return 0.9 - high / slope if slope > 0 else 1.0
