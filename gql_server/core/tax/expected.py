"""What the rest of the year is expected to bring, from the days before it: the tax due for a
year in progress is itself a forecast, and this is where its receipts (and, under the regular
scheme, its business expenses) come from.

Not the cash-flow forecast: that one looks 60 days ahead, and the instalments it carries as
known outflows are computed from this (the tax cannot wait for the forecast it feeds). The
rate is the trailing twelve months' (a whole year, so a season counts as much as it weighs in
a year); the range is an 80% one from the variation between 30-day blocks of that window,
growing with the square root of the months left."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from gql_server.core.tax.money import ZERO, ceil_rupee
from gql_server.core.tax.payments import ReceiptsRange

LOOKBACK_DAYS = 365
BLOCK_DAYS = 30
Z_80 = 1.2816  # the standard normal's 90th percentile: an 80% two-sided range
RULE = (
    "Receipts for the rest of the year: the daily rate of the trailing twelve months (or of "
    "the history there is) times the days left; the range is an 80% one from the variation "
    "between 30-day blocks of that window, widening with the square root of the months left."
)


def expected_rest(
    daily: Mapping[date, Decimal], *, as_of: date, year_end: date, history_start: date | None
) -> ReceiptsRange:
    """Expected amounts from the day after `as_of` to `year_end`, with a range, from `daily`
    (amount per local day; days without money may be missing). `history_start`: the first day
    of the user's history (None: no history, nothing expected). A year already over expects
    nothing."""
    left = (year_end - as_of).days
    if left <= 0 or history_start is None or history_start > as_of:
        return ReceiptsRange(ZERO, ZERO, ZERO)
    first = max(history_start, as_of - timedelta(days=LOOKBACK_DAYS - 1))
    span = (as_of - first).days + 1
    total = sum((a for d, a in daily.items() if first <= d <= as_of), ZERO)
    expected = total / span * left
    blocks = _block_sums(daily, first, as_of)
    if len(blocks) >= 3:
        mean = sum(blocks) / len(blocks)
        spread = math.sqrt(sum((b - mean) ** 2 for b in blocks) / (len(blocks) - 1))
        half = Decimal(str(round(Z_80 * spread * math.sqrt(left / BLOCK_DAYS), 2)))
        low, high = max(expected - half, ZERO), expected + half
    else:  # under three blocks there is no measure of the variation: say so with a wide range
        low, high = ZERO, 2 * expected
    return ReceiptsRange(ceil_rupee(expected), ceil_rupee(low), ceil_rupee(high))


def _block_sums(daily: Mapping[date, Decimal], first: date, last: date) -> list[float]:
    """Sums of whole 30-day blocks ending at `last` (a partial block at the start is left out,
    its days would read as a lean month)."""
    count = ((last - first).days + 1) // BLOCK_DAYS
    sums = [0.0] * count
    for day, amount in daily.items():
        back = (last - day).days
        if 0 <= back < count * BLOCK_DAYS:
            sums[back // BLOCK_DAYS] += float(amount)
    return sums
