"""Where recurring series land ahead: each series' expected dates, and the known inflow and
outflow of each day they make."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from gql_server.core.calendar import clipped_days, date_of, day_number, month_numbers
from gql_server.core.known_money.items import RecurringSeries


def occurrences_between(series: RecurringSeries, start: date, end: date) -> list[date]:
    """Expected local dates in [start, end], from `next_date` on.

    Monthly series fall on `day_of_month`, clipped to the month's last day (31 is the last day
    of every month, 30 is 28 or 29 February); `next_date` stands in for the monthly date nearest
    to it (a payment due yesterday is expected tomorrow, and once). Other cadences step
    `interval_days` from `next_date`.
    """
    nxt, first, last = day_number(series.next_date), day_number(start), day_number(end)
    if first > last or nxt > last:
        return []
    if series.interval_days is not None:
        step = max(int(series.interval_days), 1)
        skip = max(0, -(-(first - nxt) // step))  # whole steps before `start`
        return [date_of(d) for d in range(nxt + skip * step, last + 1, step)]
    months = np.arange(
        month_numbers(np.array([nxt]))[0] - 1, month_numbers(np.array([last]))[0] + 2
    )
    grid = clipped_days(months, series.day_of_month or 1).tolist()
    standing_in = min(grid, key=lambda d: (abs(d - nxt), d))
    dates = [nxt, *(d for d in grid if d > max(nxt, standing_in))]
    return [date_of(d) for d in dates if first <= d <= last]


def scheduled_flows(
    series: Sequence[RecurringSeries], start: date, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Known inflow and outflow of each of `days` days from `start` (index 0): every series'
    expected occurrences at its typical amount. Kept apart, so a retainer and the rent on the
    same day are both seen (and a scenario can scale the income alone)."""
    inflow = np.zeros(max(days, 0), dtype=np.float64)
    outflow = np.zeros(max(days, 0), dtype=np.float64)
    if days <= 0:
        return inflow, outflow
    end = start + timedelta(days=days - 1)
    for s in series:
        target = inflow if s.is_income else outflow
        for d in occurrences_between(s, start, end):
            target[(d - start).days] += s.amount
    return inflow, outflow


def scheduled_net(series: Sequence[RecurringSeries], start: date, days: int) -> np.ndarray:
    """Known net flow of each of `days` days from `start`: income positive, expenses negative.
    Index 0 is `start`; for `forecast.forecast` start is the day after the history's last
    day."""
    inflow, outflow = scheduled_flows(series, start, days)
    net: NDArray[np.float64] = inflow - outflow
    return net
