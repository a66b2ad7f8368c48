"""Alerts: a user's settings, their situation as the stored outlook describes it, and the
evaluation that fires and clears alerts (`core.alerts`) whenever an outlook is stored.

An alert that fires or clears is written with one outbox row per endpoint that wants it
(`webhooks.enqueue`) in the same transaction, under the user's row lock: two processes
storing outlooks for one user at once cannot both fire the same condition, and a delivery is
never lost between the alert and its webhook."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gql_server import locks
from gql_server.core.alerts.conditions import (
    AlertKind,
    AlertSettings,
    AlertSettingsError,
    Bill,
    Condition,
    ExpectedIncome,
    OpenAlert,
    Situation,
    covered_share,
    evaluate,
)
from gql_server.core.calendar import clipped_date
from gql_server.core.known_money.items import counterparty
from gql_server.core.outlook import Surroundings
from gql_server.errors import BadUserInput, RateLimited
from gql_server.models import (
    Alert,
    AlertPreferences,
    Buffer,
    Direction,
    RecurringItem,
    RecurringStatus,
    StoredOutlook,
    User,
)
from gql_server.services import pages, recurring_items, webhooks
from gql_server.services.outlook.views import HorizonView
from gql_server.services.validation import local_today
from gql_server.services.webhook_deliveries import DeliveryWorker

logger = logging.getLogger("gql_server.alerts")

BILL_WINDOW_DAYS = 30
# An expected payment older than this is taken for stopped, not late: its alert clears.
OVERDUE_WINDOW_DAYS = 60
MAX_LISTED = 100
# Each subscription polls the database every second: a user's subscriptions are bounded (per
# process: it is this process's polling that they cost).
MAX_SUBSCRIPTIONS_PER_USER = 5


def _settings(row: AlertPreferences | None) -> AlertSettings:
    if row is None:
        return AlertSettings()
    return AlertSettings(
        shortfall_threshold_7=row.shortfall_threshold_7,
        shortfall_threshold_30=row.shortfall_threshold_30,
        low_balance_below=row.low_balance_below,
        income_overdue_days=row.income_overdue_days,
        enabled=frozenset(AlertKind(kind) for kind in row.enabled_kinds),
    )


async def settings_for(user: User) -> AlertSettings:
    return _settings(await AlertPreferences.get_or_none(user_id=user.id))


async def update_settings(user: User, changes: dict[str, Any]) -> AlertSettings:
    """The fields present in `changes` replace the current ones; the result is checked by
    the core (`AlertSettingsError`: BAD_USER_INPUT naming the field) before it is saved."""
    current = await settings_for(user)
    given: dict[str, Any] = {
        name: frozenset(value) if name == "enabled" else value
        for name, value in changes.items()
        if value is not None
    }
    try:
        checked = dataclasses.replace(current, **given)
    except AlertSettingsError as exc:
        raise BadUserInput(str(exc), field=exc.field, reason=exc.code) from None
    await AlertPreferences.update_or_create(
        defaults={
            "shortfall_threshold_7": checked.shortfall_threshold_7,
            "shortfall_threshold_30": checked.shortfall_threshold_30,
            "low_balance_below": checked.low_balance_below,
            "income_overdue_days": checked.income_overdue_days,
            "enabled_kinds": sorted(kind.value for kind in checked.enabled),
        },
        user_id=user.id,
    )
    return checked


async def list_alerts(user: User, first: int, *, open_only: bool = False) -> list[Alert]:
    query = Alert.filter(user_id=user.id)
    if open_only:
        query = query.filter(cleared_at=None)
    return await query.order_by("-id").limit(pages.page_size(first, MAX_LISTED))


def _key(name: str) -> str:
    """A counterparty as a key that fits the column (casefolding can lengthen a name)."""
    folded = counterparty(name)
    if len(folded) <= 80:
        return folded
    return "h:" + hashlib.sha256(folded.encode()).hexdigest()[:32]


def _day_share(view: HorizonView, start: date, day: date) -> float:
    """The share of paths at or above zero on `day`, from its balance quantiles."""
    index = min(max((day - start).days, 0), len(view.balance_quantiles) - 1)
    p10, p50, p90 = (float(v) for v in view.balance_quantiles[index])
    return covered_share(p10, p50, p90)


def _expected_after(item: RecurringItem) -> date | None:
    """The next date the item was due after its last payment (its rhythm as the forecast
    reads it: a weekly item is stored without interval_days)."""
    if item.last_date is None:
        return None
    interval = recurring_items.to_series(item).interval_days
    if interval:
        return item.last_date + timedelta(days=interval)
    month = item.last_date.month % 12 + 1
    year = item.last_date.year + (item.last_date.month == 12)
    return clipped_date(year, month, item.day_of_month or item.last_date.day)


async def situation(user: User, stored: StoredOutlook, around: Surroundings) -> Situation:
    """What the alert rules read, from the stored outlook (its 7- and 30-day horizons and
    the 30-day balance fan), the recurring items it stored, and what it was computed from
    (`around`: the tax ahead and the paycheck)."""
    views = {int(h["horizon_days"]): HorizonView.stored(h) for h in stored.horizons}
    month = views.get(30) or max(views.values(), key=lambda v: v.horizon_days)
    start = stored.as_of + timedelta(days=1)
    today = local_today(user.timezone)
    medians = [Decimal(q[1]) for q in month.balance_quantiles]
    lowest = min(range(len(medians)), key=medians.__getitem__) if medians else None
    items = await RecurringItem.filter(user_id=user.id, status=RecurringStatus.ACTIVE)
    bills: list[Bill] = []
    overdue: list[ExpectedIncome] = []
    last_day = start + timedelta(days=BILL_WINDOW_DAYS - 1)
    for item in items:
        if item.direction == Direction.EXPENSE and today <= item.next_date <= last_day:
            bills.append(
                Bill(
                    key=_key(item.merchant),
                    name=item.merchant or item.category,
                    due=item.next_date,
                    amount=item.amount,
                    covered_share=_day_share(month, start, item.next_date),
                )
            )
        expected = _expected_after(item) if item.direction == Direction.INCOME else None
        if expected is not None and today - timedelta(days=OVERDUE_WINDOW_DAYS) <= expected < today:
            overdue.append(
                ExpectedIncome(
                    key=_key(item.merchant),
                    name=item.merchant,
                    expected_on=expected,
                    amount=item.amount,
                )
            )
    for due in around.tax.upcoming if around.tax else ():
        if today <= due.due_date <= last_day and due.amount > 0:
            bills.append(
                Bill(
                    key=f"tax:{due.due_date.isoformat()}",
                    name="Advance tax",
                    due=due.due_date,
                    amount=due.amount,
                    covered_share=_day_share(month, start, due.due_date),
                    is_tax=True,
                )
            )
    buffer = await Buffer.get_or_none(user_id=user.id)
    return Situation(
        as_of=today,
        shortfall_probability={d: v.shortfall_probability for d, v in views.items()},
        projected_min_balance_30=month.projected_min_balance,
        bills=tuple(bills),
        overdue_candidates=tuple(overdue),
        buffer_balance=buffer.balance if buffer is not None else None,
        buffer_monthly_draw=_monthly_draw(buffer, around, month),
        projected_min_on=start + timedelta(days=lowest) if lowest is not None else None,
    )


def _monthly_draw(buffer: Buffer | None, around: Surroundings, month: HorizonView) -> Decimal:
    """What the paycheck will take from the buffer over the next 30 days: the paycheck less
    the income the forecast expects (none without a buffer)."""
    if buffer is None or around.monthly_paycheck is None:
        return Decimal("0.00")
    return max(around.monthly_paycheck - month.expected_inflow, Decimal("0.00"))


def _alert_row(user_id: int, condition: Condition, at: datetime) -> Alert:
    return Alert(
        user_id=user_id,
        key=condition.key[:200],
        kind=condition.kind.value,
        severity=condition.severity.value,
        title=condition.title[:200],
        message=condition.message[:1000],
        metrics=condition.metrics,
        created_at=at,
    )


async def evaluate_user(
    user: User, stored: StoredOutlook, around: Surroundings
) -> tuple[list[Alert], list[Alert]]:
    """Fires and clears the user's alerts for the outlook just stored; returns (fired,
    cleared). Deliveries for their webhooks are written with them."""
    found = await situation(user, stored, around)
    settings = await settings_for(user)
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        # Two computations for one user may end out of order: only the outlook still stored
        # speaks (an older one would fire or clear on figures already replaced).
        current = await StoredOutlook.filter(user_id=user.id).using_db(connection).first()
        if current is None or current.fingerprint != stored.fingerprint:
            return [], []
        now = datetime.now(UTC)  # under the lock: clearings are stamped in commit order
        open_rows = await Alert.filter(user_id=user.id, cleared_at=None).using_db(connection)
        open_alerts = {
            row.key: OpenAlert(row.key, AlertKind(row.kind), row.metrics) for row in open_rows
        }
        changes = evaluate(found, settings, open_alerts)
        fired = [_alert_row(user.id, condition, now) for condition in changes.fire]
        for row in fired:
            await row.save(using_db=connection)
        cleared = [row for row in open_rows if row.key in set(changes.clear)]
        for row in cleared:
            row.cleared_at = now
            await row.save(using_db=connection, update_fields=["cleared_at"])
        await _enqueue(user.id, fired, cleared, connection)
    return fired, cleared


async def _enqueue(
    user_id: int, fired: list[Alert], cleared: list[Alert], connection: BaseDBAsyncClient
) -> None:
    for row in fired:
        await webhooks.enqueue(user_id, row, "alert.fired", connection)
    for row in cleared:
        await webhooks.enqueue(user_id, row, "alert.cleared", connection)


async def raise_alert(user_id: int, condition: Condition) -> Alert | None:
    """An alert the service raises itself (a webhook disabled), unless one with its key is
    open already; delivered like the others."""
    now = datetime.now(UTC)
    async with in_transaction() as connection:
        await locks.user_row(user_id, connection)
        if not await User.exists(id=user_id, using_db=connection):
            return None  # erased while the caller (a webhook delivery) ran: nobody to tell
        if (
            await Alert.filter(user_id=user_id, key=condition.key, cleared_at=None)
            .using_db(connection)
            .exists()
        ):
            return None
        row = _alert_row(user_id, condition, now)
        await row.save(using_db=connection)
        await _enqueue(user_id, [row], [], connection)
    return row


# Subscribers in this process, woken when this process fires or clears an alert for their
# user (a cache safe to lose: subscribers also poll the table, which is how another
# process's alerts reach them).
_listeners: dict[int, set[asyncio.Event]] = {}


def _wake(user_id: int) -> None:
    for event in _listeners.get(user_id, ()):
        event.set()


def alert_evaluator(
    deliveries: DeliveryWorker,
) -> Callable[[User, StoredOutlook, Surroundings], Awaitable[None]]:
    """What the outlook service runs after storing an outlook: evaluate, then tell the
    delivery worker and this process's subscribers."""

    async def after_store(user: User, stored: StoredOutlook, around: Surroundings) -> None:
        fired, cleared = await evaluate_user(user, stored, around)
        if fired or cleared:
            deliveries.poke()
            _wake(user.id)

    return after_store


