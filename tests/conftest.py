"""Real databases for the run: a fresh PostgreSQL database (created and dropped here) and an
SQLite file, both migrated with the project's own migrations; the app is driven over HTTP."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from strawberry.relay import GlobalID
from tortoise import connections

from gql_server import clock, db
from gql_server.app import create_app
from gql_server.models import Role, User
from gql_server.settings import Settings

ADMIN_PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TABLES = (
    "account_erasure",
    "password_reset_token",
    "webhook_delivery",
    "webhook",
    "alert",
    "alert_settings",
    "tax_payment",
    "tax_profile",
    "statement_import",
    "refit_request",
    "category_rule",
    "insight",
    "recurring_item",
    "buffer_entry",
    "buffer",
    "user_forecast",
    "generation_job",
    "ledger_transaction",
    "income_source",
    "refresh_token",
    "rate_limit_counter",
    "sign_in_address",
    "forecast_lease",
    "app_user",
)
STRONG_PASSWORD = "Saffron-kite-monsoon-42"
# The ledger's "now" for the whole suite, so that no test depends on the day it runs on
# (tokens, rate limits and heartbeats still read the wall clock). Servers in subprocesses get
# it as LEDGER_NOW.
TEST_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata"))


@pytest.fixture(scope="session", autouse=True)
def ledger_clock() -> Iterator[datetime]:
    with clock.pinned(TEST_NOW):
        yield TEST_NOW


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    name = f"gqltest_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_PG_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = ADMIN_PG_URL.rsplit("/", 1)[0] + f"/{name}"
    await db.apply_migrations(url)
    yield url
    admin = await asyncpg.connect(ADMIN_PG_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
    url = f"sqlite://{path}"
    await db.apply_migrations(url)
    return url


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """PostgreSQL unless a test is parametrized with indirect=["backend"]."""
    return getattr(request, "param", "postgres")


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{backend}_url")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        jwt_secret="test-secret-" + "x" * 40,
        login_attempts_per_account_address=5,
        login_attempts_per_account=50,
        login_attempts_per_address=12,
        registrations_per_address=1000,
        db_pool_size=5,
        generation_workers="thread",
        forecast_executor="thread",
        generation_chunk_users=4,
        generation_max_users=500,
        # Reads wait for the refit their own writes asked for (tests check what a write did);
        # tests of stale reads set a small budget themselves.
        outlook_read_budget_ms=120_000,
        # Tests change accounts in the database directly and expect the next request to see
        # it; test_caller_cache.py tests the window.
        token_check_ms=0,
    )


# The tables' own sequences go back to 1, as TRUNCATE ... RESTART IDENTITY would set them.
_RESTART_SEQUENCES = (
    "SELECT setval(d.objid::regclass, 1, false) FROM pg_depend d "
    "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
    f"WHERE d.refobjid = ANY(ARRAY{list(TABLES)}::regclass[]) AND d.deptype IN ('a', 'i')"
)


async def empty_tables() -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        # DELETE, not TRUNCATE: truncating the 24 tables took 0.44 s when measured alone (a
        # new file for each table and its indexes), deleting a test's few rows 0.05 s; in the
        # suite the gain is smaller (test_security.py 94-97 s -> 88-94 s). The app's
        # background workers start querying as soon as its lifespan starts, and one of them
        # taking locks in another order now and then makes a deadlock PostgreSQL breaks by
        # failing one side: then it is tried again.
        script = "; ".join([*(f"DELETE FROM {table}" for table in TABLES), _RESTART_SEQUENCES])
        for attempt in range(5):
            try:
                await conn.execute_script(script)
                break
            except Exception as exc:
                if "deadlock" not in str(exc).lower() or attempt == 4:
                    raise
                await asyncio.sleep(0.05)
    else:
        for table in TABLES:
            await conn.execute_script(f"DELETE FROM {table}")


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


class Api:
    """A GraphQL client as an app would use it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token: str | None = None

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {}
        bearer = token or self.token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def upload(
        self,
        query: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, bytes]],
        token: str | None = None,
    ) -> httpx.Response:
        """A request by the GraphQL multipart request spec: `files` maps a variable's path
        (e.g. "variables.file") to (file name, bytes), sent as parts "0", "1", ..."""
        import json

        headers = {}
        bearer = token or self.token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        mapping = {str(i): [path] for i, path in enumerate(files)}
        parts = {str(i): (name, data) for i, (name, data) in enumerate(files.values())}
        form = {
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps(mapping),
        }
        return await self.client.post("/graphql", data=form, files=parts, headers=headers)

    async def register_admin(self, email: str = "admin@example.in") -> dict[str, Any]:
        payload = await self.register(email=email, full_name="Ops Admin")
        await User.filter(email=email).update(role=Role.ADMIN)
        return payload

    async def register(
        self,
        email: str = "priya@example.in",
        password: str = STRONG_PASSWORD,
        full_name: str = "Priya Sharma",
    ) -> dict[str, Any]:
        body = await self.post(
            """mutation($input: RegisterInput!) { register(input: $input) {
                 accessToken refreshToken expiresAt user { id email role } } }""",
            {
                "input": {
                    "email": email,
                    "password": password,
                    "fullName": full_name,
                    "city": "Pune",
                    "occupation": "Tutor",
                }
            },
        )
        assert "errors" not in body, body
        payload = body["data"]["register"]
        self.token = payload["accessToken"]
        return payload


@pytest.fixture
def api(app_client: httpx.AsyncClient) -> Api:
    return Api(app_client)


_MEASURED: ContextVar[bool] = ContextVar("measured", default=False)


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements sent by the code in the block and the tasks it starts (a request's
    data loaders), not by the app's background workers (refits, outboxes): those run on their
    own schedule and, on a loaded machine, now and then inside the block."""
    statements: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if _MEASURED.get():
                statements.append(record.getMessage())

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Collect(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    token = _MEASURED.set(True)
    try:
        yield statements
    finally:
        _MEASURED.reset(token)
        logger.removeHandler(handler)
        logger.setLevel(level)


def row_id(global_id: str) -> int:
    """The database id behind a global ID the API answered."""
    return int(GlobalID.from_id(global_id).node_id)


def global_id(type_name: str, row: int | str) -> str:
    """The global ID the API gives the row `row` of `type_name`."""
    return str(GlobalID(type_name, str(row)))


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), f"expected an error, got {body}"
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def production_settings(settings: Settings) -> Settings:
    return replace(settings, app_env="production")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BOTH_BACKENDS = pytest.mark.parametrize("backend", ["postgres", "sqlite"], indirect=True)
