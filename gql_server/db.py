"""Tortoise configuration for PostgreSQL and SQLite: the one place that knows the database URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate

from gql_server.settings import load_settings

APP_LABEL = "models"
MODELS_MODULE = "gql_server.models"
MIGRATIONS_MODULE = "migrations"


# What a database that is down, restarting or refusing connections looks like to the driver.
_UNREACHABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.ObjectNotInPrerequisiteStateError,  # not accepting connections
    asyncpg.TooManyConnectionsError,
    DBConnectionError,
)


def connection_lost(exc: BaseException | None) -> bool:
    """Whether the database could not be reached or the connection broke, however deep the
    driver or the ORM wrapped it."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _UNREACHABLE):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def dialect(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


class PooledConnection(asyncpg.Connection):
    """A pool connection given back without asyncpg's reset query.

    By default asyncpg sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL` each time a connection goes back to the pool, and Tortoise takes a connection from
    the pool for every query outside a transaction: a dashboard's eight queries cost sixteen
    round trips (bench.api_load --profile). This server leaves no session state on a
    connection: its advisory locks are pg_advisory_xact_lock (released at commit), it never
    LISTENs, SETs outside a transaction or keeps a cursor past one (tests/unit/
    test_session_state.py keeps it so). An open transaction is still rolled back on release
    (asyncpg does that before asking for the reset query)."""

    def get_reset_query(self) -> str:
        return ""


def tortoise_config(database_url: str, pool_size: int = 10) -> dict[str, Any]:
    url: Any = database_url.replace("postgresql://", "postgres://", 1)
    if dialect(url) == "postgres":
        credentials_sep = "&" if "?" in url else "?"
        url = expand_db_url(f"{url}{credentials_sep}minsize=1&maxsize={pool_size}")
        url["credentials"]["connection_class"] = PooledConnection
    return {
        "connections": {"default": url},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _config_from_environment() -> dict[str, Any]:
    settings = load_settings()
    return tortoise_config(settings.database_url, settings.db_pool_size)


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads TORTOISE_ORM (see [tool.tortoise] in pyproject.toml);
    # computed on access so importing this module never reads the environment.
    if name == "TORTOISE_ORM":
        return _config_from_environment()
    raise AttributeError(name)


def describe(database_url: str) -> str:
    """The URL without its password, safe to print."""
    parts = urlsplit(database_url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return database_url


async def apply_migrations(database_url: str) -> None:
    """Apply every pending migration, then release the connections it opened."""
    try:
        await migrate(config=tortoise_config(database_url, pool_size=2))
    finally:
        await Tortoise.close_connections()


def forget_cached_statements() -> None:
    """Tortoise caches each model's INSERT, UPDATE and DELETE statements by connection name,
    not by dialect, and never clears them: a process that opens an SQLite database after a
    PostgreSQL one (or the other way round) under the same name would send the first
    dialect's placeholders to the second. Called before every start-up; a no-op in a server,
    which opens one database."""
    EXECUTOR_CACHE.clear()


async def open_database(database_url: str, pool_size: int) -> None:
    forget_cached_statements()
    await Tortoise.init(config=tortoise_config(database_url, pool_size))


async def close_database() -> None:
    await Tortoise.close_connections()


async def database_is_reachable() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


_NUMBERED_PARAMETER = re.compile(r"\$(\d+)")


def _for_dialect(sql: str, connection: BaseDBAsyncClient) -> str:
    """Write raw SQL once with PostgreSQL's $1, $2 ...; SQLite reads the same as ?1, ?2 ..."""
    if connection.capabilities.dialect == "sqlite":
        return _NUMBERED_PARAMETER.sub(r"?\1", sql)
    return sql


def is_sqlite(connection: BaseDBAsyncClient | None = None) -> bool:
    return (connection or connections.get("default")).capabilities.dialect == "sqlite"


def sql_timestamp(moment: datetime, connection: BaseDBAsyncClient | None = None) -> Any:
    """A timestamp parameter for raw SQL: SQLite compares the UTC text Tortoise stores."""
    return str(moment.astimezone(UTC)) if is_sqlite(connection) else moment


async def fetch_rows(
    sql: str, *params: Any, connection: BaseDBAsyncClient | None = None
) -> list[dict[str, Any]]:
    connection = connection or connections.get("default")
    return await connection.execute_query_dict(_for_dialect(sql, connection), list(params))


async def fetch_tuples(sql: str, *params: Any) -> Sequence[Sequence[Any]]:
    """Rows as the driver gives them (indexed by position), without a dict per row: for
    reads of many rows, where a dict each costs more than the row itself."""
    connection = connections.get("default")
    _, rows = await connection.execute_query(_for_dialect(sql, connection), list(params))
    return rows  # asyncpg Records and sqlite3 Rows: both sequences


async def copy_out_csv(sql: str, *params: Any) -> bytes:
    """PostgreSQL only: the rows of `sql` as CSV bytes, through COPY. The bytes arrive on the
    event loop without a Python object per value; the caller parses them off the loop."""
    chunks: list[bytes] = []

    async def keep(data: bytes) -> None:
        chunks.append(bytes(data))

    connection = connections.get("default")
    async with connection.acquire_connection() as raw:
        await raw.copy_from_query(sql, *params, output=keep, format="csv")
    return b"".join(chunks)


async def execute(sql: str, *params: Any, connection: BaseDBAsyncClient | None = None) -> int:
    """Run a statement; return the number of rows it changed."""
    connection = connection or connections.get("default")
    affected, _ = await connection.execute_query(_for_dialect(sql, connection), list(params))
    return affected


async def execute_many(
    sql: str, rows: list[list[Any]], connection: BaseDBAsyncClient | None = None
) -> None:
    connection = connection or connections.get("default")
    await connection.execute_many(_for_dialect(sql, connection), rows)


async def copy_records(
    table: str,
    columns: Sequence[str],
    records: Iterable[Sequence[Any]],
    connection: BaseDBAsyncClient,
) -> None:
    """PostgreSQL only: rows of Python values into `table` by binary COPY, inside the
    transaction `connection` belongs to (asyncpg encodes dates, Decimals and text itself)."""
    async with connection.acquire_connection() as raw:
        await raw.copy_records_to_table(table, records=records, columns=list(columns))
