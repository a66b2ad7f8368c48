"""Complete calendar months of income and essential spending, and the exact money the buffer
rules compute with: `Decimal` with 2 places in and out (ROUND_HALF_EVEN); floats are refused."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
WINDOW_MONTHS = 12  # the paycheck and the target look at the last year: recent, yet every season


def money(value: Decimal | int, name: str = "amount", *, non_negative: bool = True) -> Decimal:
    """An exact 2-place amount; floats are refused (they are not exact money)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{name} must be finite, got {amount}")
    if non_negative and amount < 0:
        raise ValueError(f"{name} must be >= 0, got {amount}")
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def months_figure(value: float, name: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


@dataclass(frozen=True)
class MonthFlow:
    """One complete calendar month: its income and its essential spending, both >= 0."""

    month: date  # first day of a calendar month
    income: Decimal  # all income of the month, >= 0
    essential_spending: Decimal  # rent, groceries, bills, EMIs... of the month, >= 0

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise ValueError(f"month must be the first day of a month, got {self.month}")
        # Frozen: quantizing on the way in is the one write, so every amount held is 2-place.
        object.__setattr__(self, "income", money(self.income, "income"))
        spending = money(self.essential_spending, "essential_spending")
        object.__setattr__(self, "essential_spending", spending)


def chronological(months: Sequence[MonthFlow]) -> list[MonthFlow]:
    ordered = sorted(months, key=lambda m: m.month)
    if len({m.month for m in ordered}) != len(ordered):
        raise ValueError("each month may appear only once")
    return ordered


def recent_months(months: Sequence[MonthFlow]) -> list[MonthFlow]:
    return chronological(months)[-WINDOW_MONTHS:]


def mean_amount(values: Sequence[Decimal]) -> Decimal:
    """Exact mean (Decimal division at 28 digits), not yet rounded to paise."""
    return sum(values, ZERO) / len(values) if values else ZERO
