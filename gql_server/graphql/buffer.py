"""The income-smoothing buffer in GraphQL: its state, the plan, the ledger and its settings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.graphql.context import Info, once_per_query
from gql_server.graphql.income_sources import present_fields
from gql_server.graphql.pagination import Connection, Edge, page_info
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import buffer as buffer_service
from gql_server.services import lookup
from gql_server.services.smoothing import BufferState, buffer_state

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
BufferEntryKind: TypeAlias = models.BufferEntryKind
strawberry.enum(models.BufferEntryKind, name="BufferEntryKind")


@strawberry.type(name="BufferEntry")
class BufferEntryType(relay.Node):
    id: relay.NodeID[int]
    kind: BufferEntryKind
    amount: Decimal
    balance_after: Decimal
    note: str
    created_at: datetime

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[BufferEntryType | None]:
        user = await info.context.require_user()
        rows = await lookup.owned(models.BufferEntry, user, node_ids)
        return [to_gql_entry(row) if row else None for row in rows]


def to_gql_entry(entry: models.BufferEntry) -> BufferEntryType:
    return BufferEntryType(
        id=entry.id,
        kind=models.BufferEntryKind(entry.kind),
        amount=entry.amount,
        balance_after=entry.balance_after,
        note=entry.note,
        created_at=entry.created_at,
    )


@strawberry.type(name="Buffer")
class BufferType:
    balance: Decimal
    target: Decimal = strawberry.field(description="Months of essential spending to hold.")
    target_months: float
    total_deposited: Decimal
    total_withdrawn: Decimal
    monthly_paycheck: Decimal = strawberry.field(description="The paycheck the user pays self.")
    paycheck_override: Decimal | None = strawberry.field(description="Set by the user, if any.")
    runway_months: float | None = strawberry.field(
        description="Months the buffer covers essential spending (null with no spending)."
    )
    risk_score: float = strawberry.field(description="0 (safe) .. 1.")

    @strawberry.field(description="Newest first; `first` is at most MAX_PAGE_SIZE (100).")
    async def entries(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[BufferEntryType]:
        user = await info.context.require_user()
        limit = info.context.settings.max_page_size
        page = await buffer_service.list_entries(user, first, after, limit)
        edges = [
            Edge(cursor=buffer_service.encode_cursor(e.id), node=to_gql_entry(e))
            for e in page.items
        ]
        return Connection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges], page.has_next_page, page.end_cursor, after
            ),
            count=lambda: buffer_service.count_entries(user),
        )


def to_gql_buffer(state: BufferState) -> BufferType:
    buffer, plan = state.buffer, state.plan
    return BufferType(
        balance=buffer.balance,
        target=plan.target,
        target_months=plan.target_months,
        total_deposited=buffer.total_deposited,
        total_withdrawn=buffer.total_withdrawn,
        monthly_paycheck=plan.monthly_paycheck,
        paycheck_override=buffer.paycheck_override,
        runway_months=plan.runway_months,
        risk_score=plan.risk_score,
    )


@strawberry.type
class SmoothingMonth:
    month: date
    income: Decimal
    paycheck_paid: Decimal
    deposit: Decimal
    withdrawal: Decimal
    balance_after: Decimal
    shortfall: Decimal = strawberry.field(description="Paycheck not paid: the buffer ran dry.")


@strawberry.type
class SmoothingPlan:
    monthly_paycheck: Decimal
    recommended_paycheck: Decimal = strawberry.field(description="The rule's own paycheck.")
    target: Decimal
    target_months: float
    this_month_income: Decimal
    recommended_deposit: Decimal
    recommended_withdrawal: Decimal
    months_to_target: int | None = strawberry.field(description="Null: not at this rate.")
    runway_months: float | None
    risk_score: float
    history: list[SmoothingMonth] = strawberry.field(
        description="Your past months replayed under the rule (with hindsight: it shows what "
        "the rule does, it is not a forecast)."
    )
    raw_income_cv: float | None
    smoothed_income_cv: float | None = strawberry.field(description="CV of the paycheck paid.")
    dry_months: int = strawberry.field(description="Replayed months the buffer ran dry.")
    monthly_tax_set_aside: Decimal = strawberry.field(
        description="Advance tax kept back each month (with a tax profile): the paycheck is "
        "what is left after it."
    )
    tax_reserve: Decimal = strawberry.field(
        description="The next advance-tax instalment, counted in the target."
    )


def to_gql_plan(state: BufferState) -> SmoothingPlan:
    plan, replay = state.plan, state.plan.replay
    return SmoothingPlan(
        monthly_paycheck=plan.monthly_paycheck,
        recommended_paycheck=plan.recommended_paycheck,
        target=plan.target,
        target_months=plan.target_months,
        this_month_income=plan.this_month_income,
        recommended_deposit=plan.recommended_deposit,
        recommended_withdrawal=plan.recommended_withdrawal,
        months_to_target=plan.months_to_target,
        runway_months=plan.runway_months,
        risk_score=plan.risk_score,
        history=[
            SmoothingMonth(
                month=m.month,
                income=m.income,
                paycheck_paid=m.paycheck_paid,
                deposit=m.deposit,
                withdrawal=m.withdrawal,
                balance_after=m.balance_after,
                shortfall=m.shortfall,
            )
            for m in replay.months
        ],
        raw_income_cv=replay.raw_income_cv,
        smoothed_income_cv=replay.paycheck_cv,
        dry_months=replay.dry_months,
        monthly_tax_set_aside=plan.monthly_tax_set_aside,
        tax_reserve=plan.tax_reserve,
    )


@strawberry.input
class BufferSettingsInput:
    target_months: float | None = strawberry.field(
        default=strawberry.UNSET, description="0.5 to 24; null: as recommended."
    )
    paycheck_override: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="null: as recommended."
    )


async def _shared_state(info: Info) -> BufferState:
    user = await info.context.require_user()
    return await once_per_query(info, "buffer_state", lambda: buffer_state(user))


async def resolve_buffer(info: Info) -> BufferType:
    return to_gql_buffer(await _shared_state(info))


async def resolve_smoothing_plan(info: Info) -> SmoothingPlan:
    return to_gql_plan(await _shared_state(info))


@strawberry.type
class BufferMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Applied once per idempotencyKey: a retry returns the same entry.",
    )
    async def deposit_to_buffer(
        self, info: Info, amount: Decimal, idempotency_key: str, note: str | None = None
    ) -> BufferEntryType:
        user = await info.context.require_user()
        return to_gql_entry(await buffer_service.deposit(user, amount, idempotency_key, note))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Never below zero; applied once per idempotencyKey.",
    )
    async def withdraw_from_buffer(
        self, info: Info, amount: Decimal, idempotency_key: str, note: str | None = None
    ) -> BufferEntryType:
        user = await info.context.require_user()
        return to_gql_entry(await buffer_service.withdraw(user, amount, idempotency_key, note))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_buffer_settings(self, info: Info, input: BufferSettingsInput) -> BufferType:
        user = await info.context.require_user()
        await buffer_service.update_settings(user, present_fields(input))
        return to_gql_buffer(await buffer_state(user))
