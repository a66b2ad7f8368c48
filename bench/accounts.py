"""Exporting and erasing a user with 300,000 transactions: time and peak memory; and whether a
password reset request is answered slower for an email with an account than without.

    .venv/bin/python -m bench.accounts [--transactions 300000]

On a scratch PostgreSQL database, one user with `--transactions` transactions (written with
COPY) and a few rows in the other tables. Measured, each beside a floor done with raw SQL in
the same run:

- the whole export as the server streams it (GET /export's body, services/data_export.py),
  against `COPY (SELECT the same rows) TO STDOUT` into a sink;
- the export paged through GraphQL (exportMyData, 5,000 transactions a page, in-process);
- the erasure (services/erasure.py, every table in one transaction), against one
  `DELETE FROM ledger_transaction WHERE user_id = $1`.

Time is measured without tracing; peak memory in a second run of each under tracemalloc (the
Python heap's peak above what was allocated before it; the database's own memory is not in
it). The whole process's peak RSS is printed below the table.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import copy_transactions, scratch_database, two_years_of_rows
from gql_server.app import create_app
from gql_server.auth.passwords import hash_password
from gql_server.services import data_export, erasure
from gql_server.settings import Settings

PASSWORD = "Bench-marking-erasure-2026"  # noqa: S105 - a throwaway user
EMAIL = "leaving@example.in"
PAGE = """query($after: String) { exportMyData(transactionsAfter: $after,
  transactionsFirst: 5000) { generatedAt data transactionsEndCursor hasMoreTransactions } }"""
# Sent as COPY (...) TO STDOUT: the cheapest way rows leave PostgreSQL.
RAW_EXPORT = """SELECT id, occurred_at, amount, direction, category, merchant, description,
  balance_after FROM ledger_transaction WHERE user_id = $1 ORDER BY occurred_at, id"""


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def seed(url: str, count: int, password_hash: str) -> int:
    """One user with `count` transactions over two years and a few rows elsewhere."""
    conn = await asyncpg.connect(_pg(url))
    try:
        user_id: int = await conn.fetchval(
            "INSERT INTO app_user (email, password_hash, full_name, currency, timezone, role, "
            "is_active, token_version, created_at, updated_at, opening_balance) VALUES "
            "($1, $2, 'Leaving User', 'INR', 'Asia/Kolkata', 'user', true, 0, now(), now(), "
            "25000) RETURNING id",
            EMAIL,
            password_hash,
        )
        rows, _ = two_years_of_rows(user_id, count, Decimal(25000), seed=11)
        await copy_transactions(conn, rows)
        # Sources with transactions linked: erasing them is where an unindexed reference
        # from the ledger would cost a scan per source.
        for name in ("Upwork", "Swiggy", "Acme Retainer"):
            source_id = await conn.fetchval(
                "INSERT INTO income_source (user_id, name, kind, frequency, created_at) "
                "VALUES ($1, $2, 'client', 'irregular', now()) RETURNING id",
                user_id,
                name,
            )
            await conn.execute(
                "UPDATE ledger_transaction SET income_source_id = $2 WHERE user_id = $1 "
                "AND direction = 'income' AND merchant = 'Upwork' AND id % 3 = $3",
                user_id,
                source_id,
                ("Upwork", "Swiggy", "Acme Retainer").index(name),
            )
    finally:
        await conn.close()
    return user_id


async def measure(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def peak(work: Callable[[], Awaitable[Any]]) -> float:
    """The Python heap's peak in MB above where it was when `work` started."""
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    await work()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (top - base) / 2**20


async def time_reset_requests(client: httpx.AsyncClient, app: Any) -> dict[str, list[float]]:
    """Milliseconds to answer requestPasswordReset for the account's email and for an unknown
    one, interleaved; each asked for again and again, so both update their counter rows (a
    first request for any email inserts one: that time says "first ask", for any email). The
    mail work after each answer is awaited before the next request, so one request's
    background work does not land in another's time."""
    query = "mutation($e: String!) { requestPasswordReset(email: $e) }"
    times: dict[str, list[float]] = {"with an account": [], "without one": []}
    for _ in range(200):
        for label, email in (("with an account", EMAIL), ("without one", "nobody@example.in")):
            started = time.perf_counter()
            body = (
                await client.post("/graphql", json={"query": query, "variables": {"e": email}})
            ).json()
            times[label].append((time.perf_counter() - started) * 1000)
            assert body == {"data": {"requestPasswordReset": True}}, body
            await app.state.resources.mailer.drain()
    return times


