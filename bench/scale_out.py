"""Scale-out figures: forecast batches on the local pool and on a Dask cluster, and the API's
throughput with one and two uvicorn workers.

    .venv/bin/python -m bench.scale_out [--users 100] [--seconds 10] [--clients 32]

Needs the dask extra (pip install '.[dask]'). Prints users/s for 100 generated users through
the local process pool (2 workers) and through a Dask LocalCluster (2 worker processes) in the
same run, Dask's overhead per fit, and requests/s with p50/p99 of the 50-row transactions page
from 32 concurrent clients against `gql-server serve --workers 1` and `--workers 2`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import httpx
from distributed import LocalCluster
from rich.console import Console
from rich.table import Table

from bench.common import free_port, generate_users, scratch_database
from gql_server import db
from gql_server.models import User
from gql_server.services.forecast_pool import ForecastPool, dask_executor, local_executor
from gql_server.services.outlook import OutlookService
from gql_server.settings import Settings

PASSWORD = "Bench-scale-out-users-2026"  # noqa: S105 - throwaway users
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
PAGE = """{ transactions(first: 50) { edges { node { id occurredAt amount direction category
  merchant balanceAfter } } pageInfo { hasNextPage endCursor } } }"""
console = Console()


async def batch_rate(users: list[User], pool: ForecastPool) -> float:
    outlooks = OutlookService(pool)
    await outlooks.current(users[0], refresh=True)  # start the workers before the clock
    started = time.perf_counter()
    await outlooks.refresh_many([u.id for u in users])
    return len(users) / (time.perf_counter() - started)


async def api_rate(url: str, workers: int, seconds: float, clients: int, email: str) -> tuple:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_ENV": "test",
        "LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
        "DB_POOL_SIZE": "10",
    }
    server = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, started once
        [
            sys.executable,
            "-m",
            "gql_server",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=clients)
        ) as client:
            for _ in range(200):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            token = (
                await client.post(
                    "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
                )
            ).json()["data"]["login"]["accessToken"]
            headers = {"authorization": f"Bearer {token}"}
            latencies: list[float] = []
            errors = 0
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors += response.status_code != 200 or "errors" in response.json()

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(clients)))
            elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    ordered = sorted(latencies)
    return (
        len(latencies) / elapsed,
        ordered[len(ordered) // 2],
        ordered[int(0.99 * (len(ordered) - 1))],
        errors,
    )


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        settings = replace(Settings(app_env="test", database_url=url))
        await db.open_database(url, 4)
        try:
            users = await generate_users(settings, args.users, PASSWORD)
            local = ForecastPool(
                lambda: local_executor("process", 2), max_in_flight=8, timeout_s=120
            )
            try:
                local_rate = await batch_rate(users, local)
            finally:
                local.shutdown()
            cluster = await LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                asynchronous=True,
                dashboard_address=None,
            )
            dask = ForecastPool(
                lambda: dask_executor(cluster.scheduler_address), max_in_flight=8, timeout_s=120
            )
            try:
                dask_rate = await batch_rate(users, dask)
            finally:
                dask.shutdown()
                closing = cluster.close()
                assert closing is not None  # an asynchronous cluster's close is awaitable
                await closing
        finally:
            await db.close_database()
        one = await api_rate(url, 1, args.seconds, args.clients, users[0].email)
        two = await api_rate(url, 2, args.seconds, args.clients, users[0].email)

    fits = Table(title=f"Forecast batch, {len(users)} generated users (720 days)")
    for column in ("executor", "users/s", "ms per user"):
        fits.add_column(column, justify="left" if column == "executor" else "right")
    fits.add_row("local process pool, 2 workers", f"{local_rate:.1f}", f"{1000 / local_rate:.0f}")
    fits.add_row(
        "Dask LocalCluster, 2 worker processes", f"{dask_rate:.1f}", f"{1000 / dask_rate:.0f}"
    )
    overhead = (1 / dask_rate - 1 / local_rate) * 2 * 1000  # per fit, per worker
    fits.add_row("Dask overhead per fit (per worker)", "", f"{overhead:+.0f}")
    console.print(fits)
    api = Table(title=f"50-row transactions page, {args.clients} clients for {args.seconds:.0f} s")
    for column in ("uvicorn workers", "requests/s", "p50 ms", "p99 ms", "errors"):
        api.add_column(column, justify="right")
    for workers, (rate, p50, p99, errors) in ((1, one), (2, two)):
        api.add_row(str(workers), f"{rate:,.0f}", f"{p50:.1f}", f"{p99:.1f}", str(errors))
    console.print(api)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    asyncio.run(main(parser.parse_args()))