@dataclass(frozen=True)
class AlertEvent:
    alert: Alert
    event: str  # "alert.fired" or "alert.cleared"


async def alert_events(
    user_id: int, *, poll_s: float = 1.0, still_allowed: Callable[[], Awaitable[bool]]
) -> AsyncGenerator[AlertEvent, None]:
    """Alerts that fire or clear from now on, as they do (this process's at once, another
    process's within `poll_s`). Ends when `still_allowed()` says no (tokens revoked)."""
    if len(_listeners.get(user_id, ())) >= MAX_SUBSCRIPTIONS_PER_USER:
        raise RateLimited(
            f"at most {MAX_SUBSCRIPTIONS_PER_USER} alert subscriptions at once per user",
            retryable=True,
        )
    event = asyncio.Event()
    _listeners.setdefault(user_id, set()).add(event)  # before any await: the cap holds
    try:
        newest = await Alert.filter(user_id=user_id).order_by("-id").limit(1).values_list("id")
        seen = int(newest[0][0]) if newest else 0
        since = datetime.now(UTC)
        while await still_allowed():
            rows = (
                await Alert.filter(user_id=user_id)
                .filter(Q(id__gt=seen) | Q(cleared_at__gt=since))
                .order_by("id")
            )
            for row in rows:
                if row.id > seen:
                    seen = row.id
                    yield AlertEvent(row, "alert.fired")
                if row.cleared_at is not None and row.cleared_at > since:
                    yield AlertEvent(row, "alert.cleared")
            cleared = [row.cleared_at for row in rows if row.cleared_at is not None]
            since = max([since, *cleared])
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), poll_s)
    finally:
        _listeners.get(user_id, set()).discard(event)
        if not _listeners.get(user_id):
            _listeners.pop(user_id, None)
