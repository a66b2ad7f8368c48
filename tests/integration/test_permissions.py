"""IsAuthenticated and IsAdmin on a real request context: roles come from the database."""

from __future__ import annotations

import strawberry
from starlette.requests import Request

from gql_server.graphql.context import Context, Info
from gql_server.graphql.errors import ApiErrorCodes
from gql_server.graphql.permissions import IsAdmin, IsAuthenticated
from gql_server.models import Role, User
from gql_server.settings import Settings
from tests.conftest import Api


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[IsAuthenticated])
    async def mine(self, info: Info) -> str:
        return (await info.context.require_user()).email

    @strawberry.field(permission_classes=[IsAdmin])
    async def everyone(self) -> int:
        return await User.all().count()


SCHEMA = strawberry.Schema(Query, extensions=[ApiErrorCodes])


def _context(settings: Settings, token: str | None) -> Context:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    request = Request({"type": "http", "headers": headers, "client": ("127.0.0.1", 1)})
    return Context(request=request, response=None, settings=settings)


async def _codes(settings: Settings, token: str | None) -> dict[str, str | None]:
    codes: dict[str, str | None] = {}
    for field in ("mine", "everyone"):
        result = await SCHEMA.execute(f"{{ {field} }}", context_value=_context(settings, token))
        codes[field] = None
        if result.errors:
            extensions = result.errors[0].extensions
            assert extensions is not None
            codes[field] = extensions["code"]
    return codes


async def test_admin_fields_need_the_admin_role(api: Api, settings: Settings) -> None:
    token = (await api.register())["accessToken"]

    assert await _codes(settings, None) == {
        "mine": "UNAUTHENTICATED",
        "everyone": "UNAUTHENTICATED",
    }
    assert await _codes(settings, token) == {"mine": None, "everyone": "FORBIDDEN"}

    await User.filter(email="priya@example.in").update(role=Role.ADMIN)
    assert await _codes(settings, token) == {"mine": None, "everyone": None}
