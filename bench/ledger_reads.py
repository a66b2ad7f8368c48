"""Ledger reads for a user with 10,000 transactions, through GraphQL and through raw asyncpg.

    .venv/bin/python -m bench.ledger_reads [--transactions 10000] [--repeat 200]

Prints p50/p99 latency and requests/s of a 50-row `transactions` page (first and deep) and a
24-month `cashflow`, each beside the same read done with raw asyncpg; then the two ways of
getting running balances (stored and maintained vs a window function at read time) and what a
write costs under the stored way.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import (
    copy_transactions,
    scratch_database,
    summary,
    time_calls,
    two_years_of_rows,
)
from gql_server.app import create_app
from gql_server.models import Direction, User
from gql_server.services import ledger
from gql_server.settings import Settings

PASSWORD = "Bench-marking-ledger-2026"  # noqa: S105 - a throwaway user
PAGE = """query($after: String) { transactions(first: 50, after: $after) {
  edges { cursor node { id occurredAt amount direction category merchant description
  balanceAfter } } pageInfo { hasNextPage endCursor } } }"""
CASHFLOW = """query($from: Date, $to: Date) { cashflow(interval: MONTH, from: $from, to: $to) {
  start end income expenses net transactionCount } }"""

RAW_PAGE = """SELECT id, occurred_at, amount, direction, category, merchant, description,
  balance_after FROM ledger_transaction WHERE user_id = $1 {keyset}
  ORDER BY occurred_at DESC, id DESC LIMIT 51"""
RAW_CASHFLOW = """SELECT (date_trunc('month', occurred_at AT TIME ZONE 'Asia/Kolkata'))::date AS p,
  COALESCE(SUM(amount) FILTER (WHERE direction = 'income'), 0),
  COALESCE(SUM(amount) FILTER (WHERE direction = 'expense'), 0), COUNT(*)
  FROM ledger_transaction WHERE user_id = $1 AND occurred_at >= $2 AND occurred_at < $3
  GROUP BY 1 ORDER BY 1"""
WINDOW_PAGE = """SELECT * FROM (
  SELECT id, occurred_at, amount, direction, category, merchant, description,
         $2::numeric + SUM(CASE WHEN direction = 'income' THEN amount ELSE -amount END)
           OVER (ORDER BY occurred_at, id) AS balance
    FROM ledger_transaction WHERE user_id = $1) AS t
  {keyset} ORDER BY occurred_at DESC, id DESC LIMIT 51"""


async def seed(url: str, count: int) -> tuple[int, datetime]:
    """One user with `count` transactions over two years, written with COPY."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    user_id = await conn.fetchval(
        "INSERT INTO app_user (email, password_hash, full_name, currency, timezone, role, "
        "is_active, token_version, created_at, updated_at, opening_balance) VALUES "
        "('bench@example.in', 'x', 'Bench', 'INR', 'Asia/Kolkata', 'user', true, 0, now(), now(),"
        " 25000) RETURNING id"
    )
    rows, start = two_years_of_rows(user_id, count, Decimal(25000), seed=7)
    await copy_transactions(conn, rows)
    await conn.close()
    return user_id, start


async def main(count: int, repeat: int) -> None:
    async with scratch_database() as url:
        user_id, start = await seed(url, count)
        settings = Settings(app_env="test", database_url=url, db_pool_size=4)
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            from gql_server.auth.passwords import hash_password

            await User.filter(id=user_id).update(password_hash=await hash_password(PASSWORD))
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                login = await client.post(
                    "/graphql",
                    json={
                        "query": (
                            f'mutation {{ login(email: "bench@example.in", password: "{PASSWORD}") '
                            "{ accessToken } }"
                        )
                    },
                )
                token = login.json()["data"]["login"]["accessToken"]
                headers = {"authorization": f"Bearer {token}"}
                raw = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
                rows = await run_reads(client, headers, raw, user_id, start, repeat)
                rows += await run_balance_choice(raw, user_id, repeat)
                rows += await run_writes(user_id, start)
                await raw.close()
        print_table(count, rows)


