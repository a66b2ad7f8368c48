"""When an income was next due after its last payment, as INCOME_OVERDUE reads it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gql_server.models import Direction, RecurringCadence, RecurringItem, RecurringSource
from gql_server.services.alerts import _expected_after


def _item(cadence: RecurringCadence, **fields: object) -> RecurringItem:
    values: dict[str, object] = {
        "merchant": "Swiggy",
        "counterparty": "swiggy",
        "category": "Income",
        "direction": Direction.INCOME,
        "amount": Decimal("4200.00"),
        "cadence": cadence,
        "next_date": date(2026, 12, 1),
        "source": RecurringSource.DETECTED,
        **fields,
    }
    return RecurringItem(**values)


def test_a_weekly_payout_is_due_a_week_after_the_last() -> None:
    # Weekly items are stored without interval_days: they were expected a month later.
    item = _item(RecurringCadence.WEEKLY, last_date=date(2026, 11, 24))
    assert _expected_after(item) == date(2026, 12, 1)


def test_a_monthly_income_keeps_its_day_clipped_to_the_month() -> None:
    item = _item(RecurringCadence.MONTHLY, day_of_month=31, last_date=date(2027, 1, 31))
    assert _expected_after(item) == date(2027, 2, 28)
    item = _item(RecurringCadence.MONTHLY, day_of_month=30, last_date=date(2026, 11, 30))
    assert _expected_after(item) == date(2026, 12, 30)  # was the 28th


def test_without_a_payment_nothing_is_expected() -> None:
    assert _expected_after(_item(RecurringCadence.MONTHLY, last_date=None)) is None
