"""Daily, weekly and monthly series from a ledger, in the user's local days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.calendar import day_number
from gql_server.core.series import Ledger, changed, daily_series, local_days, monthly, weekly

Row = tuple[str, float, bool]  # (UTC ISO time, rupees, is income)


def make_ledger(
    rows: list[Row], as_of: date, opening: float = 0.0, timezone: str = "Asia/Kolkata"
) -> Ledger:
    amount = np.array([r[1] for r in rows], dtype=np.float64)
    income = np.array([r[2] for r in rows], dtype=bool)
    signed = np.where(income, amount, -amount)
    return Ledger(
        occurred_at=np.array([r[0] for r in rows], dtype="datetime64[s]"),
        amount=amount,
        is_income=income,
        category=np.array(["Other income" if r[2] else "Other" for r in rows], dtype=object),
        source_id=np.full(len(rows), -1, dtype=np.int64),
        balance_after=opening + np.cumsum(signed),
        opening_balance=opening,
        timezone=timezone,
        as_of=as_of,
    )


def test_evening_utc_lands_on_the_next_local_day_in_india() -> None:
    ledger = make_ledger(
        [("2025-01-10T18:00:00", 100.0, True), ("2025-01-10T20:00:00", 50.0, True)],
        as_of=date(2025, 1, 12),
    )
    series = daily_series(ledger)
    assert series.start == date(2025, 1, 10)
    assert series.inflow.tolist() == [100.0, 50.0, 0.0]
    assert series.end == date(2025, 1, 12)


def test_the_same_instant_is_the_same_day_in_utc() -> None:
    ledger = make_ledger(
        [("2025-01-10T18:00:00", 100.0, True), ("2025-01-10T20:00:00", 50.0, True)],
        as_of=date(2025, 1, 11),
        timezone="UTC",
    )
    assert daily_series(ledger).inflow.tolist() == [150.0, 0.0]


def test_local_days_follow_daylight_saving() -> None:
    instants = np.array(["2025-07-01T03:30:00", "2025-01-01T04:30:00"], dtype="datetime64[s]")
    days = local_days(instants, "America/New_York")  # UTC-4 in July, UTC-5 in January
    assert days.astype(str).tolist() == ["2025-06-30", "2024-12-31"]


def test_closing_balance_carries_over_quiet_days_and_ignores_rows_after_as_of() -> None:
    ledger = make_ledger(
        [
            ("2025-03-01T05:00:00", 1000.0, True),
            ("2025-03-01T09:00:00", 300.0, False),
            ("2025-03-04T05:00:00", 200.0, False),
            ("2025-03-09T05:00:00", 999.0, True),  # after as_of
        ],
        as_of=date(2025, 3, 5),
        opening=50.0,
    )
    series = daily_series(ledger)
    assert len(series) == 5
    assert series.outflow.tolist() == [300.0, 0.0, 0.0, 200.0, 0.0]
    assert series.closing_balance.tolist() == [750.0, 750.0, 750.0, 550.0, 550.0]
    assert series.net.tolist() == [700.0, 0.0, 0.0, -200.0, 0.0]
    assert series.current_balance == 550.0


def test_rows_before_an_explicit_start_set_the_opening_balance() -> None:
    ledger = make_ledger(
        [("2025-03-01T05:00:00", 1000.0, True), ("2025-03-03T05:00:00", 100.0, False)],
        as_of=date(2025, 3, 4),
    )
    series = daily_series(ledger, start=date(2025, 3, 2))
    assert series.opening_balance == 1000.0
    assert series.closing_balance.tolist() == [1000.0, 900.0, 900.0]
    assert series.inflow.sum() == 0.0


def test_an_empty_ledger_is_one_quiet_day_at_the_opening_balance() -> None:
    series = daily_series(make_ledger([], as_of=date(2025, 3, 4), opening=123.0))
    assert series.start == date(2025, 3, 4)
    assert series.closing_balance.tolist() == [123.0]
    assert series.current_balance == 123.0


def test_monthly_uses_local_calendar_months_and_flags_partial_ones() -> None:
    ledger = make_ledger(
        [
            ("2025-01-15T05:00:00", 100.0, True),
            ("2025-01-31T19:00:00", 40.0, True),  # 00:30 on 1 February in India
            ("2025-02-10T05:00:00", 10.0, False),
            ("2025-03-02T05:00:00", 7.0, True),
        ],
        as_of=date(2025, 3, 10),
    )
    months = monthly(daily_series(ledger))
    assert months.period_start.astype(str).tolist() == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert months.days.tolist() == [17, 28, 10]
    assert months.complete.tolist() == [False, True, False]
    assert months.inflow.tolist() == [100.0, 40.0, 7.0]
    assert months.outflow.tolist() == [0.0, 10.0, 0.0]
    assert months.closing_balance.tolist() == [100.0, 130.0, 137.0]


def test_weekly_blocks_end_on_the_last_day() -> None:
    ledger = make_ledger([("2025-01-01T05:00:00", 1.0, True)], as_of=date(2025, 1, 17))
    series = daily_series(ledger)
    series = type(series)(
        start=series.start,
        inflow=np.arange(1.0, 18.0),
        outflow=np.zeros(17),
        closing_balance=np.zeros(17),
    )
    weeks = weekly(series)
    assert weeks.period_start.astype(str).tolist() == ["2024-12-28", "2025-01-04", "2025-01-11"]
    assert weeks.days.tolist() == [3, 7, 7]
    assert weeks.complete.tolist() == [False, True, True]
    assert weeks.inflow.tolist() == [6.0, sum(range(4, 11)), sum(range(11, 18))]


def test_ledger_columns_must_agree_in_length() -> None:
    with pytest.raises(ValueError, match="same length"):
        Ledger(
            occurred_at=np.zeros(2, dtype="datetime64[s]"),
            amount=np.ones(1),
            is_income=np.ones(1, dtype=bool),
            category=np.array(["Other"], dtype=object),
            source_id=np.zeros(1, dtype=np.int64),
            balance_after=np.ones(1),
            opening_balance=0.0,
            timezone="UTC",
            as_of=date(2025, 1, 1),
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=60 * 24 * 3600),
            st.integers(min_value=1, max_value=100_000),
            st.booleans(),
        ),
        max_size=40,
    ),
    st.integers(min_value=-10_000, max_value=10_000),
)
def test_series_add_up_to_the_ledger(moves: list[tuple[int, int, bool]], opening: int) -> None:
    moves = sorted(moves)
    base = datetime(2025, 1, 1)
    rows = [((base + timedelta(seconds=s)).isoformat(), float(a), i) for s, a, i in moves]
    ledger = make_ledger(rows, as_of=date(2025, 3, 5), opening=float(opening))
    series = daily_series(ledger)
    assert series.inflow.sum() == pytest.approx(sum(a for _, a, i in rows if i))
    assert series.outflow.sum() == pytest.approx(sum(a for _, a, i in rows if not i))
    expected = series.opening_balance + np.cumsum(series.net)
    np.testing.assert_allclose(series.closing_balance, expected, atol=1e-6)
    for aggregate in (weekly(series), monthly(series)):
        assert aggregate.inflow.sum() == pytest.approx(series.inflow.sum())
        assert aggregate.days.sum() == len(series)


def test_day_numbers_pass_on_to_cut_and_changed_ledgers() -> None:
    """`subset` and `changed` keep the converted day numbers in step with the rows (what
    each ledger would convert again itself); a new zone converts again."""
    instants = np.array(
        ["2026-03-01T17:00:00", "2026-03-01T19:00:00", "2026-03-02T10:00:00"],
        dtype="datetime64[s]",
    )
    ledger = Ledger(
        occurred_at=instants,
        amount=np.array([1.0, 2.0, 3.0]),
        is_income=np.array([True, False, True]),
        category=np.array(["a", "b", "c"], dtype=object),
        source_id=np.full(3, -1, dtype=np.int64),
        balance_after=np.array([1.0, -1.0, 2.0]),
        opening_balance=0.0,
        timezone="Asia/Kolkata",
        as_of=date(2026, 3, 2),
    )
    first = ledger.day_numbers  # 19:00 UTC is after midnight in India
    assert first.tolist() == [day_number(date(2026, 3, 1)), *[day_number(date(2026, 3, 2))] * 2]
    rows = np.array([False, True, True])
    cut = changed(ledger, rows, as_of=date(2026, 3, 3))
    assert "day_numbers" in cut.__dict__
    assert cut.day_numbers.tolist() == first[rows].tolist()
    assert cut.amount.tolist() == [2.0, 3.0]
    assert cut.as_of == date(2026, 3, 3)
    moved = changed(ledger, timezone="UTC")
    assert "day_numbers" not in moved.__dict__
    assert moved.day_numbers.tolist() == [day_number(date(2026, 3, 1))] * 2 + [
        day_number(date(2026, 3, 2))
    ]
