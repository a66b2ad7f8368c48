"""The Strawberry ASGI view, with transport errors answered as JSON carrying a code.

What it changes of Strawberry's view, and through what:
- public hooks: `get_context`, `encode_json`/`decode_json` (orjson out; a depth check in),
  `process_result` (a code on syntax errors), `websocket_adapter_class` (malformed messages),
  `render_graphql_ide` (GraphiQL from this server's own files: gql_server/graphiql_page.py);
- no public hook, so an override of the view's own methods, each kept small and calling
  Strawberry's first: `parse_json` (a bare JSON value is a 400, not a 500),
  `parse_multipart` (only a well-formed upload runs),
  `parse_http_body` (NUL and lone surrogates refused before anything stores them),
  `execute_single` (a subscription over plain HTTP is the client's mistake, not a 500);
- `__call__` for HTTP, which is ours: the request is answered in a task so that a client who
  hangs up cancels it.
Strawberry's pin in pyproject.toml is the range the suite passed on with these overrides.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.http.exceptions import NonJsonMessageReceived
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql_server.graphiql_page import graphiql_page
from gql_server.graphql.context import Context
from gql_server.graphql.request_checks import TOO_DEEP, json_depth_problem, unstorable_text_problem
from gql_server.resources import Resources
from gql_server.settings import Settings

logger = logging.getLogger("gql_server.view")
_CONTEXT_KEY = "gql_server.context"
MAX_OPERATION_ID = 64
_CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND"}
_NOT_AN_UPLOAD = (
    "a multipart request is a file upload: an `operations` field, a `map` field of "
    '{"0": ["variables.file"]} and the files it names (the GraphQL multipart request spec)'
)


def _malformed(message: object) -> bool:
    """A websocket message Strawberry's handlers would index blindly: not an object, or an
    operation (graphql-ws's start, graphql-transport-ws's subscribe) without a short id and a
    payload with a query, or a stop or complete without a short id."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return True
    kind = message["type"]
    if kind in ("start", "stop", "subscribe", "complete"):
        # Strawberry quotes the id in a close reason, which a websocket caps at 123 bytes.
        operation = message.get("id")
        if not isinstance(operation, str | int) or len(str(operation)) > MAX_OPERATION_ID:
            return True
    if kind in ("start", "subscribe"):
        payload = message.get("payload")
        return not (
            isinstance(payload, dict)
            and isinstance(payload.get("query"), str)
            and isinstance(payload.get("variables"), dict | None)
            and isinstance(payload.get("operationName"), str | None)
            and isinstance(payload.get("extensions"), dict | None)
        )
    return False


class WebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter, with malformed messages treated as the unparsable text they are
    worth (the legacy protocol ignores them, the newer one closes with 4400): `null`, `[1]`
    or a subscribe without a payload raised a TypeError inside Strawberry's handler, a
    traceback in the log for every such message. Strawberry has no hook for this but the adapter."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object]:
        async for message in super().iter_json(ignore_parsing_errors=ignore_parsing_errors):
            if not _malformed(message):
                yield message
            elif not ignore_parsing_errors:
                raise NonJsonMessageReceived

    async def send_json(self, message: Mapping[str, object]) -> None:
        # An operation may finish just after the connection was closed (a second
        # connection_init closes it with 4429): Starlette then refuses the send with a
        # RuntimeError that Strawberry logs as a crash. No one is left to read it; drop it.
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        await super().send_json(message)


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = WebSocketAdapter

    def __init__(self, schema: Any, settings: Settings, resources: Resources) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
            # Statement uploads (the GraphQL multipart request spec). Strawberry leaves them
            # off for CSRF: a browser can post a form across sites with its cookies. This API
            # reads its caller only from the Authorization header, which no such form sends.
            multipart_uploads_enabled=True,
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

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's documented hook: our page loads GraphiQL from this server, not a CDN.
        return graphiql_page(request, self.settings)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        context = Context(
            request=request, response=response, settings=self.settings, resources=self.resources
        )
        request.scope[_CONTEXT_KEY] = context  # for cancelling its work if the client leaves
        return context

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

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        # The GraphQL multipart request spec: `operations`, `map` and the files it names.
        # Strawberry would run a form without a map or a file as a plain operation, and
        # index a malformed map blindly (a TypeError, a 500): both are refused here.
        try:
            form = await request.get_form_data()
        except ValueError as exc:
            raise HTTPException(400, "Unable to parse the multipart body") from exc
        mapping = form.form.get("map")
        if "operations" not in form.form or mapping is None or not form.files:
            raise HTTPException(400, _NOT_AN_UPLOAD)
        parsed = self.parse_json(mapping) if isinstance(mapping, str | bytes) else mapping
        if not isinstance(parsed, dict) or not all(
            isinstance(paths, list) and all(isinstance(path, str) for path in paths)
            for paths in parsed.values()
        ):
            raise HTTPException(400, _NOT_AN_UPLOAD)
        try:
            return await super().parse_multipart(request)
        except (TypeError, IndexError, AttributeError, ValueError) as exc:
            raise HTTPException(400, _NOT_AN_UPLOAD) from exc

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # PostgreSQL cannot store NUL or an unpaired surrogate: refused here, as the body's
        # fault, rather than as a database error deep inside a mutation.
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
        # The answer is worked out in a task, beside a watch for the client leaving: a
        # client that hangs up (a closed tab, a proxy's timeout) cancels its request, and
        # the fits it waits for that have not started yet, instead of leaving them to run
        # for no one.
        body_read = asyncio.Event()
        if scope["method"] in ("GET", "HEAD"):
            body_read.set()  # Strawberry reads a GET's query string, never its body

        async def receive_body() -> Message:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read.set()
            return message

        request = Request(scope=scope, receive=receive_body)
        answering = asyncio.ensure_future(self._answer(request))
        leaving = asyncio.ensure_future(_client_leaves(receive, body_read))
        try:
            await asyncio.wait({answering, leaving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            leaving.cancel()
            if not answering.done():
                answering.cancel()
                context = request.scope.get(_CONTEXT_KEY)
                if isinstance(context, Context):
                    context.cancel_shared()
        if not answering.done():
            logger.info("the client left; its request was cancelled")
            return
        response = answering.result()
        if response is not None:
            await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response | None:
        try:
            return await self.run(request)
        except HTTPException as exc:
            return transport_error(exc.reason, exc.status_code)
        except ClientDisconnect:
            return None  # the client hung up before its body arrived: there is no one to answer


async def _client_leaves(receive: Receive, body_read: asyncio.Event) -> None:
    """Returns when the client disconnects (listened for only once the body has been read,
    so that the two never wait on `receive` at once)."""
    await body_read.wait()
    while (await receive())["type"] != "http.disconnect":
        pass


def transport_error(message: str, status_code: int) -> Response:
    """A request refused before GraphQL ran (bad JSON, mutation over GET, ...)."""
    code = _CODES.get(status_code, "BAD_USER_INPUT")
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status_code)
