"""What known money is made of: a recurring series (detected, or declared by the user with no
rows) and its cadence, a declared item, and the key two spellings of one counterparty share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gql_server.core.series import DAYS_PER_MONTH


class Cadence(StrEnum):
    MONTHLY = "MONTHLY"
    WEEKLY = "WEEKLY"
    EVERY_N_DAYS = "EVERY_N_DAYS"


@dataclass(frozen=True)
class RecurringSeries:
    """One series. `merchant` is the counterparty as in the ledger (the category when the
    series was found by category); `row_indexes` are positions in the ledger's arrays."""

    merchant: str
    category: str
    is_income: bool
    cadence: Cadence
    interval_days: int | None  # EVERY_N_DAYS: N; WEEKLY: 7; MONTHLY: None
    day_of_month: int | None  # MONTHLY: 1..31, 31 = the month's last day in short months
    amount: float  # typical amount at the latest level, rupees
    last_date: date  # local date of the latest occurrence
    next_date: date  # next expected local date after as_of
    occurrences: int
    confidence: float  # 0..1
    row_indexes: tuple[int, ...]
    # Whether the amount repeats (rent, an EMI) rather than varies (a metered bill, a payout).
    fixed_amount: bool = True

    @property
    def period_days(self) -> float:
        """The mean length of one period in days."""
        return DAYS_PER_MONTH if self.interval_days is None else float(self.interval_days)


def counterparty(name: str) -> str:
    """The key two spellings of one payee share: spaces collapsed, case folded."""
    return " ".join(str(name).split()).casefold()


@dataclass(frozen=True)
class Declared:
    """A recurring item the user declared: `series` says what and when (no rows);
    `source_id` is the income source it is paid by (-1 for none)."""

    series: RecurringSeries
    active: bool = True
    source_id: int = -1
