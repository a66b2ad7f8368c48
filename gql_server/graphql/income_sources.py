"""Income sources in GraphQL: the type, the list, and create / update / delete."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.graphql.context import Info
from gql_server.graphql.ids import local_id
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import income_sources, lookup

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
IncomeKind: TypeAlias = models.IncomeKind
strawberry.enum(models.IncomeKind, name="IncomeKind")
IncomeFrequency: TypeAlias = models.IncomeFrequency
strawberry.enum(models.IncomeFrequency, name="IncomeFrequency")


@strawberry.type(name="IncomeSource")
class IncomeSourceType(relay.Node):
    id: relay.NodeID[int]
    name: str
    kind: IncomeKind
    frequency: IncomeFrequency
    expected_monthly_amount: Decimal | None
    tds_percent: Decimal | None = strawberry.field(
        description="The share of each fee this source withholds as TDS (the tax outlook "
        "grosses up what arrived by it)."
    )
    created_at: datetime

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[IncomeSourceType | None]:
        user = await info.context.require_user()
        rows = await lookup.owned(models.IncomeSource, user, node_ids)
        return [to_gql_income_source(row) if row else None for row in rows]


def to_gql_income_source(row: models.IncomeSource) -> IncomeSourceType:
    return IncomeSourceType(
        id=row.id,
        name=row.name,
        kind=models.IncomeKind(row.kind),
        frequency=models.IncomeFrequency(row.frequency),
        expected_monthly_amount=row.expected_monthly_amount,
        tds_percent=row.tds_percent,
        created_at=row.created_at,
    )


@strawberry.input
class IncomeSourceInput:
    name: str
    kind: IncomeKind = models.IncomeKind.CLIENT
    frequency: IncomeFrequency = models.IncomeFrequency.IRREGULAR
    expected_monthly_amount: Decimal | None = None
    tds_percent: Decimal | None = None


@strawberry.input
class IncomeSourcePatch:
    name: str | None = strawberry.UNSET
    kind: IncomeKind | None = strawberry.UNSET
    frequency: IncomeFrequency | None = strawberry.UNSET
    expected_monthly_amount: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it"
    )
    tds_percent: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="null clears it"
    )


async def linked_income_source(info: Info, source_id: int | None) -> IncomeSourceType | None:
    """The income source a row links to, batched per request (DataLoader)."""
    if source_id is None:
        return None
    row = await info.context.loaders.income_source.load(source_id)
    return to_gql_income_source(row) if row else None


def present_fields(patch: object) -> dict[str, Any]:
    """The fields a client actually sent in a patch input (absent ones are UNSET). Each value
    has its field's type in the patch class, which a dict cannot say: hence Any."""
    return {k: v for k, v in vars(patch).items() if v is not strawberry.UNSET}


async def resolve_income_sources(info: Info) -> list[IncomeSourceType]:
    user = await info.context.require_user()
    return [to_gql_income_source(row) for row in await income_sources.list_income_sources(user)]


@strawberry.type
class IncomeSourceMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def create_income_source(self, info: Info, input: IncomeSourceInput) -> IncomeSourceType:
        user = await info.context.require_user()
        form = income_sources.IncomeSourceForm(
            name=input.name,
            kind=models.IncomeKind(input.kind),
            frequency=models.IncomeFrequency(input.frequency),
            expected_monthly_amount=input.expected_monthly_amount,
            tds_percent=input.tds_percent,
        )
        return to_gql_income_source(await income_sources.create_income_source(user, form))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_income_source(
        self, info: Info, id: strawberry.ID, input: IncomeSourcePatch
    ) -> IncomeSourceType:
        user = await info.context.require_user()
        row = await income_sources.update_income_source(
            user, local_id(id, "IncomeSource"), present_fields(input)
        )
        return to_gql_income_source(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Deletes the source; its transactions are kept, no longer linked to it.",
    )
    async def delete_income_source(self, info: Info, id: strawberry.ID) -> bool:
        user = await info.context.require_user()
        await income_sources.delete_income_source(user, local_id(id, "IncomeSource"))
        return True
