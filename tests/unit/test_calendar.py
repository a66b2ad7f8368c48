"""Calendar arithmetic: a day of the month is clipped to the month's length, one way."""

from __future__ import annotations

from datetime import date

import numpy as np

from gql_server.core.calendar import (
    clipped_date,
    clipped_days,
    date_of,
    day_number,
    day_of_month,
    month_end,
    month_numbers,
    weekday,
)


def test_the_31st_is_the_last_day_of_every_month() -> None:
    assert clipped_date(2025, 2, 31) == date(2025, 2, 28)
    assert clipped_date(2024, 2, 30) == date(2024, 2, 29)
    assert clipped_date(2025, 4, 31) == date(2025, 4, 30)
    assert clipped_date(2025, 5, 15) == date(2025, 5, 15)


def test_day_numbers_and_arrays_agree_with_dates() -> None:
    for year, month, day in [(2025, 2, 31), (2024, 2, 30), (2025, 12, 31), (2026, 1, 1)]:
        first = day_number(date(year, month, 1))
        months = month_numbers(np.array([first]))
        assert date_of(int(clipped_days(months, day)[0])) == clipped_date(year, month, day)
    assert date_of(day_number(date(2025, 11, 16))) == date(2025, 11, 16)


def test_weekday_day_of_month_and_month_end() -> None:
    days = np.array(["2025-12-01", "2025-12-07", "2026-02-28"], dtype="datetime64[D]")
    assert weekday(days).tolist() == [0, 6, 5]  # Monday, Sunday, Saturday
    assert day_of_month(days).tolist() == [1, 7, 28]
    assert month_end(np.datetime64("2024-02-01", "D")) == date(2024, 2, 29)
