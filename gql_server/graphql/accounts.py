"""Accounts in GraphQL: the User type, `me`, and register / login / refresh / logout."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import strawberry

from gql_server import models
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
from gql_server.graphql.ledger import TransactionFilter, TransactionType, resolve_transactions
from gql_server.graphql.pagination import Connection
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import accounts

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
Role: TypeAlias = models.Role
strawberry.enum(models.Role, name="Role", description="What an account may do.")


@strawberry.type(name="User")
class UserType:
    id: strawberry.ID
    email: str
    full_name: str
    city: str | None
    occupation: str | None
    income_pattern: str | None = strawberry.field(
        description="The income pattern a generated user was made with (null for real users)."
    )
    currency: str
    timezone: str
    role: Role
    created_at: datetime

    @strawberry.field(description="Newest first; `first` is at most 100.")
    async def transactions(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> Connection[TransactionType]:
        await self._require_self(info)
        return await resolve_transactions(info, first, after, filter)

    @strawberry.field
    async def income_sources(self, info: Info) -> list[IncomeSourceType]:
        await self._require_self(info)
        return await resolve_income_sources(info)

    @strawberry.field
    async def features(self, info: Info) -> Features:
        await self._require_self(info)
        return await resolve_features(info)

    @strawberry.field(description="horizonDays is 7, 30 or 60; a scenario is a what-if.")
    async def forecast(
        self, info: Info, horizon_days: int, scenario: ScenarioInput | None = None
    ) -> Forecast:
        await self._require_self(info)
        return await resolve_forecast(info, horizon_days, scenario)

    @strawberry.field(description="p10, p50 and p90 of each day's closing balance.")
    async def balance_forecast(
        self, info: Info, horizon_days: int, scenario: ScenarioInput | None = None
    ) -> list[BalanceQuantiles]:
        await self._require_self(info)
        return await resolve_balance_forecast(info, horizon_days, scenario)

    @strawberry.field
    async def forecasts(self, info: Info) -> list[Forecast]:
        await self._require_self(info)
        return await resolve_forecasts(info)

    @strawberry.field
    async def buffer(self, info: Info) -> BufferType:
        await self._require_self(info)
        return await resolve_buffer(info)

    @strawberry.field
    async def smoothing_plan(self, info: Info) -> SmoothingPlan:
        await self._require_self(info)
        return await resolve_smoothing_plan(info)

    @strawberry.field(description="Most important first.")
    async def insights(self, info: Info, first: int = 10) -> list[Insight]:
        await self._require_self(info)
        return await resolve_insights(info, first)

    async def _require_self(self, info: Info) -> None:
        # A User object is only ever handed to its owner; this keeps it that way.
        if str((await info.context.require_user()).id) != self.id:
            raise Forbidden("only your own data is visible")


def to_gql_user(user: models.User) -> UserType:
    return UserType(
        id=strawberry.ID(str(user.id)),
        email=user.email,
        full_name=user.full_name,
        city=user.city,
        occupation=user.occupation,
        income_pattern=user.income_pattern,
        currency=user.currency,
        timezone=user.timezone,
        role=models.Role(user.role),
        created_at=user.created_at,
    )


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str = strawberry.field(
        description="Single use: `refreshToken` returns a new pair; presenting it twice "
        "signs the user out everywhere."
    )
    expires_at: datetime = strawberry.field(description="When the access token expires.")
    user: UserType


def to_auth_payload(session: accounts.Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_at=session.expires_at,
        user=to_gql_user(session.user),
    )


@strawberry.input
class RegisterInput:
    email: str
    password: str = strawberry.field(
        description="10 to 128 characters, not a common or easily guessed password."
    )
    full_name: str
    city: str | None = None
    occupation: str | None = None


@strawberry.type
class AccountQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The signed-in user.")
    async def me(self, info: Info) -> UserType:
        return to_gql_user(await info.context.require_user())


@strawberry.type
class AccountMutations:
    @strawberry.mutation
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        form = accounts.Registration(
            email=input.email,
            password=input.password,
            full_name=input.full_name,
            city=input.city,
            occupation=input.occupation,
        )
        ctx = info.context
        return to_auth_payload(await accounts.register(ctx.settings, form, ctx.client_address))

    @strawberry.mutation(description="Rate-limited per account and per client address.")
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        ctx = info.context
        session = await accounts.login(ctx.settings, email, password, ctx.client_address)
        return to_auth_payload(session)

    @strawberry.mutation
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        return to_auth_payload(await accounts.refresh(info.context.settings, refresh_token))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Revokes every access and refresh token of the caller.",
    )
    async def logout(self, info: Info) -> bool:
        await accounts.logout(await info.context.require_user())
        return True
