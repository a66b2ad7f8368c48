"""Every lock the server takes, in one place, so two of them are never taken in opposite
orders by accident and a new one starts from a named key rather than a magic number.

All are PostgreSQL transaction locks, released at commit or rollback, and shared by every
server process on the database. SQLite has a single writer (Tortoise serialises its
transactions), so there they are no-ops (user_kept still answers whether the user exists).
Order, when one transaction takes several: the user's row first, then a buffer row (an
erasure also locks the user's other rows that children hang from, such as webhooks, here),
then advisory locks.
"""

from __future__ import annotations

from enum import IntEnum

from tortoise.backends.base.client import BaseDBAsyncClient

from gql_server import db


class Advisory(IntEnum):
    """Classes of advisory locks (the first of pg_advisory_xact_lock's two keys)."""

    # One process at a time rewrites a user's detected recurring items (key: the user id).
    OUTLOOK_STORE = 0x5EC1
    # One generation job starts at a time (key: 0): check-then-insert must be atomic.
    GENERATION_JOBS = 0x6E01


async def user_row(user_id: int, connection: BaseDBAsyncClient) -> None:
    """Serialise changes that read then write one user's data: balances, and caps counted
    before an insert (income sources), which a race would otherwise overrun."""
    if not db.is_sqlite(connection):
        await db.fetch_rows(
            "SELECT id FROM app_user WHERE id = $1 FOR UPDATE", user_id, connection=connection
        )


async def user_kept(user_id: int, connection: BaseDBAsyncClient) -> bool:
    """Whether the user still exists, their row then kept from an erasure until commit (FOR KEY
    SHARE, what an insert's foreign key check takes, so it waits for the same writers). For
    writes that run apart from the user's requests (a background refit storing an outlook):
    taken before any of the user's other rows, in the order above, they skip an erased user
    instead of recreating its rows or deadlocking with the erasure."""
    sql = "SELECT id FROM app_user WHERE id = $1"
    if not db.is_sqlite(connection):
        sql += " FOR KEY SHARE"
    return bool(await db.fetch_rows(sql, user_id, connection=connection))


async def buffer_row(buffer_id: int, connection: BaseDBAsyncClient) -> None:
    """One change at a time per buffer: its balance is read under this lock."""
    if not db.is_sqlite(connection):
        await db.fetch_rows(
            "SELECT id FROM buffer WHERE id = $1 FOR UPDATE", buffer_id, connection=connection
        )


async def advisory(lock: Advisory, key: int, connection: BaseDBAsyncClient) -> None:
    if not db.is_sqlite(connection):
        await db.fetch_rows(
            "SELECT pg_advisory_xact_lock($1, $2)", int(lock), key, connection=connection
        )
