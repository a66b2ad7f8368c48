"""Rows dated after the history: today's so far (the day is not over, so it is not history yet)
and any dated later. They are known flows of the forecast on their days.

The history ends at the last complete local day (`Ledger.as_of`): a day still running reads low
(the evening's spending has not happened) and taught the model that the last week was lean.
Today's rows are money that has moved, so they land on the forecast's first day in every path,
beside the model's simulated day. A scheduled payment due today that today's rows already hold
(same direction and counterparty) is paid: it is not scheduled a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gql_server.core.calendar import day_number
from gql_server.core.known_money.items import RecurringSeries, counterparty
from gql_server.core.series import Ledger

# A payment today of this share of a scheduled amount, or more, settles it when no merchant
# names are known (the counterparty cannot be compared).
SETTLES_SHARE = 0.9


@dataclass(frozen=True)
class RowsAhead:
    """Money already moved on or after the forecast's first day, by day offset from it."""

    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    amounts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    is_income: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    keys: tuple[str, ...] = ()  # counterparty key of each row ("" when unknown)

    def flows(self, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Inflow and outflow of each of the first `days` days."""
        inside = self.offsets < days
        income = self.is_income & inside
        outgoing = ~self.is_income & inside
        inflow = np.bincount(self.offsets[income], weights=self.amounts[income], minlength=days)
        outflow = np.bincount(
            self.offsets[outgoing], weights=self.amounts[outgoing], minlength=days
        )
        return inflow[:days], outflow[:days]

    def settles(self, item: RecurringSeries, offset: int) -> bool:
        """Whether rows on day `offset` already hold `item`'s payment due that day."""
        on_day = (self.offsets == offset) & (self.is_income == item.is_income)
        rows = np.flatnonzero(on_day)
        if len(rows) == 0:
            return False
        key = counterparty(item.merchant)
        if any(self.keys[r] and self.keys[r] == key for r in rows):
            return True
        unnamed = [r for r in rows if not self.keys[r]]
        return any(float(self.amounts[r]) >= SETTLES_SHARE * item.amount for r in unnamed)


def rows_ahead(ledger: Ledger, merchants: Sequence[str] | np.ndarray | None = None) -> RowsAhead:
    """The ledger's rows dated after `ledger.as_of`, with their counterparty keys."""
    days = ledger.day_numbers
    offsets = days - (day_number(ledger.as_of) + 1)
    later = np.flatnonzero(offsets >= 0)
    names = list(np.asarray(merchants, dtype=object)[later]) if merchants is not None else []
    return RowsAhead(
        offsets=offsets[later],
        amounts=np.asarray(ledger.amount, dtype=np.float64)[later],
        is_income=np.asarray(ledger.is_income, dtype=bool)[later],
        keys=tuple(counterparty(n) for n in names) if names else ("",) * len(later),
    )
