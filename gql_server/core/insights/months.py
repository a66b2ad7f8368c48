"""The user's calendar months as the insight rules see them: earnings and spending per category
in each month, each ledger row placed in one, and the months' names for messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from gql_server.core.series import DailySeries, Ledger, local_days, monthly

MONTH_NAMES: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def day_label(day: date, as_of: date) -> str:
    """'15 Dec', or '15 Mar 2027' when the year is not `as_of`'s (insights and alerts)."""
    label = f"{day.day} {MONTH_NAMES[day.month - 1]}"
    return label if day.year == as_of.year else f"{label} {day.year}"


# Earnings: money paid by an income source or booked as earnings. Refunds, interest, friends
# paying back and loan disbursals ("Other income" without a source) arrive as income but say
# nothing about how the work goes: a loan taken in a lean month would hide a falling income.
EARNINGS_CATEGORIES: frozenset[str] = frozenset({"Freelance income", "Platform payout", "Salary"})


@dataclass(frozen=True)
class Months:
    """The user's calendar months (from `series.monthly`), with each ledger row placed in one.

    `complete` marks the months the series covers fully; only the first and last can be partial,
    so the complete months are consecutive. `earnings` and `spend[:, c]` (category
    `categories[c]`) are sums per month, the trailing partial month included.
    """

    start: np.ndarray  # datetime64[D], first day of each month
    complete: np.ndarray  # bool
    earnings: np.ndarray  # float64 per month
    spending: np.ndarray  # float64 per month, all outflow
    categories: tuple[str, ...]
    spend: np.ndarray  # (months, categories)
    row_month: np.ndarray  # month index of each ledger row, -1 outside the series

    @property
    def complete_index(self) -> np.ndarray:
        return np.flatnonzero(self.complete)


def lay_out_months(ledger: Ledger, series: DailySeries) -> Months:
    """Earnings and spending per category in each calendar month of the series."""
    table = monthly(series)
    n_months = len(table)
    row_month = np.full(len(ledger), -1, dtype=np.int64)
    if len(ledger) and n_months:
        days = local_days(ledger.occurred_at, ledger.timezone)
        inside = (days >= np.datetime64(series.start, "D")) & (
            days <= np.datetime64(series.end, "D")
        )
        found = np.searchsorted(table.period_start, days, side="right") - 1
        row_month = np.where(inside, found, -1)
    amount = np.nan_to_num(np.asarray(ledger.amount, dtype=np.float64))
    income = np.asarray(ledger.is_income, dtype=bool)
    category = np.array([str(c) for c in np.asarray(ledger.category, dtype=object)], dtype=object)
    sourced = np.asarray(ledger.source_id) >= 0
    earning = income & (sourced | np.isin(category, list(EARNINGS_CATEGORIES)))
    placed = row_month >= 0
    earnings = np.bincount(
        row_month[placed & earning], weights=amount[placed & earning], minlength=n_months
    )
    expense = placed & ~income
    names, code = np.unique(category[expense], return_inverse=True)
    spend = np.zeros((n_months, len(names)))
    np.add.at(spend, (row_month[expense], code), amount[expense])
    return Months(
        start=table.period_start,
        complete=np.asarray(table.complete, dtype=bool),
        earnings=earnings[:n_months].astype(np.float64),
        spending=np.asarray(table.outflow, dtype=np.float64),
        categories=tuple(str(name) for name in names),
        spend=spend,
        row_month=row_month,
    )


def month_name(first_day: np.datetime64) -> str:
    return MONTH_NAMES[int(first_day.astype("datetime64[M]").astype(np.int64)) % 12]


def month_span(first: np.datetime64, last: np.datetime64) -> str:
    """'Oct–Dec' for a run of months, 'Nov' for one (no year: the insight's period has it)."""
    if first.astype("datetime64[M]") == last.astype("datetime64[M]"):
        return month_name(first)
    return f"{month_name(first)}–{month_name(last)}"


def month_set_label(months: list[int]) -> str:
    """Months of the year (1..12) as runs in calendar order, wrapping over the new year:
    [6, 7, 8] -> 'Jun–Aug', [12, 1] -> 'Dec–Jan', [3, 10, 11] -> 'Mar and Oct–Nov'."""
    chosen = sorted(set(months))
    if not chosen:
        return ""
    if len(chosen) == 12:
        return "Jan–Dec"
    # Start the walk after a month that is not chosen, so a run over December stays whole.
    begin = next(m for m in range(1, 13) if m not in chosen) % 12 + 1
    order = [(begin - 1 + k) % 12 + 1 for k in range(12)]
    runs: list[list[int]] = []
    for month in order:
        if month in chosen:
            if runs and runs[-1][-1] % 12 + 1 == month:
                runs[-1].append(month)
            else:
                runs.append([month])
    labels = [
        MONTH_NAMES[run[0] - 1]
        if len(run) == 1
        else f"{MONTH_NAMES[run[0] - 1]}–{MONTH_NAMES[run[-1] - 1]}"
        for run in sorted(runs, key=lambda run: run[0])
    ]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
