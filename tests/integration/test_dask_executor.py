"""Forecasts on a Dask cluster: the same answers as the local pool, and an honest error when
the scheduler is not there (never a silent fallback to the local pool)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gql_server.app import create_app
from gql_server.models import User
from gql_server.services.forecast_pool import ForecastPool, dask_executor, local_executor
from gql_server.services.outlook import OutlookService, load_ledger
from gql_server.services.validation import local_today
from gql_server.settings import Settings
from tests.conftest import Api, empty_tables, error_code, free_port
from tests.factories import give_generated_history, make_user

distributed = pytest.importorskip("distributed")

REFRESH = "mutation { refreshForecasts { horizonDays } }"
# One user's stored outlook, as compared between the executors: model, horizons and features.
Stored = tuple[str, list[dict[str, Any]], dict[str, float | None]]


async def test_forecasts_on_a_local_dask_cluster_equal_the_local_pools(app_client) -> None:
    users = []
    for i, pattern in enumerate(("stable", "volatile", "declining", "seasonal")):
        user = await make_user(email=f"dask{i}@example.in")
        await give_generated_history(user.id, seed=20 + i, pattern=pattern, days=400)
        users.append(user)
    cluster = await distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, asynchronous=True, dashboard_address=None
    )
    dask_pool = ForecastPool(
        lambda: dask_executor(cluster.scheduler_address), max_in_flight=4, timeout_s=60
    )
    local_pool = ForecastPool(lambda: local_executor("process", 2), max_in_flight=4, timeout_s=60)
    try:
        results: dict[int, dict[str, Stored]] = {}
        for name, pool in (("dask", dask_pool), ("local", local_pool)):
            outlooks = OutlookService(pool)
            for user in users:
                stored = await outlooks.current(user, refresh=True)
                results.setdefault(user.id, {})[name] = (
                    stored.model,
                    stored.horizons,
                    stored.features,
                )
    finally:
        dask_pool.shutdown()
        local_pool.shutdown()
        await cluster.close()

    for user in users:
        assert results[user.id]["dask"] == results[user.id]["local"]
    assert await load_ledger(users[0], local_today("Asia/Kolkata"))  # ledgers were real


async def test_no_scheduler_means_a_coded_error_and_a_degraded_health(settings) -> None:
    app = create_app(replace(settings, forecast_executor="tcp://127.0.0.1:1"))
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            health = await client.get("/healthz")
            api = Api(client)
            await api.register()
            user = await User.get(email="priya@example.in")
            await give_generated_history(user.id, seed=3, pattern="stable", days=120)
            body = await api.post("{ forecasts { horizonDays } }")
            ledger = await api.post("{ transactions(first: 1) { totalCount } }")

    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "up", "forecast_executor": "down"}
    assert error_code(body) == "SERVICE_UNAVAILABLE"
    assert "cannot be reached" in body["errors"][0]["message"]
    assert "127.0.0.1" not in str(body)  # no internal address reaches the client
    assert ledger["data"]["transactions"]["totalCount"] > 0  # the rest of the API works


async def _cluster(port: int, workers: int) -> Any:
    return await distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=False, asynchronous=True,
        dashboard_address=None, scheduler_port=port,
    )  # fmt: skip


@asynccontextmanager
async def _signed_in_on(
    settings: Settings, port: int
) -> AsyncIterator[tuple[Api, httpx.AsyncClient]]:
    """An app whose executor is the scheduler on `port`, and a user with 120 days of history."""
    app = create_app(replace(settings, forecast_executor=f"tcp://127.0.0.1:{port}"))
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            await api.register()
            user = await User.get(email="priya@example.in")
            await give_generated_history(user.id, seed=5, pattern="stable", days=120)
            yield api, client


async def test_the_server_recovers_when_the_scheduler_comes_back(settings: Settings) -> None:
    """A scheduler that goes away: forecasts are SERVICE_UNAVAILABLE and /readyz says 503;
    one that comes back at the same address: forecasts work again, no restart."""
    port = free_port()
    cluster = await _cluster(port, workers=1)
    try:
        async with _signed_in_on(settings, port) as (api, client):
            before = await api.post(REFRESH)
            ready_before = await client.get("/readyz")

            await cluster.close()
            away = await api.post(REFRESH)
            ready_away = await client.get("/readyz")

            cluster = await _cluster(port, workers=1)
            back = await api.post(REFRESH)
            ready_back = await client.get("/readyz")
    finally:
        await cluster.close()

    assert "errors" not in before, before
    assert ready_before.status_code == 200
    assert error_code(away) == "SERVICE_UNAVAILABLE"
    assert away["errors"][0]["extensions"]["retryable"] is True
    assert ready_away.status_code == 503
    assert "errors" not in back, back
    assert ready_back.status_code == 200


async def test_a_scheduler_without_workers_is_a_quick_coded_error(settings: Settings) -> None:
    port = free_port()
    cluster = await _cluster(port, workers=0)
    try:
        async with _signed_in_on(settings, port) as (api, client):
            started = time.perf_counter()
            body = await api.post(REFRESH)
            seconds = time.perf_counter() - started
            ready = await client.get("/readyz")
    finally:
        await cluster.close()

    assert error_code(body) == "SERVICE_UNAVAILABLE"
    assert "no workers" in body["errors"][0]["message"]
    assert seconds < 10  # not the 30 s time limit
    assert ready.status_code == 503
    assert ready.json()["forecast_executor"] == "no workers"
