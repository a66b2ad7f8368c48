"""What every insight rule shares: the records, the context, the user's months laid out once,
and the few ways a number is written into a message.

A message shows only numbers that are also in its metrics, written the one way this module
writes them: amounts with `format_inr` (₹1,07,954), percentages as whole percent of a metric
already in percent (`change_pct` -35.2 reads "35%" after "down"), months and ratios with one
decimal, counts as integers. A client can then show the message and chart the metrics without
the two disagreeing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

import numpy as np

from gql_server.core.forecasting import ForecastResult
from gql_server.core.money_format import format_inr
from gql_server.core.recurring import RecurringSeries
from gql_server.core.series import DailySeries, Ledger, local_days, monthly

Metric = float | int | str | None
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
# Earnings: money paid by an income source or booked as earnings. Refunds, interest, friends
# paying back and loan disbursals ("Other income" without a source) arrive as income but say
# nothing about how the work goes: a loan taken in a lean month would hide a falling income.
EARNINGS_CATEGORIES: frozenset[str] = frozenset({"Freelance income", "Platform payout", "Salary"})


class Severity(StrEnum):
    POSITIVE = "POSITIVE"
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


# Severity orders insights first; the size of the effect (0..1) orders them within a severity.
SEVERITY_RANK: dict[Severity, int] = {
    Severity.INFO: 0,
    Severity.POSITIVE: 1,
    Severity.WARNING: 2,
    Severity.CRITICAL: 3,
}


@dataclass(frozen=True)
class Insight:
    kind: str  # snake_case: "income_trend", "seasonality", "runway", ...
    severity: Severity
    title: str  # short, e.g. "Income up 40% over the last 3 months"
    message: str  # one or two plain sentences a person can act on; amounts via format_inr
    period_start: date | None
    period_end: date | None
    metrics: dict[str, Metric]  # the numbers the statement rests on (JSON-able)
    importance: float  # higher first: severity rank, then the size of the effect


@dataclass(frozen=True)
class InsightContext:
    ledger: Ledger
    series: DailySeries
    features: dict[str, float | None]
    forecast: ForecastResult | None = None
    source_names: dict[int, str] = field(default_factory=dict)  # income source id -> name
    buffer_balance: Decimal | None = None
    buffer_target: Decimal | None = None
    monthly_paycheck: Decimal | None = None
    # Merchant or counterparty of each ledger row (object array of str, parallel to the
    # ledger); the Ledger has no such column and only `top_merchants` needs it.
    merchants: np.ndarray | None = None
    # Recurring items scheduled in the forecast (known_money.KnownMoney.schedule).
    schedule: tuple[RecurringSeries, ...] = ()


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


def to_date(day: np.datetime64) -> date:
    return date.fromisoformat(str(np.datetime64(day, "D")))


def month_end(first_day: np.datetime64) -> date:
    """The last day of the month that starts on `first_day`."""
    following = np.datetime64(first_day, "M") + 1
    return to_date(following.astype("datetime64[D]") - 1)


def month_name(first_day: np.datetime64) -> str:
    return MONTH_NAMES[int(np.datetime64(first_day, "M").astype(np.int64)) % 12]


def month_span(first: np.datetime64, last: np.datetime64) -> str:
    """'Oct–Dec' for a run of months, 'Nov' for one (no year: the insight's period has it)."""
    if np.datetime64(first, "M") == np.datetime64(last, "M"):
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


def money(amount: float) -> str:
    """An amount for a message: whole rupees the Indian way, rounded from the paise the
    metrics keep (so ₹9,998.50 reads ₹9,998 in both, never ₹9,999 from ₹9,998.5000001)."""
    return format_inr(rupees(amount))


def percent(value_pct: float) -> str:
    """A metric already in percent, as a whole percent without sign ('35%')."""
    return f"{abs(value_pct):.0f}%"


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def rupees(value: float) -> float:
    """An amount for metrics: rupees to the paisa."""
    return round(float(value), 2)


def pct(fraction: float) -> float:
    """A fraction for metrics, in percent with one decimal (0.372 -> 37.2)."""
    return round(float(fraction) * 100, 1)


def clean_metrics(metrics: dict[str, Metric]) -> dict[str, Metric]:
    """Plain Python values for JSON: numpy scalars unwrapped, NaN and infinities as None."""
    cleaned: dict[str, Metric] = {}
    for name, value in metrics.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        cleaned[name] = value
    return cleaned


def make_insight(
    kind: str,
    severity: Severity,
    title: str,
    message: str,
    metrics: dict[str, Metric],
    effect: float,
    period: tuple[date | None, date | None] = (None, None),
) -> Insight:
    """An insight whose importance is its severity's rank plus the effect clipped to 0..1."""
    size = effect if math.isfinite(effect) else 0.0
    return Insight(
        kind=kind,
        severity=severity,
        title=title,
        message=message,
        period_start=period[0],
        period_end=period[1],
        metrics=clean_metrics(metrics),
        importance=SEVERITY_RANK[severity] + 0.999 * min(max(size, 0.0), 1.0),
    )


def known(value: float | None) -> float | None:
    """A finite float, or None."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
