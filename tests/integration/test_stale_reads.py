"""Forecasts that never make a reader wait: a write asks for a background refit (debounced),
a read that comes first gets the previous outlook marked stale, unless it asks for a fresh
one; refits are claimed through the database, one process per user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gql_server.app import create_app
from gql_server.models import RefitRequest, User
from gql_server.services.outlook import OutlookService
from gql_server.services.outlook.refits import RefitQueue
from gql_server.settings import Settings
from tests.conftest import BOTH_BACKENDS, Api, empty_tables, error_code
from tests.factories import make_transactions

FORECASTS = "query($s: Int) { forecasts(maxStalenessSeconds: $s) { horizonDays stale computedAt } }"
FORECAST = """query($s: Int) { forecast(horizonDays: 30, maxStalenessSeconds: $s) {
  stale computedAt expectedInflow } }"""
CREATE = """mutation($i: TransactionInput!) { createTransaction(input: $i) { id } }"""


@pytest.fixture
async def quick(settings: Settings) -> AsyncIterator[tuple[Api, httpx.AsyncClient, OutlookService]]:
    """An app whose readers wait 1 ms for a fresh outlook, and whose refits start 0.3 s after
    the last write (at most 2 s after the first)."""
    app = create_app(
        replace(settings, outlook_read_budget_ms=1, refit_debounce_ms=300, refit_max_delay_ms=2000)
    )
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client), client, app.state.resources.outlook


async def _write(api: Api, amount: str = "100.00") -> None:
    body = await api.post(
        CREATE,
        {"i": {"occurredAt": "2026-11-20T10:00:00+05:30", "amount": amount,
               "direction": "EXPENSE", "merchant": "Chai"}},
    )  # fmt: skip
    assert "errors" not in body, body


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


Quick = tuple[Api, httpx.AsyncClient, OutlookService]


async def test_a_read_after_a_write_gets_the_previous_outlook_marked_stale(quick: Quick) -> None:
    api, _, _ = quick
    await api.register()
    user = await User.get(email="priya@example.in")
    await make_transactions(user.id, 200)
    first = (await api.post(FORECASTS))["data"]["forecasts"]
    assert {f["stale"] for f in first} == {False}

    await _write(api)
    stale = (await api.post(FORECASTS))["data"]["forecasts"]
    fresh = (await api.post(FORECAST, {"s": 0}))["data"]["forecast"]

    assert {f["stale"] for f in stale} == {True}
    assert stale[0]["computedAt"] == first[0]["computedAt"]
    assert fresh["stale"] is False
    assert datetime.fromisoformat(fresh["computedAt"]) > datetime.fromisoformat(
        first[0]["computedAt"]
    )
    # The refit the write asked for finds nothing left to do, and its request goes.
    await _until(lambda: _no_request(user.id))
    assert (await api.post(FORECASTS))["data"]["forecasts"][0]["stale"] is False


async def _no_request(user_id: int) -> bool:
    return not await RefitRequest.filter(user_id=user_id).exists()


async def test_many_quick_writes_make_one_background_refit(quick: Quick) -> None:
    api, _, service = quick
    await api.register()
    user = await User.get(email="priya@example.in")
    await make_transactions(user.id, 200)
    await api.post(FORECASTS)
    before = service.outlooks_computed

    for _ in range(20):
        await _write(api)
    request = await RefitRequest.get(user_id=user.id)
    await _until(lambda: _no_request(user.id))

    assert request.version == 20
    assert service.outlooks_computed - before == 1
    assert (await api.post(FORECASTS))["data"]["forecasts"][0]["stale"] is False


@pytest.mark.parametrize("value", [-1, 10**12])
async def test_a_staleness_out_of_range_is_bad_input(api: Api, value: int) -> None:
    await api.register()
    for query in (FORECAST, FORECASTS):
        body = await api.post(query, {"s": value})
        assert error_code(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == "maxStalenessSeconds"


async def test_one_process_claims_a_users_refit(api: Api) -> None:
    """Two processes' queues on one database: each due refit is run by exactly one."""
    await api.register()
    user = await User.get(email="priya@example.in")
    ran: list[str] = []

    def queue(name: str) -> RefitQueue:
        async def refit(user_id: int) -> None:
            ran.append(name)
            await asyncio.sleep(0.2)

        return RefitQueue(refit, workers=2)

    first, second = queue("first"), queue("second")
    await first.request(user.id, now=True)
    await asyncio.gather(first._claim_and_start(), second._claim_and_start())
    await asyncio.gather(*first.running.values(), *second.running.values())

    assert len(ran) == 1
    assert not await RefitRequest.filter(user_id=user.id).exists()


@BOTH_BACKENDS
async def test_a_waiting_reader_does_not_count_as_a_write(api: Api) -> None:
    """A reader asking for the refit now must not move its version: a refit that ends sees
    an unchanged version and is done, instead of running again for every read meanwhile."""
    await api.register()
    user = await User.get(email="priya@example.in")
    queue = RefitQueue(lambda _: asyncio.sleep(0), workers=1)

    await queue.request(user.id)  # a write
    await queue.request(user.id, now=True)  # two readers
    await queue.request(user.id, now=True)

    row = await RefitRequest.get(user_id=user.id)
    assert row.version == 1
    assert row.due_ms <= row.first_requested_ms + 1000  # due now, not after the debounce


async def test_a_read_does_not_wait_for_a_refit_that_cannot_come_within_its_budget(
    settings: Settings,
) -> None:
    """With a budget of 2 s and refits that (here) take a minute, a read after a write is
    answered from the previous outlook at once: it used to wait the whole budget, every time,
    whatever the refits took (bench.api_load: every read after a write was late by it)."""
    app = create_app(
        replace(
            settings, outlook_read_budget_ms=2000, refit_debounce_ms=300, refit_max_delay_ms=2000
        )
    )
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client)
            service: OutlookService = app.state.resources.outlook
            await api.register()
            user = await User.get(email="priya@example.in")
            await make_transactions(user.id, 200)
            assert {f["stale"] for f in (await api.post(FORECASTS))["data"]["forecasts"]} == {False}
            await _write(api)
            service.refits.took(60.0)  # as if this process's refits took a minute
            loop = asyncio.get_running_loop()
            started = loop.time()
            stale = (await api.post(FORECASTS))["data"]["forecasts"]
            assert {f["stale"] for f in stale} == {True}
            assert loop.time() - started < 1.5  # the budget was not spent waiting


def test_the_time_a_refit_takes_is_judged_from_the_recent_ones() -> None:
    async def refit(user_id: int) -> None:
        return None

    queue = RefitQueue(refit)
    assert queue.eta_s(7) is None  # nothing to go on yet
    queue.took(1.0)
    assert queue.eta_s(7) == 1.0
    queue.took(2.0)
    assert queue.typical_s == pytest.approx(1.2)
