"""Shared by the benchmarks: a throwaway PostgreSQL database and latency statistics."""

from __future__ import annotations

import os
import random
import secrets
import socket
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from gql_server import db
from gql_server.models import User
from gql_server.services import generation
from gql_server.settings import Settings

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """A migrated database that exists for the duration of the benchmark."""
    name = f"gqlbench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await db.apply_migrations(url)
        yield url
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def time_calls(call: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    """Milliseconds per call, after a short warm-up."""
    for _ in range(min(5, repeat)):
        await call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, 1000 / statistics.mean(ordered)


async def generate_users(settings: Settings, users: int, password: str) -> list[User]:
    """Write `users` generated users (720 days, seed 42) through a job, rows only."""
    request = generation.DatasetRequest(users=users, days=720, seed=42, password=password)
    job = await generation.create_job(request, settings, requested_by=None)
    executor = generation.make_executor(settings, users)
    try:
        await generation.run_job(job.id, settings, executor)
    finally:
        executor.shutdown()
    return await User.filter(generation_job_id=job.id).order_by("id")


# The columns of a transaction row as the benchmarks write them with COPY, in this order.
TRANSACTION_COLUMNS = (
    "user_id",
    "occurred_at",
    "amount",
    "direction",
    "category",
    "merchant",
    "description",
    "balance_after",
    "created_at",
    "updated_at",
)


def two_years_of_rows(
    user_id: int, count: int, opening: Decimal, seed: int, payers: int = 1
) -> tuple[list[tuple], datetime]:
    """`count` transactions (TRANSACTION_COLUMNS) spread evenly over the two years up to now,
    one in seven an income, with exact running balances from `opening`; and their start.
    Income comes from Upwork, or with `payers` > 1 from that many clients drawn at random."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=730)
    rows, balance = [], opening
    for i in range(count):
        income = rng.random() < 0.14
        cents = rng.randint(500_00, 2_000_000) if income else rng.randint(20_00, 3000_00)
        amount = Decimal(cents) / 100
        balance += amount if income else -amount
        when = start + timedelta(seconds=i * 730 * 86400 // count)
        payer = "Upwork" if payers == 1 else f"Client {rng.randrange(payers)}"
        rows.append(
            (
                user_id,
                when,
                amount,
                "income" if income else "expense",
                "Freelance income" if income else "Groceries",
                payer if income else "BigBasket",
                "",
                balance,
                when,
                when,
            )
        )
    return rows, start


async def copy_transactions(connection: asyncpg.Connection, rows: list[tuple]) -> None:
    """Write `rows` (TRANSACTION_COLUMNS, balances already exact) and refresh the planner's
    statistics, as a real ledger of that size would have them."""
    await connection.copy_records_to_table(
        "ledger_transaction", records=rows, columns=list(TRANSACTION_COLUMNS)
    )
    await connection.execute("ANALYZE ledger_transaction")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
