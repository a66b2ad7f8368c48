"""Bulk generation into PostgreSQL: rows/s and peak memory, beside raw COPY of the same rows.

    .venv/bin/python -m bench.generator [--big-users 640]

Each scenario runs in a fresh child process with its own scratch database, so its peak memory
(the process and its generator worker) is its own. Scenarios:
  - 100 users x 720 days through a generation job, generator in a worker process and in a thread
  - ~1,000,000 transactions (640 users x 720 days) through a job, worker process
  - the ceiling: the same ready-made rows written with COPY alone, nothing generated meanwhile
  - the whole 100-user run: rows, then each user's buffer, features, forecasts, risk and
    insights (the reference system took 89 s for its 100-user run)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from bench.common import scratch_database
from gql_server import db
from gql_server.generator.payloads import ChunkRequest, build_chunk
from gql_server.generator.writers import reserve_ids, write_chunk
from gql_server.services import generation
from gql_server.settings import Settings

PASSWORD = "Bench-generated-users-2026"  # noqa: S105 - throwaway users


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def _outlooks(settings: Settings):
    """The forecast stack, imported only for the whole run: it is heavy, and its memory would
    be charged to the rows-only scenarios."""
    from gql_server.services.forecast_pool import ForecastPool, local_executor
    from gql_server.services.outlook import OutlookService

    return OutlookService(
        ForecastPool(
            lambda: local_executor("process", settings.forecast_pool_size),
            max_in_flight=settings.forecast_max_in_flight,
            timeout_s=settings.forecast_timeout_s,
        )
    )


async def run_job(users: int, workers: str, whole: bool = False) -> dict:
    """A generation job; `whole` also computes what each user sees (buffer, features,
    forecasts, risk, insights) with the forecast pool at its default 2 processes."""
    async with scratch_database() as url:
        settings = replace(Settings(app_env="test", database_url=url), generation_workers=workers)
        await db.open_database(url, 4)
        outlooks = _outlooks(settings) if whole else None
        try:
            request = generation.DatasetRequest(users=users, days=720, seed=42, password=PASSWORD)
            job = await generation.create_job(request, settings, requested_by=None)
            executor = generation.make_executor(settings, users)
            started = time.perf_counter()
            job = await generation.run_job(job.id, settings, executor, outlook=outlooks)
            seconds = time.perf_counter() - started
            executor.shutdown()
        finally:
            if outlooks is not None:
                outlooks.pool.shutdown()
            await db.close_database()
    assert job.status.value == "succeeded", job.error
    return {"users": job.users_done, "rows": job.transactions_written, "seconds": seconds}


async def run_copy_ceiling(users: int) -> dict:
    async with scratch_database() as url:
        await db.open_database(url, 4)
        try:
            payloads, chunk = [], 25
            end = generation.history_end(None)
            for first in range(0, users, chunk):
                count = min(chunk, users - first)
                user_ids, source_ids = await reserve_ids(count)
                payloads.append(
                    build_chunk(
                        ChunkRequest(
                            seed=42,
                            first=first,
                            count=count,
                            days=720,
                            end=end,
                            patterns=generation.PATTERNS,
                            user_ids=user_ids,
                            source_ids=source_ids,
                            password_hash="x",  # noqa: S106 - never used to sign in
                            job_id=None,
                            created_at=datetime.now(UTC),
                            dialect="postgres",
                        )
                    )
                )
            started = time.perf_counter()
            for payload in payloads:
                await write_chunk(payload)
            seconds = time.perf_counter() - started
        finally:
            await db.close_database()
    rows = sum(p.transaction_count for p in payloads)
    return {"users": users, "rows": rows, "seconds": seconds}


def child(args: argparse.Namespace) -> None:
    if args.mode == "copy":
        result = asyncio.run(run_copy_ceiling(args.users))
    elif args.mode == "whole":
        result = asyncio.run(run_job(args.users, "auto", whole=True))
    else:
        result = asyncio.run(run_job(args.users, args.mode))
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def scenario(users: int, mode: str) -> dict:
    out = subprocess.run(  # noqa: S603 - this very script
        # -c, not -m: spawned workers re-import a main module run by path, which would charge
        # this script's imports to every worker; a server's main module is a small script.
        [
            sys.executable,
            "-c",
            "from bench.generator import main; main()",
            "--child",
            "--users",
            str(users),
            "--mode",
            mode,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-users", type=int, default=640)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    plan = [
        ("100 users: job, worker process", 100, "process"),
        ("100 users: job, worker thread", 100, "thread"),
        ("100 users: COPY of ready rows (ceiling)", 100, "copy"),
        ("100 users: whole job, rows + buffers, forecasts, insights", 100, "whole"),
        (f"{args.big_users} users: job, worker process", args.big_users, "process"),
        (f"{args.big_users} users: COPY of ready rows (ceiling)", args.big_users, "copy"),
    ]
    table = Table(title="Bulk generation into PostgreSQL (720 days per user)")
    for column in ("scenario", "users", "transactions", "seconds", "rows/s", "peak MB"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for name, users, mode in plan:
        r = scenario(users, mode)
        table.add_row(
            name,
            f"{r['users']:,}",
            f"{r['rows']:,}",
            f"{r['seconds']:.2f}",
            f"{r['rows'] / r['seconds']:,.0f}",
            f"{r['peak_mb']:,.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
