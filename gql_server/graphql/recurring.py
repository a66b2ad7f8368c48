"""Recurring items in GraphQL: what the forecast expects on its dates, detected or declared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.graphql.context import Info, outlook
from gql_server.graphql.ids import local_id
from gql_server.graphql.income_sources import (
    IncomeSourceType,
    linked_income_source,
    present_fields,
)
from gql_server.graphql.ledger import Direction
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import lookup, recurring_items
from gql_server.services.validation import local_today

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
RecurringCadence: TypeAlias = models.RecurringCadence
strawberry.enum(
    models.RecurringCadence,
    name="RecurringCadence",
    description="MONTHLY on dayOfMonth (31: the month's last day), WEEKLY, or every "
    "intervalDays days.",
)
RecurringSource: TypeAlias = models.RecurringSource
strawberry.enum(
    models.RecurringSource,
    name="RecurringSource",
    description="DETECTED in your history (rewritten as it changes) or DECLARED by you.",
)
RecurringStatus: TypeAlias = models.RecurringStatus
strawberry.enum(models.RecurringStatus, name="RecurringStatus")


@strawberry.type(name="RecurringItem")
class RecurringItemType(relay.Node):
    id: relay.NodeID[int]
    merchant: str = strawberry.field(
        description="The counterparty (a category name when found by category)."
    )
    category: str
    direction: Direction
    amount: Decimal = strawberry.field(description="Typical amount of one occurrence.")
    cadence: RecurringCadence
    interval_days: int | None = strawberry.field(description="EVERY_N_DAYS: N. WEEKLY: 7.")
    day_of_month: int | None = strawberry.field(description="MONTHLY: 1..31.")
    next_date: date = strawberry.field(description="Next expected local date, today or later.")
    last_date: date | None = strawberry.field(description="Latest occurrence seen in history.")
    occurrences: int = strawberry.field(description="Payments in the detected run (declared: 0).")
    confidence: float = strawberry.field(description="0..1; declared items are 1.")
    source: RecurringSource
    status: RecurringStatus
    note: str
    income_source_id: strawberry.Private[int | None]

    @strawberry.field
    async def income_source(self, info: Info) -> IncomeSourceType | None:
        return await linked_income_source(info, self.income_source_id)

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[RecurringItemType | None]:
        user = await info.context.require_user()
        today = local_today(user.timezone)
        rows = await lookup.owned(models.RecurringItem, user, node_ids)
        return [to_gql_recurring_item(row, today) if row else None for row in rows]


def to_gql_recurring_item(row: models.RecurringItem, today: date) -> RecurringItemType:
    cadence = models.RecurringCadence(row.cadence)
    return RecurringItemType(
        id=row.id,
        merchant=row.merchant,
        category=row.category,
        direction=models.Direction(row.direction),
        amount=row.amount,
        cadence=cadence,
        interval_days=7 if cadence is models.RecurringCadence.WEEKLY else row.interval_days,
        day_of_month=row.day_of_month,
        next_date=recurring_items.upcoming_date(row, today),
        last_date=row.last_date,
        occurrences=row.occurrences,
        confidence=row.confidence,
        source=models.RecurringSource(row.source),
        status=models.RecurringStatus(row.status),
        note=row.note,
        income_source_id=row.income_source_id,
    )


@strawberry.input
class RecurringItemInput:
    merchant: str = strawberry.field(description="Who is paid, or who pays you.")
    direction: Direction
    amount: Decimal = strawberry.field(description="Rupees, > 0, at most 2 decimals.")
    cadence: RecurringCadence
    interval_days: int | None = strawberry.field(default=None, description="EVERY_N_DAYS: 1..366.")
    day_of_month: int | None = strawberry.field(
        default=None, description="MONTHLY: 1..31 (31 lands on each month's last day)."
    )
    next_date: date | None = strawberry.field(
        default=None,
        description="First date, today to a year ahead. MONTHLY: defaults to the next dayOfMonth.",
    )
    category: str | None = strawberry.field(
        default=None, description="Left out: assigned from the merchant."
    )
    income_source_id: strawberry.ID | None = None
    note: str = ""


@strawberry.input
class RecurringItemPatch:
    merchant: str | None = strawberry.UNSET
    direction: Direction | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    cadence: RecurringCadence | None = strawberry.UNSET
    interval_days: int | None = strawberry.UNSET
    day_of_month: int | None = strawberry.UNSET
    next_date: date | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    income_source_id: strawberry.ID | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


async def resolve_recurring_items(
    info: Info,
    status: models.RecurringStatus | None = None,
    direction: models.Direction | None = None,
) -> list[RecurringItemType]:
    user = await info.context.require_user()
    rows = await outlook(info).recurring_items(
        models.RecurringStatus(status) if status else None,
        models.Direction(direction) if direction else None,
    )
    today = local_today(user.timezone)
    return [to_gql_recurring_item(row, today) for row in rows]


@strawberry.type
class RecurringMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Declares a recurring item; it wins over a detection of the same counterparty.",
    )
    async def declare_recurring_item(
        self, info: Info, input: RecurringItemInput
    ) -> RecurringItemType:
        user = await info.context.require_user()
        form = recurring_items.RecurringForm(
            merchant=input.merchant,
            direction=models.Direction(input.direction),
            amount=input.amount,
            cadence=models.RecurringCadence(input.cadence),
            interval_days=input.interval_days,
            day_of_month=input.day_of_month,
            next_date=input.next_date,
            category=input.category,
            income_source_id=local_id(input.income_source_id, "IncomeSource")
            if input.income_source_id
            else None,
            note=input.note,
        )
        row = await recurring_items.declare_item(user, form)
        return to_gql_recurring_item(row, local_today(user.timezone))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Edits an item. It becomes DECLARED (detection no longer rewrites it) and "
        "ACTIVE (an edit also restores a dismissed item).",
    )
    async def update_recurring_item(
        self, info: Info, id: strawberry.ID, input: RecurringItemPatch
    ) -> RecurringItemType:
        user = await info.context.require_user()
        changes = present_fields(input)
        for name, enum in (
            ("direction", models.Direction),
            ("cadence", models.RecurringCadence),
        ):
            if changes.get(name) is not None:
                changes[name] = enum(changes[name])
        if changes.get("income_source_id") is not None:
            changes["income_source_id"] = local_id(changes["income_source_id"], "IncomeSource")
        row = await recurring_items.update_item(user, local_id(id, "RecurringItem"), changes)
        return to_gql_recurring_item(row, local_today(user.timezone))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Stops expecting the item; a dismissed detection stays dismissed.",
    )
    async def dismiss_recurring_item(self, info: Info, id: strawberry.ID) -> RecurringItemType:
        user = await info.context.require_user()
        row = await recurring_items.dismiss_item(user, local_id(id, "RecurringItem"))
        return to_gql_recurring_item(row, local_today(user.timezone))
