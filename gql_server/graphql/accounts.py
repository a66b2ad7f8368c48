"""Accounts in GraphQL: the User type, `me`, and register / login / refresh / logout."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.graphql.caller import CallerFields
from gql_server.graphql.context import Info
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import accounts, password_reset

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
Role: TypeAlias = models.Role
strawberry.enum(models.Role, name="Role", description="What an account may do.")


@strawberry.type(name="User")
class UserType(CallerFields, relay.Node):
    id: relay.NodeID[int]
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

    @property
    def owner_id(self) -> int:
        """Whose data the inherited fields may show (see caller.OwnData)."""
        return self.id

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[UserType | None]:
        user = await info.context.require_user()
        return [to_gql_user(user) if i == str(user.id) else None for i in node_ids]


def to_gql_user(user: models.User) -> UserType:
    return UserType(
        id=user.id,
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
class Session:
    id: strawberry.ID
    created_at: datetime = strawberry.field(description="When its sign-in happened.")
    last_used_at: datetime = strawberry.field(description="Its last sign-in or refresh.")
    user_agent: str | None = strawberry.field(description="The client that last used it.")
    current: bool = strawberry.field(description="The session of this request's token.")


@strawberry.type
class AccountQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The signed-in user.")
    async def me(self, info: Info) -> UserType:
        return to_gql_user(await info.context.require_user())

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The caller's sessions that can still refresh, the most recently used "
        "first: one per sign-in, continued by each refresh.",
    )
    async def sessions(self, info: Info) -> list[Session]:
        user = await info.context.require_user()
        mine = info.context.session_id()
        return [
            Session(
                id=strawberry.ID(str(found.id)),
                created_at=found.created_at,
                last_used_at=found.last_used_at,
                user_agent=found.user_agent,
                current=found.id == mine,
            )
            for found in await accounts.sessions(user)
        ]


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
        session = await accounts.register(ctx.settings, form, ctx.client_address, ctx.user_agent)
        return to_auth_payload(session)

    @strawberry.mutation(description="Rate-limited per account and per client address.")
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        ctx = info.context
        session = await accounts.login(
            ctx.settings, email, password, ctx.client_address, ctx.user_agent
        )
        return to_auth_payload(session)

    @strawberry.mutation
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        ctx = info.context
        return to_auth_payload(await accounts.refresh(ctx.settings, refresh_token, ctx.user_agent))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Revokes every access and refresh token of the caller.",
    )
    async def logout(self, info: Info) -> bool:
        await accounts.logout(await info.context.require_user())
        return True

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ends one of the caller's sessions: it can no longer refresh, and its "
        "access token lapses within its lifetime (ACCESS_TOKEN_TTL).",
    )
    async def revoke_session(self, info: Info, id: strawberry.ID) -> bool:
        await accounts.revoke_session(await info.context.require_user(), str(id))
        return True

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Checks the current password, signs out every session and returns fresh "
        "tokens. Wrong guesses are rate-limited like sign-ins.",
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> AuthPayload:
        ctx = info.context
        user = await ctx.require_user()
        session = await accounts.change_password(
            ctx.settings, user, current_password, new_password, ctx.user_agent
        )
        return to_auth_payload(session)

    @strawberry.mutation(
        description=(
            "Mails a single-use link to set a new password (valid PASSWORD_RESET_TTL_MINUTES, "
            "30 minutes by default) if the email has an account. Answers true either way, in "
            "the same time: it never tells whether an account exists. Rate-limited per email "
            "and per client address (RATE_LIMITED, for any email alike); a malformed email is "
            "BAD_USER_INPUT with reason INVALID_EMAIL."
        )
    )
    async def request_password_reset(self, info: Info, email: str) -> bool:
        ctx = info.context
        assert ctx.resources is not None, "the app's lifespan provides the mailer"
        await password_reset.request_reset(
            ctx.settings, ctx.resources.mailer, email, ctx.client_address
        )
        return True

    @strawberry.mutation(
        description="Sets a new password with the token a reset mail carried; works once and "
        "signs out every session. BAD_USER_INPUT reasons: INVALID_TOKEN, USED_TOKEN, "
        "EXPIRED_TOKEN, WEAK_PASSWORD, SAME_PASSWORD (refusals change nothing). "
        "Rate-limited per client address and, for a valid link, per account."
    )
    async def reset_password(self, info: Info, token: str, new_password: str) -> bool:
        ctx = info.context
        await password_reset.reset_password(ctx.settings, token, new_password, ctx.client_address)
        return True
