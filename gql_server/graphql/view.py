"""The Strawberry ASGI view, with transport errors answered as JSON carrying a code."""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql_server.graphql.context import Context
from gql_server.graphql.request_checks import TOO_DEEP, json_depth_problem, unstorable_text_problem
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

    def encode_json(self, data: object) -> bytes:
        # orjson: about 4% less CPU per 50-row page than json.dumps (bench/api_load.py).
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # json.loads raises RecursionError on deeply nested arrays and ValueError on integers
        # of thousands of digits; both are malformed input, not server errors. A JSONDecodeError
        # is what both callers (the HTTP body and websocket messages) treat as "not JSON".
        try:
            value = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise json.JSONDecodeError("nested too deeply or a number too long", "", 0) from exc
        if json_depth_problem(value):
            raise json.JSONDecodeError(TOO_DEEP, "", 0)
        return value

    def parse_json(self, data: str | bytes) -> Any:
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            # Strawberry calls .get() on what it parsed: a bare `null`, number or string would
            # otherwise end as an unhandled AttributeError (a 500 without a code).
            raise HTTPException(400, 'expected a JSON object, such as {"query": "{ me { id } }"}')
        return value

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for data in parsed if isinstance(parsed, list) else [parsed]:
            problem = unstorable_text_problem([data.query, data.variables])
            if problem:
                raise HTTPException(400, problem)
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Only requests without a streaming transport (multipart/mixed, websocket) come here. A
        # subscription executed as a plain operation would skip its permission check and end in
        # an internal error, so it is refused as the client's mistake.
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                reason = (
                    "subscriptions need a streaming transport: send 'Accept: "
                    "multipart/mixed;subscriptionSpec=1.0' or use a websocket"
                )
            else:
                reason = exc.as_http_error_reason(request_adapter.method)
            raise HTTPException(400, reason) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        # Syntax errors end the request before any schema extension runs; they are still
        # the client's input, so they get the same code as validation errors.
        for error in response.get("errors") or []:
            assert isinstance(error, dict)  # each is GraphQLError.formatted
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
        except ClientDisconnect:
            return  # the client hung up before its body arrived: there is no one to answer
        await response(scope, receive, send)


def transport_error(message: str, status_code: int) -> Response:
    """A request refused before GraphQL ran (bad JSON, mutation over GET, ...)."""
    code = _CODES.get(status_code, "BAD_USER_INPUT")
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status_code)
