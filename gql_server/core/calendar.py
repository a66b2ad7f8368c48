"""Calendar arithmetic on local days: day numbers since 1970-01-01, months since 1970-01, and
a day of the month clipped to the month's length (31 is the last day of every month, 30 is 28
or 29 February), for recurring schedules, declared items and the insights' month labels."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

EPOCH = date(1970, 1, 1)
WEEK = 7
# The day number of the first of each month from 1970-01 to 2199-12 (and the month after):
# recurring detection asks for thousands of months a second, and datetime64 conversions cost
# more than the lookup.
_MONTH_STARTS: NDArray[np.int64] = (
    np.arange(230 * 12 + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
)


def date_of(number: int) -> date:
    """The date of a day number (days since 1970-01-01)."""
    return EPOCH + timedelta(days=int(number))


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def month_numbers(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def clipped_days(months: np.ndarray, anchor: np.ndarray | int) -> np.ndarray:
    """Day numbers of day `anchor` of each month (months since 1970-01), clipped to the month's
    last day."""
    months = np.asarray(months, dtype=np.int64)
    if months.size and months.min() >= 0 and months.max() < len(_MONTH_STARTS) - 1:
        first, following = _MONTH_STARTS[months], _MONTH_STARTS[months + 1]
    else:  # before 1970 or after the table: the same from datetime64, slower
        first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        following = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    days: NDArray[np.int64] = first + np.minimum(anchor, following - first) - 1
    return days


def clipped_date(year: int, month: int, day_of_month: int) -> date:
    """Day `day_of_month` of the month, the month's last day when it is shorter."""
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday 0 .. Sunday 6 of datetime64[D] days."""
    return (days.astype(np.int64) + 3) % WEEK  # 1970-01-01 was a Thursday


def day_of_month(days: np.ndarray) -> np.ndarray:
    """1..31 of datetime64[D] days."""
    first = days.astype("datetime64[M]").astype("datetime64[D]")
    number: NDArray[np.int64] = (days - first).astype(np.int64) + 1
    return number


def to_date(day: np.datetime64) -> date:
    return date.fromisoformat(str(day.astype("datetime64[D]")))


def month_end(first_day: np.datetime64) -> date:
    """The last day of the month that starts on `first_day`."""
    following = first_day.astype("datetime64[M]") + 1
    return to_date(following.astype("datetime64[D]") - 1)
