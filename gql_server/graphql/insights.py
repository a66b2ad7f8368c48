"""Insights in GraphQL: plain statements with the numbers they rest on, most important first."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql_server import models
from gql_server.core.insights import records
from gql_server.graphql.context import Info, outlook
from gql_server.services import lookup

# The core's enum, registered in place (see ledger.Direction): one declaration, not two.
Severity: TypeAlias = records.Severity
strawberry.enum(records.Severity, name="Severity")


@strawberry.type
class InsightPeriod:
    start: date
    end: date


@strawberry.type
class Insight(relay.Node):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="income_trend, seasonality, upcoming_shortfall...")
    severity: Severity
    title: str
    message: str = strawberry.field(description="Amounts the Indian way: ₹1,07,954.")
    metrics: JSON = strawberry.field(description="The numbers the statement rests on.")
    period: InsightPeriod | None = strawberry.field(description="The time it speaks of.")
    created_at: datetime

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[Insight | None]:
        user = await info.context.require_user()
        rows = await lookup.owned(models.Insight, user, node_ids)
        return [to_gql_insight(row) if row else None for row in rows]


def to_gql_insight(row: models.Insight) -> Insight:
    period = (
        InsightPeriod(start=row.period_start, end=row.period_end)
        if row.period_start and row.period_end
        else None
    )
    return Insight(
        id=row.id,
        kind=row.kind,
        severity=Severity(row.severity),
        title=row.title,
        message=row.message,
        metrics=JSON(row.metrics),
        period=period,
        created_at=row.created_at,
    )


async def resolve_insights(info: Info, first: int) -> list[Insight]:
    rows = await outlook(info).insights(first)
    return [to_gql_insight(row) for row in rows]