async def run_reads(client, headers, raw, user_id, start, repeat) -> list[tuple]:
    async def gql(query: str, variables: dict) -> None:
        body = (
            await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        ).json()
        assert "errors" not in body, body

    first = (await client.post("/graphql", json={"query": PAGE}, headers=headers)).json()
    deep_cursor = first["data"]["transactions"]["edges"][-1]["cursor"]
    for _ in range(100):  # page 100 of 200: a deep keyset page
        page = (
            await client.post(
                "/graphql",
                json={"query": PAGE, "variables": {"after": deep_cursor}},
                headers=headers,
            )
        ).json()["data"]["transactions"]
        deep_cursor = page["pageInfo"]["endCursor"]
    moment, row_id = ledger.decode_cursor(deep_cursor)
    keyset = "AND (occurred_at, id) < ($2, $3)"
    today = datetime.now(UTC).date()
    since = today.replace(day=1) - timedelta(days=700)
    since = since.replace(day=1)
    lower = datetime(since.year, since.month, 1, tzinfo=UTC) - timedelta(hours=5, minutes=30)
    upper = datetime.now(UTC) + timedelta(days=1)
    cases = [
        (
            "50-row page (first)",
            lambda: gql(PAGE, {}),
            lambda: raw.fetch(RAW_PAGE.format(keyset=""), user_id),
        ),
        (
            "50-row page (page 101)",
            lambda: gql(PAGE, {"after": deep_cursor}),
            lambda: raw.fetch(RAW_PAGE.format(keyset=keyset), user_id, moment, row_id),
        ),
        (
            "24-month cashflow",
            lambda: gql(CASHFLOW, {"from": since.isoformat(), "to": today.isoformat()}),
            lambda: raw.fetch(RAW_CASHFLOW, user_id, lower, upper),
        ),
    ]
    results = []
    for name, through_graphql, through_raw in cases:
        g = summary(await time_calls(through_graphql, repeat))
        r = summary(await time_calls(through_raw, repeat))
        results.append((name, "GraphQL (in-process ASGI)", *g))
        results.append((name, "raw asyncpg", *r))
    return results


async def run_balance_choice(raw, user_id, repeat) -> list[tuple]:
    stored = summary(
        await time_calls(lambda: raw.fetch(RAW_PAGE.format(keyset=""), user_id), repeat)
    )
    window = summary(
        await time_calls(
            lambda: raw.fetch(WINDOW_PAGE.format(keyset=""), user_id, Decimal(25000)), repeat
        )
    )
    return [
        ("page with balances", "stored balance_after", *stored),
        ("page with balances", "window function at read", *window),
    ]


async def run_writes(user_id: int, start: datetime) -> list[tuple]:
    user = await User.get(id=user_id)
    now = datetime.now(UTC)

    async def append() -> None:
        await ledger.create_transaction(
            user,
            ledger.TransactionForm(
                occurred_at=now, amount=Decimal("10.00"), direction=Direction.EXPENSE
            ),
        )

    async def back_dated() -> None:
        await ledger.create_transaction(
            user,
            ledger.TransactionForm(
                occurred_at=start + timedelta(hours=1),
                amount=Decimal("10.00"),
                direction=Direction.EXPENSE,
            ),
        )

    return [
        (
            "insert (stored balances)",
            "today: 1 row rebalanced",
            *summary(await time_calls(append, 30)),
        ),
        (
            "insert (stored balances)",
            "2 years back: all rows",
            *summary(await time_calls(back_dated, 30)),
        ),
    ]


def print_table(count: int, rows: list[tuple]) -> None:
    table = Table(title=f"Ledger reads, one user with {count:,} transactions (PostgreSQL)")
    for column in ("read", "path", "p50 ms", "p99 ms", "req/s (serial)"):
        table.add_column(column, justify="right" if "ms" in column or "/s" in column else "left")
    for name, path, p50, p99, rate in rows:
        table.add_row(name, path, f"{p50:.2f}", f"{p99:.2f}", f"{rate:,.0f}")
    Console().print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.transactions, args.repeat))
