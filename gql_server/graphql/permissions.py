"""Permission classes: every field that reads a user's data declares one."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from gql_server.graphql.context import Info


class IsAuthenticated(BasePermission):
    message = "sign in first"
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 - strawberry's API

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # require_user raises UNAUTHENTICATED with the precise reason (expired, revoked, ...).
        await info.context.require_user()
        return True


class IsAdmin(BasePermission):
    message = "this operation is for administrators only"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 - strawberry's API

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await info.context.require_admin()
        return True
