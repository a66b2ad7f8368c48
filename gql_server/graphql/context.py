"""The per-request context: who is asking, the settings, per-request DataLoaders, and reads
that several fields of one query share."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import OperationType
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from gql_server.auth import tokens
from gql_server.errors import ApiError, Forbidden, Unauthenticated
from gql_server.graphql.loaders import Loaders, income_source_loader, outlook_loader
from gql_server.log_format import note_user
from gql_server.models import Role, User
from gql_server.resources import Resources
from gql_server.services import accounts
from gql_server.services.outlook import OutlookReader, OutlookService
from gql_server.settings import Settings


@dataclass
class Context:
    request: HTTPConnection
    response: Response | WebSocket | None
    settings: Settings
    resources: Resources | None = None
    # Set by Strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None
    _user: asyncio.Future[User] | None = field(default=None, init=False)
    # Set by CallerFreshness for queries: the token may be checked against this process's
    # recent copy of the caller's account (auth/caller_cache.py) instead of the database.
    trust_cached_caller: bool = field(default=False, init=False)
    _shared: dict[str, asyncio.Future[Any]] = field(default_factory=dict, init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(
            income_source=income_source_loader(self.require_user),
            outlook=outlook_loader(lambda: self.outlook_service, self.require_user),
        )

    @property
    def client_address(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    def signed_in(self) -> bool:
        """Whether the request carries an access token this server signed (not whether it
        is revoked: that needs the database). Cheap enough to ask before parsing."""
        token = self._bearer_token()
        if token is None:
            return False
        try:
            tokens.decode_token(self.settings, token, "access")
        except ApiError:
            return False
        return True

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent") or None

    def session_id(self) -> uuid.UUID | None:
        """The session the caller's access token belongs to (None: a token from before
        sessions were kept, or none)."""
        token = self._bearer_token()
        if token is None:
            return None
        try:
            return tokens.decode_token(self.settings, token, "access").session
        except ApiError:
            return None

    def _bearer_token(self) -> str | None:
        header = self.request.headers.get("authorization", "")
        if not header and isinstance(self.connection_params, dict):
            # Browsers cannot set headers on a websocket; clients send it in connection_init.
            header = str(self.connection_params.get("Authorization", ""))
        return tokens.bearer_token(header)

    async def require_user(self) -> User:
        """The caller, checked once per request (signature, expiry, type, token version): the
        top-level fields of a query resolve concurrently, and all of them wait for one check."""
        if self._user is None:
            token = self._bearer_token()
            if token is None:
                raise Unauthenticated("sign in first: send 'Authorization: Bearer <accessToken>'")
            self._user = asyncio.ensure_future(self._authenticate(token))
        user = await asyncio.shield(self._user)
        # A websocket keeps one context for all its operations: each one asks again whether
        # the token expired or was revoked since the socket authenticated (logout, a new
        # password); the client reconnects with a fresh token.
        if isinstance(self.request, WebSocket) and not await self._token_holds(user):
            raise Unauthenticated("token expired or was revoked; sign in again")
        note_user(user.id)  # for the operation's log lines
        return user

    async def _authenticate(self, token: str) -> User:
        callers = self.resources.callers if self.resources is not None else None
        if callers is None or not callers.enabled or not self.trust_cached_caller:
            return await accounts.authenticate(self.settings, token)
        claims = tokens.decode_token(self.settings, token, "access")  # signature and expiry
        user = callers.get(claims.user_id, claims.version)
        if user is None:
            user = await accounts.authenticate(self.settings, token)
            callers.put(user)
        return user

    async def require_live_session(self) -> User:
        """`require_user`, and the token's session not ended by revokeSession: for what must
        not run on such a token even within its lifetime (taking or erasing all the data)."""
        user = await self.require_user()
        session = self.session_id()
        if session is not None and not await accounts.session_is_live(user.id, session):
            raise Unauthenticated("this session was ended; sign in again")
        return user

    async def _token_holds(self, user: User) -> bool:
        """Not expired (no query: the signature and `exp`), then not revoked."""
        token = self._bearer_token()
        try:
            if token is None:
                return False
            tokens.decode_token(self.settings, token, "access")
        except ApiError:
            return False
        rows = await User.filter(id=user.id).values_list("token_version", "is_active")
        return bool(rows) and rows[0][0] == user.token_version and bool(rows[0][1])

    async def still_signed_in(self) -> bool:
        """For an operation that outlives its request (a subscription): whether the caller's
        token still stands (not expired; the account active, its token version unchanged:
        logout and a password change revoke)."""
        if self._user is None:
            await self.require_user()
        assert self._user is not None
        return await self._token_holds(await asyncio.shield(self._user))

    def known_user(self) -> User | None:
        """The caller if this request already checked their token successfully, else None
        (without checking: for what runs after the operation)."""
        future = self._user
        if future is None or not future.done() or future.cancelled() or future.exception():
            return None
        return future.result()

    def cancel_shared(self) -> None:
        """The request was abandoned: stop the reads and what-ifs its fields were sharing
        (each is shielded from any one field's cancellation, so they stop only here)."""
        for future in self._shared.values():
            future.cancel()
        self.loaders.outlook.cancel()

    @property
    def outlook_service(self) -> OutlookService:
        assert self.resources is not None, "the app's lifespan provides the resources"
        return self.resources.outlook

    async def require_admin(self) -> User:
        user = await self.require_user()
        if user.role != Role.ADMIN:
            raise Forbidden("this operation is for administrators only")
        return user


Info = StrawberryInfo[Context, None]
T = TypeVar("T")


async def once_per_query(info: Info, key: str, make: Callable[[], Awaitable[T]]) -> T:
    """`make()` once for all the fields of a query that ask (the buffer's state for the
    buffer and the plan).
    In a mutation every call reads afresh: a field may follow a write in the same document."""
    if info.operation.operation is not OperationType.QUERY:
        return await make()
    shared = info.context._shared
    if key not in shared:
        shared[key] = asyncio.ensure_future(make())
    return await asyncio.shield(shared[key])


def outlook(info: Info) -> OutlookReader:
    """The caller's outlook for this field: in a query, the request's loader, one read for
    all the fields that ask (a dashboard reads it for its forecasts, features and insights);
    in a mutation a reader of its own, afresh (a field may follow a write)."""
    if info.operation.operation is OperationType.QUERY:
        return info.context.loaders.outlook
    context = info.context
    return OutlookReader(lambda: context.outlook_service, context.require_user, shared=False)
