"""Income, expenses and net per day, week or month, summed by the database in the user's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from gql_server import db
from gql_server.core.categories import ESSENTIAL_CATEGORIES
from gql_server.errors import BadUserInput
from gql_server.models import User
from gql_server.services import validation
from gql_server.services.validation import local_today


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


MAX_PERIODS = {Interval.DAY: 400, Interval.WEEK: 270, Interval.MONTH: 240}
DEFAULT_PERIODS = {Interval.DAY: 30, Interval.WEEK: 12, Interval.MONTH: 12}


@dataclass(frozen=True)
class CashflowPeriod:
    start: date
    end: date
    income: Decimal
    expenses: Decimal
    transaction_count: int
    essential_expenses: Decimal = Decimal("0.00")

    @property
    def net(self) -> Decimal:
        return self.income - self.expenses


# Built from the constant category list, never from input.
_ESSENTIAL = "category IN ({})".format(
    ", ".join("'{}'".format(c.replace("'", "''")) for c in sorted(ESSENTIAL_CATEGORIES))
)
_POSTGRES = f"""
SELECT (date_trunc($2, occurred_at AT TIME ZONE $3))::date AS period,
       COALESCE(SUM(amount) FILTER (WHERE direction = 'income'), 0) AS income,
       COALESCE(SUM(amount) FILTER (WHERE direction = 'expense'), 0) AS expenses,
       COALESCE(SUM(amount) FILTER (WHERE direction = 'expense' AND {_ESSENTIAL}), 0)
         AS essential,
       COUNT(*) AS n
  FROM ledger_transaction
 WHERE user_id = $1 AND occurred_at >= $4 AND occurred_at < $5
 GROUP BY 1
"""

# SQLite stores decimals as text: sum whole paise as integers so the totals stay exact, and
# shift to local time by the zone's offset (exact for India, which has no daylight saving).
_SQLITE_BUCKETS = {
    Interval.DAY: "date(occurred_at, $2)",
    Interval.WEEK: "date(occurred_at, $2, 'weekday 0', '-6 days')",
    Interval.MONTH: "strftime('%Y-%m-01', occurred_at, $2)",
}
_SQLITE = f"""
SELECT {{bucket}} AS period,
       SUM(CASE WHEN direction = 'income' THEN CAST(ROUND(amount * 100) AS INTEGER) ELSE 0 END)
         AS income_paise,
       SUM(CASE WHEN direction = 'expense' THEN CAST(ROUND(amount * 100) AS INTEGER) ELSE 0 END)
         AS expense_paise,
       SUM(CASE WHEN direction = 'expense' AND {_ESSENTIAL}
                THEN CAST(ROUND(amount * 100) AS INTEGER) ELSE 0 END) AS essential_paise,
       COUNT(*) AS n
  FROM ledger_transaction
 WHERE user_id = $1 AND occurred_at >= $3 AND occurred_at < $4
 GROUP BY 1
"""


def period_start(day: date, interval: Interval) -> date:
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval is Interval.MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, interval: Interval) -> date:
    if interval is Interval.DAY:
        return start + timedelta(days=1)
    if interval is Interval.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_starts(first: date, last: date, interval: Interval) -> list[date]:
    starts, current = [], period_start(first, interval)
    while current <= last:
        starts.append(current)
        current = next_period(current, interval)
    return starts


def _default_from(to: date, interval: Interval) -> date:
    start = period_start(to, interval)
    for _ in range(DEFAULT_PERIODS[interval] - 1):
        start = period_start(start - timedelta(days=1), interval)
    return start


async def cashflow(
    user: User, interval: Interval, since: date | None, until: date | None
) -> list[CashflowPeriod]:
    """One period per day/week/month from `since` to `until` (inclusive, local dates), empty
    periods included so charts need no gap filling."""
    until = validation.calendar_day(until, "to") or local_today(user.timezone)
    since = validation.calendar_day(since, "from") or _default_from(until, interval)
    if since > until:
        raise BadUserInput("from must not be after to", field="from")
    starts = period_starts(since, until, interval)
    if len(starts) > MAX_PERIODS[interval]:
        raise BadUserInput(
            f"at most {MAX_PERIODS[interval]} periods of one {interval.value} at a time",
            field="from",
        )
    zone = ZoneInfo(user.timezone)
    lower = datetime.combine(starts[0], time.min, zone)
    upper = datetime.combine(next_period(starts[-1], interval), time.min, zone)
    totals = await _sum_by_period(user, interval, lower, upper)
    zero = Decimal("0.00")
    periods = []
    for start in starts:
        income, expenses, essential, count = totals.get(start, (zero, zero, zero, 0))
        end = next_period(start, interval) - timedelta(days=1)
        periods.append(CashflowPeriod(start, end, income, expenses, count, essential))
    return periods


async def _sum_by_period(
    user: User, interval: Interval, lower: datetime, upper: datetime
) -> dict[date, tuple[Decimal, Decimal, Decimal, int]]:
    cent = Decimal("0.01")
    if not db.is_sqlite():
        rows = await db.fetch_rows(_POSTGRES, user.id, interval.value, user.timezone, lower, upper)
        return {
            row["period"]: (
                Decimal(row["income"]).quantize(cent),
                Decimal(row["expenses"]).quantize(cent),
                Decimal(row["essential"]).quantize(cent),
                int(row["n"]),
            )
            for row in rows
        }
    offset = lower.utcoffset() or timedelta()
    shift = f"{int(offset.total_seconds() // 60):+d} minutes"
    sql = _SQLITE.format(bucket=_SQLITE_BUCKETS[interval])
    rows = await db.fetch_rows(
        sql, user.id, shift, db.sql_timestamp(lower), db.sql_timestamp(upper)
    )
    return {
        date.fromisoformat(row["period"]): (
            (Decimal(row["income_paise"]) / 100).quantize(cent),
            (Decimal(row["expense_paise"]) / 100).quantize(cent),
            (Decimal(row["essential_paise"]) / 100).quantize(cent),
            int(row["n"]),
        )
        for row in rows
    }
