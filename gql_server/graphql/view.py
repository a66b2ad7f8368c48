"""The Strawberry ASGI view, with transport errors answered as JSON carrying a code."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult

from gql_server.graphql.context import Context
from gql_server.resources import Resources
from gql_server.settings import Settings

_CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND"}


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: Any, settings: Settings, resources: Resources) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
            # Subscriptions over websockets, and over plain HTTP (multipart) for clients and
            # proxies without websockets.
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
            ),
        )
        self.settings = settings
        self.resources = resources

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(
            request=request, response=response, settings=self.settings, resources=self.resources
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        # Syntax errors end the request before any schema extension runs; they are still
        # the client's input, so they get the same code as validation errors.
        for error in response.get("errors") or []:
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("code", "BAD_USER_INPUT")
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = transport_error(exc.reason, exc.status_code)
        await response(scope, receive, send)


def transport_error(message: str, status_code: int) -> Response:
    """A request refused before GraphQL ran (bad JSON, mutation over GET, ...)."""
    code = _CODES.get(status_code, "BAD_USER_INPUT")
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status_code)
