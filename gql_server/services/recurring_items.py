"""Recurring items: the detections each outlook stores, and what the user declares, edits and
dismisses (the rules of who wins are in `core.known_money`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql_server import locks
from gql_server.core.calendar import clipped_date
from gql_server.core.categories import categorize, normalize_category
from gql_server.core.known_money.items import Cadence, Declared, RecurringSeries, counterparty
from gql_server.core.known_money.schedule import occurrences_between
from gql_server.errors import BadUserInput, NotFound
from gql_server.models import (
    Direction,
    IncomeSource,
    RecurringCadence,
    RecurringItem,
    RecurringSource,
    RecurringStatus,
    User,
)
from gql_server.services import validation
from gql_server.services.income_sources import get_income_source
from gql_server.services.validation import BIGINT_ID_MAX, local_today, object_id

MAX_DECLARED = 100
MAX_INTERVAL_DAYS = 366
MAX_AHEAD_DAYS = 366  # a first date further out than a year is not a schedule to plan with
WEEK = 7


@dataclass(frozen=True)
class RecurringForm:
    merchant: str
    direction: Direction
    amount: Decimal
    cadence: RecurringCadence
    interval_days: int | None = None
    day_of_month: int | None = None
    next_date: date | None = None
    category: str | None = None
    income_source_id: str | None = None
    note: str = ""


def _next_monthly(day_of_month: int, today: date) -> date:
    """The first date on or after today that falls on the day of the month."""
    candidate = clipped_date(today.year, today.month, day_of_month)
    if candidate >= today:
        return candidate
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return clipped_date(year, month, day_of_month)


def check_schedule(
    cadence: RecurringCadence,
    interval_days: int | None,
    day_of_month: int | None,
    next_date: date | None,
    today: date,
) -> tuple[int | None, int | None, date]:
    """A schedule that can happen: MONTHLY on a day 1..31 (31 is every month's last day; the
    day defaults to nextDate's), WEEKLY, or EVERY_N_DAYS with 1..366 days; the first date from
    today to a year ahead (a monthly one defaults to the next such day). Returns the interval,
    the day of the month and the first date."""
    if next_date is not None and not today <= next_date <= today + timedelta(MAX_AHEAD_DAYS):
        raise BadUserInput(
            f"nextDate must be between {today} and {today + timedelta(MAX_AHEAD_DAYS)}",
            field="nextDate",
        )
    if cadence is RecurringCadence.MONTHLY:
        if interval_days is not None:
            raise BadUserInput("intervalDays is only for EVERY_N_DAYS", field="intervalDays")
        if day_of_month is None:
            if next_date is None:
                raise BadUserInput(
                    "a MONTHLY item needs dayOfMonth or nextDate", field="dayOfMonth"
                )
            day_of_month = next_date.day
        if not 1 <= day_of_month <= 31:
            raise BadUserInput("dayOfMonth must be between 1 and 31", field="dayOfMonth")
        if next_date is None:
            return None, day_of_month, _next_monthly(day_of_month, today)
        if next_date != clipped_date(next_date.year, next_date.month, day_of_month):
            raise BadUserInput(
                f"nextDate must fall on day {day_of_month} of its month (or the month's last "
                "day when it is shorter)",
                field="nextDate",
            )
        return None, day_of_month, next_date
    if day_of_month is not None:
        raise BadUserInput("dayOfMonth is only for MONTHLY", field="dayOfMonth")
    if cadence is RecurringCadence.WEEKLY:
        if interval_days not in (None, WEEK):
            raise BadUserInput("a WEEKLY item comes every 7 days", field="intervalDays")
        interval_days = None
    elif interval_days is None or not 1 <= interval_days <= MAX_INTERVAL_DAYS:
        raise BadUserInput(
            f"intervalDays must be between 1 and {MAX_INTERVAL_DAYS} for EVERY_N_DAYS",
            field="intervalDays",
        )
    if next_date is None:
        raise BadUserInput(f"a {cadence.value} item needs nextDate", field="nextDate")
    return interval_days, None, next_date


def to_series(row: RecurringItem) -> RecurringSeries:
    """A stored item as the core reads a series (a declared one has no rows behind it)."""
    cadence = Cadence(row.cadence)
    interval = WEEK if cadence is Cadence.WEEKLY else row.interval_days
    return RecurringSeries(
        merchant=row.merchant,
        category=row.category,
        is_income=row.direction == Direction.INCOME,
        cadence=cadence,
        interval_days=interval,
        day_of_month=row.day_of_month,
        amount=float(row.amount),
        last_date=row.last_date or row.next_date,
        next_date=row.next_date,
        occurrences=row.occurrences,
        confidence=row.confidence,
        row_indexes=(),
    )


def upcoming_date(row: RecurringItem, today: date) -> date:
    """The item's next date from today on: a declared item's first date rolls forward as the
    months pass (detected items are rewritten with each day's outlook)."""
    if row.next_date >= today:
        return row.next_date
    ahead = occurrences_between(to_series(row), today, today + timedelta(MAX_AHEAD_DAYS + 31))
    return ahead[0] if ahead else row.next_date


async def the_users_word(user: User) -> tuple[tuple[Declared, ...], frozenset[tuple[str, bool]]]:
    """What the forecast must respect: declared items (active or not) and the counterparties
    of dismissed detections."""
    rows = await RecurringItem.filter(
        Q(source=RecurringSource.DECLARED) | Q(status=RecurringStatus.DISMISSED), user_id=user.id
    ).order_by("id")
    declared = tuple(
        Declared(
            series=to_series(row),
            active=row.status == RecurringStatus.ACTIVE,
            source_id=row.income_source_id or -1,
        )
        for row in rows
        if row.source == RecurringSource.DECLARED
    )
    dismissed = frozenset(
        (row.counterparty, row.direction == Direction.INCOME)
        for row in rows
        if row.source == RecurringSource.DETECTED
    )
    return declared, dismissed


async def store_detected(
    user_id: int,
    detected: Sequence[RecurringSeries],
    sources: Sequence[int],
    connection: BaseDBAsyncClient,
) -> None:
    """Replace the user's active detections with `detected` (income source of each in
    `sources`, -1 for none). Dismissed ones stay: they keep the counterparty from coming back."""
    # Two server processes may store one user's outlook at once: one at a time, or both
    # would create the same detections.
    await locks.advisory(locks.Advisory.OUTLOOK_STORE, user_id, connection)
    existing = await RecurringItem.filter(
        user_id=user_id, source=RecurringSource.DETECTED
    ).using_db(connection)
    by_key = {(row.counterparty, row.direction): row for row in existing}
    known_sources = set(
        await IncomeSource.filter(user_id=user_id).using_db(connection).values_list("id", flat=True)
    )
    seen: set[tuple[str, Direction]] = set()
    created = []
    for series, source in zip(detected, sources, strict=True):
        direction = Direction.INCOME if series.is_income else Direction.EXPENSE
        key = (counterparty(series.merchant)[:120], direction)
        if key in seen:
            continue
        seen.add(key)
        values: dict[str, Any] = {
            "merchant": series.merchant[:120],
            "category": series.category[:40],
            "amount": Decimal(f"{series.amount:.2f}"),
            "cadence": RecurringCadence(series.cadence.value),
            "interval_days": series.interval_days
            if series.cadence is Cadence.EVERY_N_DAYS
            else None,
            "day_of_month": series.day_of_month,
            "next_date": series.next_date,
            "last_date": series.last_date,
            "occurrences": series.occurrences,
            "confidence": series.confidence,
            "income_source_id": source if source in known_sources else None,
        }
        row = by_key.get(key)
        if row is None:
            created.append(
                RecurringItem(
                    user_id=user_id,
                    counterparty=key[0],
                    direction=direction,
                    source=RecurringSource.DETECTED,
                    status=RecurringStatus.ACTIVE,
                    **values,
                )
            )
        elif row.status == RecurringStatus.ACTIVE:
            row.update_from_dict(values)
            await row.save(using_db=connection)
    stopped = [
        row.id
        for key, row in by_key.items()
        if key not in seen and row.status == RecurringStatus.ACTIVE
    ]
    if stopped:
        await RecurringItem.filter(id__in=stopped).using_db(connection).delete()
    if created:
        await RecurringItem.bulk_create(created, using_db=connection)


async def list_items(
    user: User, status: RecurringStatus | None = None, direction: Direction | None = None
) -> list[RecurringItem]:
    """The caller's items by next date, detections as stored (`OutlookReader.recurring_items`
    makes them fresh first)."""
    query = RecurringItem.filter(user_id=user.id)
    if status is not None:
        query = query.filter(status=status)
    if direction is not None:
        query = query.filter(direction=direction)
    rows = await query
    today = local_today(user.timezone)
    return sorted(rows, key=lambda row: (upcoming_date(row, today), row.merchant, row.id))


async def get_item(user: User, item_id: str) -> RecurringItem:
    row = await RecurringItem.get_or_none(
        id=object_id(item_id, "recurring item", BIGINT_ID_MAX), user_id=user.id
    )
    if row is None:
        raise NotFound("recurring item not found", field="id")
    return row


async def _source_for(user: User, source_id: str | None, direction: Direction) -> int | None:
    if source_id is None:
        return None
    source = await get_income_source(user, source_id)
    if direction != Direction.INCOME:
        raise BadUserInput("only income is paid by an income source", field="incomeSourceId")
    return source.id


def _category(category: str | None, merchant: str, direction: Direction) -> str:
    if category is None:
        return categorize(merchant, income=direction == Direction.INCOME)
    try:
        return normalize_category(category)
    except ValueError as error:
        raise BadUserInput(str(error), field="category") from None


def _form_values(user: User, form: RecurringForm) -> dict[str, Any]:
    """Checked values of a form; what needs the database is done by the caller."""
    merchant = validation.text(form.merchant, "merchant", 120, required=True)
    amount = validation.money(form.amount, "amount")
    interval, day, first = check_schedule(
        form.cadence,
        form.interval_days,
        form.day_of_month,
        form.next_date,
        local_today(user.timezone),
    )
    return {
        "merchant": merchant,
        "counterparty": counterparty(merchant)[:120],
        "category": _category(form.category, merchant, form.direction),
        "direction": form.direction,
        "amount": amount,
        "cadence": form.cadence,
        "interval_days": interval,
        "day_of_month": day,
        "next_date": first,
        "note": validation.text(form.note, "note", 200),
    }


async def declare_item(user: User, form: RecurringForm) -> RecurringItem:
    values = _form_values(user, form)
    source_id = await _source_for(user, form.income_source_id, form.direction)
    declared = await RecurringItem.filter(user_id=user.id, source=RecurringSource.DECLARED).count()
    if declared >= MAX_DECLARED:
        raise BadUserInput(f"a user can declare at most {MAX_DECLARED} recurring items")
    return await RecurringItem.create(
        user_id=user.id,
        source=RecurringSource.DECLARED,
        status=RecurringStatus.ACTIVE,
        occurrences=0,
        confidence=1.0,
        income_source_id=source_id,
        **values,
    )


async def update_item(user: User, item_id: str, changes: dict[str, Any]) -> RecurringItem:
    """Apply the fields present in `changes`. The item becomes the user's: DECLARED (detection
    no longer rewrites it) and ACTIVE (so an edit also restores a dismissed item)."""
    row = await get_item(user, item_id)
    today = local_today(user.timezone)
    cadence = RecurringCadence(changes.get("cadence") or row.cadence)
    moved = cadence != row.cadence
    next_date = changes.get("next_date", upcoming_date(row, today))
    restated = moved or "day_of_month" in changes
    if "next_date" not in changes and cadence is RecurringCadence.MONTHLY and restated:
        next_date = None  # the next such day, rather than a date on the old schedule
    form = RecurringForm(
        merchant=changes.get("merchant", row.merchant),
        direction=Direction(changes.get("direction") or row.direction),
        amount=changes["amount"] if changes.get("amount") is not None else row.amount,
        cadence=cadence,
        # A change of cadence drops the old cadence's fields the patch did not restate.
        interval_days=changes.get("interval_days", None if moved else row.interval_days),
        day_of_month=changes.get("day_of_month", None if moved else row.day_of_month),
        next_date=next_date,
        category=changes.get("category", row.category),
        note=changes.get("note", row.note) or "",
    )
    values = _form_values(user, form)
    if "income_source_id" in changes:
        values["income_source_id"] = await _source_for(
            user, changes["income_source_id"], form.direction
        )
    elif form.direction != Direction.INCOME:
        values["income_source_id"] = None
    row.update_from_dict(
        {**values, "source": RecurringSource.DECLARED, "status": RecurringStatus.ACTIVE}
    )
    await row.save()
    return row


async def dismiss_item(user: User, item_id: str) -> RecurringItem:
    row = await get_item(user, item_id)
    if row.status != RecurringStatus.DISMISSED:
        row.status = RecurringStatus.DISMISSED
        await row.save(update_fields=["status", "updated_at"])
    return row
