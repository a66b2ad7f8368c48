"""The calendar of a history window, in India's local days, computed once per (end, days).

Every user of a job shares the window, so the day and month tables are cached and read-only;
generating a user then only indexes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
IST_OFFSET_US = 19_800_000_000  # UTC+05:30, no daylight saving
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    start_us: int  # first instant of the history (UTC microseconds since the epoch)
    end_us: int  # exclusive end
    day0_us: int  # the UTC instant of local midnight starting local day 0
    n_days: int  # local calendar days touching the window
    day_epoch: np.ndarray  # local date of each day, days since 1970-01-01
    day_weight: np.ndarray  # share of each local day inside the window (edges are partial)
    dom: np.ndarray  # day of month, 1..31
    weekday: np.ndarray  # Monday 0
    month: np.ndarray  # month of the day, 0..n_months-1
    n_months: int
    month_first_day: np.ndarray  # local day index of each month's 1st (negative before day 0)
    month_len: np.ndarray  # days in each calendar month
    month_of_year: np.ndarray  # 1..12 for each month
    month_days: np.ndarray  # days of each month inside the window (float, edges partial)
    tau: np.ndarray  # each month's position in the history, 0..1


def instant_us(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@lru_cache(maxsize=16)
def window(end_us: int, days: int) -> Window:
    """The local-day calendar of `days` days before `end_us`."""
    if days < 1:
        raise ValueError("days must be at least 1")
    start_us = end_us - days * DAY_US
    first = (start_us + IST_OFFSET_US) // DAY_US
    last = (end_us - 1 + IST_OFFSET_US) // DAY_US
    day_epoch = np.arange(first, last + 1, dtype=np.int64)
    day_start = day_epoch * DAY_US - IST_OFFSET_US
    overlap = np.minimum(day_start + DAY_US, end_us) - np.maximum(day_start, start_us)
    day_weight = np.clip(overlap, 0, DAY_US) / DAY_US
    dates = day_epoch.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    month_number = months.astype(np.int64)
    first_month = int(month_number[0])
    month = month_number - first_month
    n_months = int(month[-1]) + 1
    bounds = np.arange(first_month, first_month + n_months + 1).astype("datetime64[M]")
    bound_days = bounds.astype("datetime64[D]").astype(np.int64)
    return Window(
        start_us=start_us,
        end_us=end_us,
        day0_us=int(first) * DAY_US - IST_OFFSET_US,
        n_days=len(day_epoch),
        day_epoch=_frozen(day_epoch),
        day_weight=_frozen(day_weight),
        dom=_frozen((dates - months.astype("datetime64[D]")).astype(np.int64) + 1),
        weekday=_frozen((day_epoch + 3) % 7),
        month=_frozen(month),
        n_months=n_months,
        month_first_day=_frozen(bound_days[:-1] - first),
        month_len=_frozen(np.diff(bound_days)),
        month_of_year=_frozen(np.arange(first_month, first_month + n_months) % 12 + 1),
        month_days=_frozen(np.bincount(month, weights=day_weight, minlength=n_months)),
        tau=_frozen(np.linspace(0.0, 1.0, n_months) if n_months > 1 else np.zeros(1)),
    )
