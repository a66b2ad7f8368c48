"""GET /export: the caller's data export as one streamed JSON file.

The same document as exportMyData's pages put together, for a client that wants a file: the
caller authenticates with `Authorization: Bearer <access token>` as on /graphql, a download
counts as a whole export (the same hourly limit as a first page of exportMyData), and the
body is read from the database while it is sent, a page of rows at a time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from gql_server import db
from gql_server.auth import tokens
from gql_server.errors import ApiError, RateLimited, ServiceUnavailable, Unauthenticated
from gql_server.log_format import note_user
from gql_server.models import User
from gql_server.services import accounts, data_export
from gql_server.settings import Settings

logger = logging.getLogger("gql_server.export")

_STATUS = {Unauthenticated: 401, RateLimited: 429, ServiceUnavailable: 503}


def _error(error: ApiError) -> JSONResponse:
    """The error as /graphql words it: {"errors": [{"message", "extensions": {"code"}}]}."""
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = error.extra.get("retryAfterSeconds")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
    return JSONResponse(body, status_code=status, headers=headers)


async def _caller(request: Request) -> User:
    """The caller, checked as /graphql checks it (signature, expiry, type, token version),
    and, unless the request only asks for the headers, counted as a whole export."""
    settings: Settings = request.app.state.settings
    token = tokens.bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthenticated("sign in first: send 'Authorization: Bearer <accessToken>'")
    try:
        user = await accounts.authenticate_live_session(settings, token)
        note_user(user.id)
        if request.method != "HEAD":
            await data_export.charge_full_export(user.id)
    except ApiError:
        raise
    except Exception as exc:
        if db.connection_lost(exc):
            raise ServiceUnavailable("The database is unavailable; try again shortly.") from exc
        raise
    return user


def _file_name(user: User) -> str:
    """Named for the day in the user's own timezone."""
    try:
        zone = ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return f"gigcash-export-{datetime.now(UTC).astimezone(zone).date().isoformat()}.json"


async def _logged(user_id: int, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A failure once the response has started can only cut the body short (the client sees
    an unfinished download and invalid JSON); the log says why."""
    try:
        async for chunk in chunks:
            yield chunk
    except Exception:
        logger.exception("the export of user %s failed while it was being sent", user_id)
        raise


async def export_download(request: Request) -> Response:
    try:
        user = await _caller(request)
    except ApiError as error:
        return _error(error)
    headers = {
        "Content-Disposition": f'attachment; filename="{_file_name(user)}"',
        "Cache-Control": "no-store",
    }
    if request.method == "HEAD":  # Starlette routes HEAD here too: no reads for no body
        return Response(media_type="application/json", headers=headers)
    # The generator runs in the response's own streaming task, which sees the app's Tortoise
    # connections (RegisterTortoise makes them global); each page takes a pooled connection
    # and gives it back, so a slow download holds none between pages. No transaction spans
    # the stream for the same reason: it would pin a connection for as long as the client
    # takes to read.
    return StreamingResponse(
        _logged(user.id, data_export.iter_export(user.id)),
        media_type="application/json",
        headers=headers,
    )
