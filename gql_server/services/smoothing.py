"""The smoothing plan of a user: their monthly income and essential spending (summed by the
database, in their time zone) through the pure smoothing rule, with their buffer's state."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from gql_server.core.smoothing.months import MonthFlow
from gql_server.core.smoothing.plan import SmoothingPlan, smoothing_plan
from gql_server.core.smoothing.replay import replay
from gql_server.core.tax.outlook import TaxOutlook
from gql_server.models import Buffer, BufferEntry, BufferEntryKind, User
from gql_server.services import tax
from gql_server.services.buffer import get_buffer
from gql_server.services.cashflow import Interval, cashflow
from gql_server.services.validation import local_today

HISTORY_MONTHS = 24


@dataclass(frozen=True)
class BufferState:
    buffer: Buffer
    plan: SmoothingPlan


async def month_flows(user: User, months: int = HISTORY_MONTHS) -> tuple[list[MonthFlow], Decimal]:
    """Complete past months (oldest first, from the first month with any transaction) and the
    income of the month in progress."""
    today = local_today(user.timezone)
    this_month = today.replace(day=1)
    since = this_month
    for _ in range(months):
        since = (since - timedelta(days=1)).replace(day=1)
    periods = await cashflow(user, Interval.MONTH, since, today)
    while periods and periods[0].transaction_count == 0:
        periods.pop(0)
    past = [p for p in periods if p.start < this_month]
    current = next((p.income for p in periods if p.start == this_month), Decimal("0.00"))
    return [MonthFlow(p.start, p.income, p.essential_expenses) for p in past], current


async def buffer_state(user: User) -> BufferState:
    """The buffer and its plan, with the year's advance tax set aside when the user has a tax
    profile (`tax.forecast_tax`). The three reads do not depend on each other and go at once:
    one round trip's wait instead of three on a dashboard's slowest path."""
    ahead, buffer, (history, this_month_income) = await asyncio.gather(
        tax.forecast_tax(user), get_buffer(user), month_flows(user)
    )
    return _state(buffer, history, this_month_income, ahead)


async def buffer_state_with(user: User, ahead: TaxOutlook | None) -> BufferState:
    """`buffer_state` with the year's tax already in hand (the outlook reads it once for the
    forecast, the plan and the insights)."""
    buffer, (history, this_month_income) = await asyncio.gather(get_buffer(user), month_flows(user))
    return _state(buffer, history, this_month_income, ahead)


def _state(
    buffer: Buffer,
    history: list[MonthFlow],
    this_month_income: Decimal,
    ahead: TaxOutlook | None,
) -> BufferState:
    plan = smoothing_plan(
        history,
        this_month_income,
        buffer.balance,
        paycheck_override=buffer.paycheck_override,
        target_months_override=buffer.target_months,
        tax_set_aside=ahead.monthly_set_aside if ahead else Decimal("0.00"),
        tax_reserve=(
            ahead.next_instalment.amount if ahead and ahead.next_instalment else Decimal("0.00")
        ),
    )
    return BufferState(buffer=buffer, plan=plan)


async def seed_buffer_from_history(user: User) -> Buffer:
    """Give a generated user the buffer they would have if they had followed the rule: the
    replay of their past months, one entry per month that moved money. Applied once (the
    entries' idempotency keys are the months)."""
    history, _ = await month_flows(user)
    result = replay(history, rolling=True)
    buffer = await get_buffer(user)
    async with in_transaction() as connection:
        if await BufferEntry.filter(buffer_id=buffer.id).using_db(connection).exists():
            return buffer
        entries = [
            BufferEntry(
                buffer_id=buffer.id,
                kind=BufferEntryKind.DEPOSIT if month.deposit else BufferEntryKind.WITHDRAWAL,
                amount=month.deposit or month.withdrawal,
                balance_after=month.balance_after,
                note=f"smoothing rule, {month.month:%B %Y}",
                idempotency_key=f"replay:{month.month:%Y-%m}",
            )
            for month in result.months
            if month.deposit or month.withdrawal
        ]
        await BufferEntry.bulk_create(entries, using_db=connection)
        buffer.balance = result.final_balance
        buffer.total_deposited = result.total_deposited
        buffer.total_withdrawn = result.total_withdrawn
        await buffer.save(
            using_db=connection, update_fields=["balance", "total_deposited", "total_withdrawn"]
        )
    return buffer
