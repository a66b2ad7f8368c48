"""The caller's data, declared once: the same fields on the root Query and on the `User` that
`me` returns, so the two cannot drift apart (they had: `me` lacked recurringItems and cashflow).

`Query` and `UserType` both inherit `CallerFields`. On the root, `self` is the root value; on a
`User`, it is that user, and `OwnData` refuses a User that is not the caller (a User object is
only ever handed to its owner, and this keeps it that way, e.g. `login { user { ... } }` sent
with another account's token)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.permission import BasePermission

from gql_server.errors import Forbidden
from gql_server.graphql.buffer import (
    BufferType,
    SmoothingPlan,
    resolve_buffer,
    resolve_smoothing_plan,
)
from gql_server.graphql.context import Info
from gql_server.graphql.forecasts import (
    BalanceQuantiles,
    Features,
    Forecast,
    ScenarioInput,
    resolve_balance_forecast,
    resolve_features,
    resolve_forecast,
    resolve_forecasts,
)
from gql_server.graphql.income_sources import IncomeSourceType, resolve_income_sources
from gql_server.graphql.insights import Insight, resolve_insights
from gql_server.graphql.ledger import (
    CashflowPeriod,
    Interval,
    TransactionFilter,
    TransactionType,
    resolve_cashflow,
    resolve_transactions,
)
from gql_server.graphql.pagination import Connection
from gql_server.graphql.recurring import RecurringItemType, resolve_recurring_items
from gql_server.models import Direction, RecurringStatus


class OwnData(BasePermission):
    """Signed in, and on a `User` object, that user is the caller."""

    message = "only your own data is visible"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 - strawberry's API

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # require_user raises UNAUTHENTICATED with the precise reason (expired, revoked, ...).
        user = await info.context.require_user()
        owner = getattr(source, "owner_id", None)
        if owner is not None and owner != user.id:
            raise Forbidden(self.message)
        return True


OWN: list[type[BasePermission]] = [OwnData]


@strawberry.type
class CallerFields:
    @strawberry.field(
        permission_classes=OWN,
        description="The caller's transactions, newest first; `first` is at most MAX_PAGE_SIZE "
        "(100).",
    )
    async def transactions(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> Connection[TransactionType]:
        return await resolve_transactions(info, first, after, filter)

    @strawberry.field(
        permission_classes=OWN,
        description="Income and expenses per period, in the caller's time zone, empty periods "
        "included.",
    )
    async def cashflow(
        self,
        info: Info,
        interval: Interval = Interval.MONTH,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[CashflowPeriod]:
        return await resolve_cashflow(info, interval, from_, to)

    @strawberry.field(permission_classes=OWN)
    async def income_sources(self, info: Info) -> list[IncomeSourceType]:
        return await resolve_income_sources(info)

    @strawberry.field(
        permission_classes=OWN,
        description="Recurring income and expenses by next date: detected and declared.",
    )
    async def recurring_items(
        self,
        info: Info,
        status: RecurringStatus | None = None,
        direction: Direction | None = None,
    ) -> list[RecurringItemType]:
        return await resolve_recurring_items(info, status, direction)

    @strawberry.field(
        permission_classes=OWN,
        description="horizonDays is 7, 30 or 60. With a scenario: the what-if, computed now. "
        "Right after a change to your data the previous outlook may be served (stale: true) "
        "while the new one is computed; maxStalenessSeconds bounds how old that may be (0: "
        "wait for the fresh one).",
    )
    async def forecast(
        self,
        info: Info,
        horizon_days: int,
        scenario: ScenarioInput | None = None,
        max_staleness_seconds: int | None = None,
    ) -> Forecast:
        return await resolve_forecast(info, horizon_days, scenario, max_staleness_seconds)

    @strawberry.field(
        permission_classes=OWN,
        description="The balance fan: p10, p50 and p90 of each day's closing balance, from the "
        "same simulated paths as forecast(horizonDays, scenario).",
    )
    async def balance_forecast(
        self, info: Info, horizon_days: int, scenario: ScenarioInput | None = None
    ) -> list[BalanceQuantiles]:
        return await resolve_balance_forecast(info, horizon_days, scenario)

    @strawberry.field(
        permission_classes=OWN, description="7, 30 and 60 days (maxStalenessSeconds: as forecast)."
    )
    async def forecasts(
        self, info: Info, max_staleness_seconds: int | None = None
    ) -> list[Forecast]:
        return await resolve_forecasts(info, max_staleness_seconds=max_staleness_seconds)

    @strawberry.field(permission_classes=OWN)
    async def features(self, info: Info) -> Features:
        return await resolve_features(info)

    @strawberry.field(permission_classes=OWN)
    async def buffer(self, info: Info) -> BufferType:
        return await resolve_buffer(info)

    @strawberry.field(permission_classes=OWN)
    async def smoothing_plan(self, info: Info) -> SmoothingPlan:
        return await resolve_smoothing_plan(info)

    @strawberry.field(
        permission_classes=OWN,
        description="Most important first; recomputed when the data behind them changes.",
    )
    async def insights(self, info: Info, first: int = 10) -> list[Insight]:
        return await resolve_insights(info, first)
