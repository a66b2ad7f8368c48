"""Probes: /livez (restart me when it fails), /readyz (send me traffic only when it passes),
and /healthz, the older single probe kept for the deployments that use it."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from gql_server import db
from gql_server.resources import Resources


async def _dependencies(request: Request) -> tuple[str, str]:
    """("up" | "down") for the database and the forecast executor, asked at once."""
    resources: Resources = request.app.state.resources
    reachable, executor = await asyncio.gather(
        db.database_is_reachable(), resources.outlook.pool.health()
    )
    return ("up" if reachable else "down"), executor


async def livez(request: Request) -> JSONResponse:
    """The process answers; nothing else is asked (a database outage is no reason to
    restart the server, which recovers by itself)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 when the database and the forecast executor both answer; 503 naming the one down."""
    database, executor = await _dependencies(request)
    ready = database == "up" and executor == "up"
    body = {
        "status": "ok" if ready else "unavailable",
        "database": database,
        "forecast_executor": executor,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


async def healthz(request: Request) -> JSONResponse:
    """503 without the database (nothing works); 200 but "degraded" when only the forecast
    executor is down (the ledger, buffer and accounts still do)."""
    database, executor = await _dependencies(request)
    if database == "down":
        status, code = "unavailable", 503
    else:
        status, code = ("ok" if executor == "up" else "degraded"), 200
    body = {"status": status, "database": database, "forecast_executor": executor}
    return JSONResponse(body, status_code=code)
