"""Forecasts and features in GraphQL: what the next 7, 30 and 60 days look like, and how sure."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from gql_server.core.forecasting import HORIZONS
from gql_server.graphql.context import Info
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.models import UserForecast
from gql_server.services import forecasts


@strawberry.enum
class RiskLevel(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@strawberry.type
class Forecast:
    horizon_days: int
    as_of: date = strawberry.field(description="Last day of the history it starts after.")
    expected_inflow: Decimal
    expected_outflow: Decimal
    expected_net: Decimal
    inflow_low: Decimal = strawberry.field(description="80% interval of the inflow: 10th pct.")
    inflow_high: Decimal = strawberry.field(description="80% interval of the inflow: 90th pct.")
    net_low: Decimal
    net_high: Decimal
    projected_min_balance: Decimal = strawberry.field(
        description="Median over simulated paths of the lowest end-of-day balance."
    )
    shortfall_probability: float = strawberry.field(
        description="Chance that the balance goes below zero within the horizon, 0..1."
    )
    risk_level: RiskLevel
    risk_score: float = strawberry.field(description="0 (safe) .. 1.")
    model: str = strawberry.field(description="The model behind the inflow forecast.")
    low_confidence: bool = strawberry.field(description="Too little history to trust much.")
    backtest_mase: float | None = strawberry.field(
        description="Rolling-origin MASE of the 30-day inflow (below 1 beats seasonal naive)."
    )
    interval_coverage: float | None = strawberry.field(
        description="Share of backtests whose actual 30-day inflow fell in the 80% interval."
    )
    generated_at: datetime


@strawberry.type
class Feature:
    name: str
    value: float | None
    description: str


@strawberry.type
class Features:
    as_of: date
    values: list[Feature]


def to_gql_forecast(stored: UserForecast, horizon_days: int) -> Forecast:
    view = forecasts.horizon_view(stored, horizon_days)
    return Forecast(
        horizon_days=horizon_days,
        as_of=stored.as_of,
        expected_inflow=view.expected_inflow,
        expected_outflow=view.expected_outflow,
        expected_net=view.expected_net,
        inflow_low=view.inflow_low,
        inflow_high=view.inflow_high,
        net_low=view.net_low,
        net_high=view.net_high,
        projected_min_balance=view.projected_min_balance,
        shortfall_probability=view.shortfall_probability,
        risk_level=RiskLevel(view.risk_level),
        risk_score=view.risk_score,
        model=stored.model,
        low_confidence=stored.low_confidence,
        backtest_mase=stored.backtest_mase,
        interval_coverage=stored.interval_coverage,
        generated_at=stored.generated_at,
    )


async def resolve_forecast(info: Info, horizon_days: int) -> Forecast:
    forecasts.check_horizon(horizon_days)
    stored = await info.context.outlooks.get(await info.context.require_user())
    return to_gql_forecast(stored, horizon_days)


async def resolve_forecasts(info: Info, refresh: bool = False) -> list[Forecast]:
    user = await info.context.require_user()
    stored = await info.context.outlooks.get(user, refresh=refresh)
    return [to_gql_forecast(stored, h) for h in HORIZONS]


async def resolve_features(info: Info) -> Features:
    stored = await info.context.outlooks.get(await info.context.require_user())
    values = [
        Feature(name=n, value=v, description=d) for n, v, d in forecasts.feature_values(stored)
    ]
    return Features(as_of=stored.as_of, values=values)


@strawberry.type
class ForecastQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="horizonDays is 7, 30 or 60."
    )
    async def forecast(self, info: Info, horizon_days: int) -> Forecast:
        return await resolve_forecast(info, horizon_days)

    @strawberry.field(permission_classes=[IsAuthenticated], description="7, 30 and 60 days.")
    async def forecasts(self, info: Info) -> list[Forecast]:
        return await resolve_forecasts(info)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def features(self, info: Info) -> Features:
        return await resolve_features(info)


@strawberry.type
class ForecastMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Recomputes the caller's forecasts now, even if nothing changed.",
    )
    async def refresh_forecasts(self, info: Info) -> list[Forecast]:
        return await resolve_forecasts(info, refresh=True)