async def main(count: int) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per page otherwise
    logging.getLogger("gql_server.mail").setLevel(logging.WARNING)  # each reset mail
    password_hash = await hash_password(PASSWORD)
    rows: list[tuple[str, str, str, str]] = []
    async with scratch_database() as url:
        # Limits raised: the reset timing below sends hundreds of requests from one address.
        settings = Settings(
            app_env="test",
            database_url=url,
            db_pool_size=4,
            password_resets_per_email=100_000,
            password_resets_per_address=100_000,
        )
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            user_id = await seed(url, count, password_hash)
            raw = await asyncpg.connect(_pg(url))

            exported = {"bytes": 0}

            async def stream() -> None:
                exported["bytes"] = 0
                async for chunk in data_export.iter_export(user_id):
                    exported["bytes"] += len(chunk)

            async def raw_copy() -> None:
                sink = {"bytes": 0}

                async def write(data: bytes) -> None:
                    sink["bytes"] += len(data)

                await raw.copy_from_query(RAW_EXPORT, user_id, output=write)

            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                login = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($e: String!, $p: String!) { login(email: $e, "
                        "password: $p) { accessToken } }",
                        "variables": {"e": EMAIL, "p": PASSWORD},
                    },
                )
                headers = {
                    "authorization": f"Bearer {login.json()['data']['login']['accessToken']}"
                }
                pages = {"n": 0}

                async def paged() -> None:
                    after, pages["n"] = None, 0
                    while True:
                        body = (
                            await client.post(
                                "/graphql",
                                json={"query": PAGE, "variables": {"after": after}},
                                headers=headers,
                            )
                        ).json()
                        assert "errors" not in body, body["errors"]
                        page = body["data"]["exportMyData"]
                        pages["n"] += 1
                        if not page["hasMoreTransactions"]:
                            return
                        after = page["transactionsEndCursor"]

                stream_s = await measure(stream)
                stream_peak = await peak(stream)
                copy_s = await measure(raw_copy)
                copy_peak = await peak(raw_copy)
                paged_s = await measure(paged)
                paged_peak = await peak(paged)
                reset_times = await time_reset_requests(client, app)
            megabytes = exported["bytes"] / 2**20
            rows.append(
                (
                    "export, streamed (GET /export)",
                    f"{stream_s:.2f}",
                    f"{stream_peak:.1f}",
                    f"{megabytes:.0f} MB of JSON",
                )
            )
            rows.append(
                (
                    "  floor: COPY the transactions out",
                    f"{copy_s:.2f}",
                    f"{copy_peak:.1f}",
                    f"{stream_s / copy_s:.1f}x the floor's time",
                )
            )
            rows.append(
                (
                    "export, paged (exportMyData)",
                    f"{paged_s:.2f}",
                    f"{paged_peak:.1f}",
                    f"{pages['n']} pages of 5,000",
                )
            )

            erase_s = await measure(lambda: erasure.erase_user(user_id, "ADMIN"))
            user_id = await seed(url, count, password_hash)
            erase_peak = await peak(lambda: erasure.erase_user(user_id, "ADMIN"))
            user_id = await seed(url, count, password_hash)

            async def raw_delete() -> None:
                async with raw.transaction():
                    await raw.execute("DELETE FROM ledger_transaction WHERE user_id = $1", user_id)

            delete_s = await measure(raw_delete)
            rows.append(
                (
                    "erase (every table, one transaction)",
                    f"{erase_s:.2f}",
                    f"{erase_peak:.1f}",
                    f"{erase_s / delete_s:.1f}x the floor's time",
                )
            )
            rows.append(("  floor: DELETE the transactions", f"{delete_s:.2f}", "", ""))
            await raw.close()

    reset_table = Table(title="requestPasswordReset, answered (ms), 200 requests each, interleaved")
    for column in ("email", "p50", "p95", "mean"):
        reset_table.add_column(column, justify="left" if column == "email" else "right")
    for label, samples in reset_times.items():
        ordered = sorted(samples)
        reset_table.add_row(
            label,
            f"{statistics.median(ordered):.2f}",
            f"{ordered[int(0.95 * (len(ordered) - 1))]:.2f}",
            f"{statistics.mean(ordered):.2f}",
        )
    Console().print(reset_table)

    table = Table(title=f"A user with {count:,} transactions (PostgreSQL, this machine)")
    for column in ("", "seconds", "Python heap peak MB", "note"):
        table.add_column(column, justify="left" if column in ("", "note") else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole benchmark process (seeding included): {rss:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=300_000)
    args = parser.parse_args()
    asyncio.run(main(args.transactions))
