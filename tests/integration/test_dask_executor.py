"""Forecasts on a Dask cluster: the same answers as the local pool, and an honest error when
the scheduler is not there (never a silent fallback to the local pool)."""

from __future__ import annotations

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
from tests.conftest import Api, empty_tables, error_code
from tests.factories import give_generated_history, make_user

distributed = pytest.importorskip("distributed")

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
