"""The income-smoothing buffer on generated data, and its ledger under concurrency.

    .venv/bin/python -m bench.buffer [--users 120] [--requests 50] [--rounds 10]

Prints, per income pattern, the mean coefficient of variation of raw monthly income and of
the paycheck received under the rule (replaying each user's own 720-day history), how many
users the paycheck is smoother for, and the months the buffer ran dry; then requests/s and
latency of rounds of N concurrent deposit/withdraw requests on one buffer through GraphQL,
beside the same changes made with raw asyncpg (lock, check, update, insert).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from decimal import Decimal

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import generate_users, scratch_database
from gql_server.app import create_app
from gql_server.core.smoothing.replay import replay
from gql_server.generator.synth import PATTERNS
from gql_server.models import User
from gql_server.services.smoothing import month_flows
from gql_server.settings import Settings

PASSWORD = "Bench-buffer-users-2026"  # noqa: S105 - throwaway users
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
DEPOSIT = """mutation($a: Decimal!, $k: String!) {
  depositToBuffer(amount: $a, idempotencyKey: $k) { balanceAfter } }"""
WITHDRAW = """mutation($a: Decimal!, $k: String!) {
  withdrawFromBuffer(amount: $a, idempotencyKey: $k) { balanceAfter } }"""
console = Console()


async def smoothing_table(users: list[User]) -> Table:
    rows: dict[str, list] = defaultdict(list)
    for user in users:
        history, _ = await month_flows(user)
        result = replay(history, rolling=True)
        rows[user.income_pattern or "(none)"].append(result)
    table = Table(title=f"Replaying {len(users)} users' 720-day histories under the rule")
    for column in (
        "pattern",
        "users",
        "raw income CV",
        "paycheck CV",
        "smoother for",
        "dry months (mean / max)",
    ):
        table.add_column(column, justify="left" if column == "pattern" else "right")
    everyone = []
    for pattern in PATTERNS:
        everyone += rows[pattern]
        table.add_row(pattern, *_smoothing_row(rows[pattern]))
    table.add_row("all", *_smoothing_row(everyone))
    return table


def _smoothing_row(results: list) -> tuple[str, ...]:
    known = [r for r in results if r.raw_income_cv is not None and r.paycheck_cv is not None]
    if not known:
        return str(len(results)), "-", "-", "-", "-"
    smoother = sum(1 for r in known if r.paycheck_cv < r.raw_income_cv)
    dry = [r.dry_months for r in results]
    return (
        str(len(results)),
        f"{statistics.fmean(r.raw_income_cv for r in known):.2f}",
        f"{statistics.fmean(r.paycheck_cv for r in known):.2f}",
        f"{smoother}/{len(known)}",
        f"{statistics.fmean(dry):.1f} / {max(dry)}",
    )


async def graphql_rounds(client: httpx.AsyncClient, token: str, n: int, rounds: int) -> list:
    headers = {"authorization": f"Bearer {token}"}
    latencies: list[float] = []

    async def one(query: str, key: str, amount: str = "10.00") -> None:
        started = time.perf_counter()
        body = (
            await client.post(
                "/graphql",
                headers=headers,
                json={"query": query, "variables": {"a": amount, "k": key}},
            )
        ).json()
        latencies.append((time.perf_counter() - started) * 1000)
        assert "errors" not in body, body

    # Enough in the buffer that no withdrawal is refused whatever the order.
    await one(DEPOSIT, "bench-seed", "100000.00")
    latencies.clear()
    started = time.perf_counter()
    for r in range(rounds):
        await asyncio.gather(
            *(one(DEPOSIT if i % 2 else WITHDRAW, f"bench-{r}-{i}") for i in range(n))
        )
    return [n * rounds / (time.perf_counter() - started), latencies]


async def raw_rounds(url: str, user_id: int, n: int, rounds: int) -> list:
    pool = await asyncpg.create_pool(url.replace("postgres://", "postgresql://"), max_size=10)
    buffer_id = await pool.fetchval("SELECT id FROM buffer WHERE user_id = $1", user_id)
    latencies: list[float] = []

    async def one(sign: int, key: str) -> None:
        started = time.perf_counter()
        async with pool.acquire() as conn, conn.transaction():
            balance = await conn.fetchval(
                "SELECT balance FROM buffer WHERE id = $1 FOR UPDATE", buffer_id
            )
            after = balance + sign * Decimal("10.00")
            await conn.execute("UPDATE buffer SET balance = $1 WHERE id = $2", after, buffer_id)
            await conn.execute(
                "INSERT INTO buffer_entry (buffer_id, kind, amount, balance_after, note, "
                "idempotency_key, created_at) VALUES ($1, $2, 10, $3, '', $4, now())",
                buffer_id,
                "deposit" if sign > 0 else "withdrawal",
                after,
                key,
            )
        latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    for r in range(rounds):
        await asyncio.gather(*(one(1 if i % 2 else -1, f"raw-{r}-{i}") for i in range(n)))
    rate = n * rounds / (time.perf_counter() - started)
    await pool.close()
    return [rate, latencies]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        settings = Settings(
            app_env="test", database_url=url, db_pool_size=10, login_attempts_per_address=10_000
        )
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            users = await generate_users(settings, args.users, PASSWORD)
            console.print(await smoothing_table(users))
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                token = (
                    await client.post(
                        "/graphql",
                        json={"query": LOGIN, "variables": {"e": users[0].email, "p": PASSWORD}},
                    )
                ).json()["data"]["login"]["accessToken"]
                graphql = await graphql_rounds(client, token, args.requests, args.rounds)
            raw = await raw_rounds(url, users[0].id, args.requests, args.rounds)
    table = Table(
        title=f"{args.rounds} rounds of {args.requests} concurrent deposits and "
        "withdrawals on one buffer (PostgreSQL)"
    )
    for column in ("path", "requests/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, (rate, latencies) in (
        ("GraphQL (in-process ASGI)", graphql),
        ("raw asyncpg, same statements", raw),
    ):
        table.add_row(
            name,
            f"{rate:,.0f}",
            f"{_percentile(latencies, 0.5):.1f}",
            f"{_percentile(latencies, 0.99):.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
