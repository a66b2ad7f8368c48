"""A user's transactions as regular series of local days, weeks and calendar months.

Days are the user's local calendar days (a payment at 20:00 UTC is the next morning in India).
The daily series runs from `start` to `Ledger.as_of` inclusive; rows after `as_of` are ignored
and rows before `start` only set the opening balance.

Aggregates keep every period they touch and flag the ones the series does not fully cover
(`PeriodSeries.complete`): statistics over months use the complete ones only, so a partial
first or last month never looks like a lean month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gql_server.core.calendar import day_number

DAYS_PER_MONTH = 365.25 / 12
WEEK = 7
_NO_DAYS = np.zeros(0, dtype=np.int64)  # the lengths of no periods
# A ledger's columns with a value per row, which `changed` cuts.
ROW_COLUMNS = ("occurred_at", "amount", "is_income", "category", "source_id", "balance_after")


@dataclass(frozen=True)
class Ledger:
    """One user's history as plain arrays, sorted by time (ties keep their order)."""

    occurred_at: np.ndarray  # datetime64[s], UTC
    amount: np.ndarray  # float64 rupees, > 0
    is_income: np.ndarray  # bool
    category: np.ndarray  # object array of str
    source_id: np.ndarray  # int64, income source id or -1
    balance_after: np.ndarray  # float64 running balance after each row
    opening_balance: float
    timezone: str  # IANA name, e.g. "Asia/Kolkata"
    as_of: date  # last complete local day of history; forecasts start the day after

    def __post_init__(self) -> None:
        n = len(self.amount)
        columns = (self.occurred_at, self.is_income, self.category, self.source_id)
        if any(len(column) != n for column in (*columns, self.balance_after)):
            raise ValueError("ledger columns must have the same length")

    def __len__(self) -> int:
        return len(self.amount)

    @cached_property
    def day_numbers(self) -> np.ndarray:
        """The local day number (days since 1970-01-01) of each row, converted once per
        ledger: an outlook asks about forty times (each origin of its evaluation cuts the
        ledger, detects, clips outliers and sums days), and the time-zone conversion was 5% of
        its time. `subset` and `changed` pass it on to the ledgers they make."""
        days: NDArray[np.int64] = local_days(self.occurred_at, self.timezone).astype(np.int64)
        return days


def changed(ledger: Ledger, rows: np.ndarray | None = None, **changes: Any) -> Ledger:
    """`dataclasses.replace(ledger, **changes)` of the rows where `rows` (a boolean mask) is
    true (all without it), keeping the day numbers already converted unless the changes
    move the instants or the zone."""
    keeps_days = not {"occurred_at", "timezone"} & changes.keys()
    if rows is not None:
        for name in ROW_COLUMNS:
            if name not in changes:
                changes[name] = getattr(ledger, name)[rows]
    made = replace(ledger, **changes)
    known = ledger.__dict__.get("day_numbers")
    if keeps_days and known is not None:
        made.__dict__["day_numbers"] = known if rows is None else known[rows]
    return made


@dataclass(frozen=True)
class DailySeries:
    """Money in, money out and the closing balance of each local day from `start` on.

    `opening_balance` (an addition to the three flows) is the balance before `start`, so an
    empty series still knows what the user holds.
    """

    start: date
    inflow: NDArray[np.float64]  # per day, >= 0
    outflow: NDArray[np.float64]  # per day, >= 0
    closing_balance: NDArray[np.float64]  # balance at the end of each day
    opening_balance: float = 0.0

    def __post_init__(self) -> None:
        if not len(self.inflow) == len(self.outflow) == len(self.closing_balance):
            raise ValueError("series arrays must have the same length")

    def __len__(self) -> int:
        return len(self.inflow)

    @property
    def net(self) -> np.ndarray:
        return self.inflow - self.outflow

    @property
    def end(self) -> date:
        """The last day (the day before `start` for an empty series)."""
        return self.start + timedelta(days=len(self) - 1)

    @property
    def dates(self) -> np.ndarray:
        """The local day of each element, datetime64[D]."""
        return np.datetime64(self.start, "D") + np.arange(len(self))

    @property
    def current_balance(self) -> float:
        """The closing balance of the last day, or the opening balance when empty."""
        return float(self.closing_balance[-1]) if len(self) else float(self.opening_balance)


@dataclass(frozen=True)
class PeriodSeries:
    """Sums of a daily series over weeks or months, each period flagged complete or not."""

    period_start: np.ndarray  # datetime64[D]: first day of each period (calendar start)
    days: np.ndarray  # int64: days of the period inside the series
    complete: np.ndarray  # bool: the series covers the whole period
    inflow: NDArray[np.float64]
    outflow: NDArray[np.float64]
    closing_balance: NDArray[np.float64]  # balance at the end of the period's last covered day
    kind: str = field(default="month")  # "week" or "month"

    def __len__(self) -> int:
        return len(self.inflow)

    @property
    def net(self) -> np.ndarray:
        return self.inflow - self.outflow


