"""Write generated chunks through the database's bulk path, one transaction per chunk, so a
failure or a cancel never leaves a user half-written: PostgreSQL COPY through asyncpg,
SQLite executemany."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gql_server import db
from gql_server.generator.payloads import (
    MAX_SOURCES_PER_USER,
    SOURCE_COLUMNS,
    TRANSACTION_COLUMNS,
    USER_COLUMNS,
    ChunkPayload,
)


async def reserve_ids(user_count: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Ids for a chunk's users and (up to three per user) income sources.

    PostgreSQL hands them out from the sequences (gaps are harmless). SQLite gets ids
    relative to the chunk, made absolute inside the writing transaction (one writer)."""
    if db.is_sqlite():
        return tuple(range(user_count)), tuple(range(user_count * MAX_SOURCES_PER_USER))
    rows = await db.fetch_rows(
        "SELECT nextval(pg_get_serial_sequence('app_user', 'id')) AS id "
        "FROM generate_series(1, $1)",
        user_count,
    )
    sources = await db.fetch_rows(
        "SELECT nextval(pg_get_serial_sequence('income_source', 'id')) AS id "
        "FROM generate_series(1, $1)",
        user_count * MAX_SOURCES_PER_USER,
    )
    return tuple(r["id"] for r in rows), tuple(r["id"] for r in sources)


class DuplicateUser(Exception):
    """A generated user's email is taken: the chunk was rolled back whole."""


# Counted in the chunk's own transaction: the job's progress never disagrees with its rows.
_PROGRESS = (
    "UPDATE generation_job SET users_done = users_done + $1, "
    "transactions_written = transactions_written + $2, heartbeat_at = $3 WHERE id = $4"
)


async def write_chunk(payload: ChunkPayload, job_id: int | None = None) -> None:
    """Write the chunk's users, sources and transactions (and count them in the job) in one
    transaction."""
    try:
        if db.is_sqlite():
            await _write_sqlite(payload, job_id)
        else:
            await _write_postgres(payload, job_id)
    except (asyncpg.UniqueViolationError, IntegrityError) as exc:
        raise DuplicateUser(str(exc)) from exc


async def _write_postgres(payload: ChunkPayload, job_id: int | None) -> None:
    client = connections.get("default")
    async with client.acquire_connection() as connection, connection.transaction():
        for table, columns, data in (
            ("app_user", USER_COLUMNS, payload.users),
            ("income_source", SOURCE_COLUMNS, payload.sources),
            ("ledger_transaction", TRANSACTION_COLUMNS, payload.transactions),
        ):
            if data:
                await connection.copy_to_table(
                    table, source=io.BytesIO(data), columns=list(columns), format="text"
                )
        if job_id is not None:
            await connection.execute(
                _PROGRESS, payload.user_count, payload.transaction_count, datetime.now(UTC), job_id
            )


def _insert(table: str, columns: Sequence[str]) -> str:
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608


async def _write_sqlite(payload: ChunkPayload, job_id: int | None) -> None:
    async with in_transaction() as connection:
        bases = await db.fetch_rows(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM app_user) + 1 AS u, "
            "(SELECT COALESCE(MAX(id), 0) FROM income_source) + 1 AS s",
            connection=connection,
        )
        user_base, source_base = bases[0]["u"], bases[0]["s"]
        for row in payload.users:
            row[0] += user_base
        for row in payload.sources:
            row[0] += source_base
            row[1] += user_base
        for row in payload.transactions:
            row[0] += user_base
            if row[7] is not None:
                row[7] += source_base
        for table, columns, rows in (
            ("app_user", USER_COLUMNS, payload.users),
            ("income_source", SOURCE_COLUMNS, payload.sources),
            ("ledger_transaction", TRANSACTION_COLUMNS, payload.transactions),
        ):
            if rows:
                await db.execute_many(_insert(table, columns), rows, connection=connection)
        if job_id is not None:
            await db.execute(
                _PROGRESS,
                payload.user_count,
                payload.transaction_count,
                db.sql_timestamp(datetime.now(UTC), connection),
                job_id,
                connection=connection,
            )