def local_days(occurred_at: np.ndarray, timezone: str) -> np.ndarray:
    """The local calendar day (datetime64[D]) of each UTC instant in `timezone`."""
    instants = pd.DatetimeIndex(np.asarray(occurred_at).astype("datetime64[ns]"))
    local = instants.tz_localize("UTC").tz_convert(timezone).tz_localize(None)
    return local.to_numpy().astype("datetime64[D]")


def daily_series(ledger: Ledger, start: date | None = None) -> DailySeries:
    """Daily inflow, outflow and closing balance in the ledger's time zone, `start`..`as_of`.

    The closing balance of a day is `balance_after` of its last row, carried over days without
    rows; before the first row in range it is the balance after the last earlier row, or the
    ledger's opening balance. `start` defaults to the first transaction's local day.
    """
    days = ledger.day_numbers
    end = day_number(ledger.as_of)
    if start is None:
        first = int(days[0]) if len(days) else end
        start_number = min(first, end)
        start = date(1970, 1, 1) + timedelta(days=start_number)
    else:
        start_number = day_number(start)
    n = max(end - start_number + 1, 0)
    offset = days - start_number
    inside = (offset >= 0) & (offset < n)
    amount = np.asarray(ledger.amount, dtype=np.float64)
    income = np.asarray(ledger.is_income, dtype=bool)
    inflow = np.bincount(offset[inside & income], weights=amount[inside & income], minlength=n)
    outflow = np.bincount(offset[inside & ~income], weights=amount[inside & ~income], minlength=n)

    balance = np.asarray(ledger.balance_after, dtype=np.float64)
    before = np.flatnonzero(offset < 0)
    opening = float(balance[before[-1]]) if len(before) else float(ledger.opening_balance)
    last_row = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(inside)
    np.maximum.at(last_row, offset[rows], rows)
    last_row = np.maximum.accumulate(last_row) if n else last_row
    closing = np.concatenate([[opening], balance])[last_row + 1]
    return DailySeries(
        start=start,
        inflow=inflow[:n].astype(np.float64),
        outflow=outflow[:n].astype(np.float64),
        closing_balance=np.asarray(closing, dtype=np.float64),
        opening_balance=opening,
    )


def _weighted_counts(
    index: NDArray[np.int64], weights: NDArray[np.float64], k: int
) -> NDArray[np.float64]:
    """Sums of `weights` per index 0..k-1 (float64: numpy's stubs type every bincount as ints)."""
    return np.asarray(np.bincount(index, weights=weights, minlength=k), dtype=np.float64)


def _aggregate(
    series: DailySeries, period: np.ndarray, first_day: np.ndarray, length: np.ndarray, kind: str
) -> PeriodSeries:
    """Sum per period index `period` (0..k-1, non-decreasing) with the periods' calendars."""
    k = len(first_day)
    days = np.bincount(period, minlength=k).astype(np.int64)
    last = np.cumsum(days) - 1
    return PeriodSeries(
        period_start=first_day,
        days=days,
        complete=days == length,
        inflow=_weighted_counts(period, series.inflow, k),
        outflow=_weighted_counts(period, series.outflow, k),
        closing_balance=series.closing_balance[last] if k else np.zeros(0),
        kind=kind,
    )


def weekly(series: DailySeries) -> PeriodSeries:
    """7-day blocks aligned to end on the series' last day, so the next block is the first
    forecast week; the leading days that do not fill a block form a block flagged incomplete."""
    n = len(series)
    if n == 0:
        return _aggregate(
            series, np.zeros(0, np.int64), np.zeros(0, "datetime64[D]"), _NO_DAYS, "week"
        )
    lead = n % WEEK
    index = np.arange(n)
    period = (index + (WEEK - lead) % WEEK) // WEEK
    k = int(period[-1]) + 1
    first_day = series.dates[-1] - WEEK * np.arange(k)[::-1] - (WEEK - 1)
    length = np.full(k, WEEK, dtype=np.int64)
    return _aggregate(series, period, first_day, length, "week")


def monthly(series: DailySeries) -> PeriodSeries:
    """Local calendar months; a leading or trailing month the series only partly covers is
    kept and flagged `complete=False`."""
    n = len(series)
    if n == 0:
        return _aggregate(
            series, np.zeros(0, np.int64), np.zeros(0, "datetime64[D]"), _NO_DAYS, "month"
        )
    months = series.dates.astype("datetime64[M]")
    period = (months - months[0]).astype(np.int64)
    k = int(period[-1]) + 1
    bounds = months[0] + np.arange(k + 1)
    first_day = bounds[:-1].astype("datetime64[D]")
    length = np.diff(bounds.astype("datetime64[D]")).astype(np.int64)
    return _aggregate(series, period, first_day, length, "month")
