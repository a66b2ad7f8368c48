"""Bounded cost: one user's expensive requests cannot take the server from everyone else.

Every test here failed before its fix (issue "Safe by default and bounded"). Fits run in a
real thread pool whose workers wait at a gate the test opens, so "still running" and "never
started" are states a test can hold and look at.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp, Message

from gql_server.app import create_app
from gql_server.core import outlook as core_outlook
from gql_server.models import ForecastLease, Transaction, User
from gql_server.services.forecast_pool import ForecastPool
from gql_server.settings import Settings
from tests.conftest import Api, empty_tables, error_code
from tests.factories import give_generated_history, make_transactions

WHAT_IF = """query($s: ScenarioInput) { forecast(horizonDays: 30, scenario: $s) {
  expectedInflow } }"""
LOSE_20 = {"incomeChangePercent": -20}
LOSE_50 = {"incomeChangePercent": -50}
CREATE = """mutation($input: TransactionInput!) { createTransaction(input: $input) { id } }"""


class GatedExecutor(ThreadPoolExecutor):
    """A thread pool whose fits wait at a gate, counting what ran and for whom (the second
    argument of every fit is the user's id, its seed)."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="gated")
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.started: list[tuple[str, int]] = []
        self.running: Counter[int] = Counter()
        self.peak: Counter[int] = Counter()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(self._run, fn, args)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        user = int(args[1]) if len(args) > 1 else -1
        with self.lock:
            self.started.append((fn.__name__, user))
            self.running[user] += 1
            self.peak[user] = max(self.peak[user], self.running[user])
        try:
            self.gate.wait(30)
            return fn(*args)
        finally:
            with self.lock:
                self.running[user] -= 1

    def fits_for(self, user_id: int, name: str = "what_if_in_worker") -> int:
        with self.lock:
            return sum(1 for f, u in self.started if f == name and u == user_id)


@dataclass
class Bounded:
    app: ASGIApp
    executor: GatedExecutor
    client: httpx.AsyncClient

    async def user(self, email: str, seed: int) -> tuple[Api, int]:
        api = Api(self.client)
        await api.register(email=email)
        user = await User.get(email=email)
        await give_generated_history(user.id, seed=seed, pattern="stable", days=240)
        assert "errors" not in await api.post("{ forecasts { expectedInflow } }")  # warm
        return api, user.id


@asynccontextmanager
async def bounded(
    settings: Settings, *, max_in_flight: int = 4, timeout_s: float = 20.0, workers: int = 4
) -> AsyncIterator[Bounded]:
    app = create_app(settings)
    executor = GatedExecutor(workers)
    outlooks = app.state.resources.outlook
    outlooks.pool = ForecastPool(lambda: executor, max_in_flight=max_in_flight, timeout_s=timeout_s)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            try:
                yield Bounded(manager.app, executor, client)
            finally:
                executor.gate.set()
    executor.shutdown(wait=True)


async def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_request_over_the_cost_budget_is_refused_before_any_fit(
    settings: Settings,
) -> None:
    async with bounded(settings) as b:
        api, user_id = await b.user("cost@example.in", seed=21)
        aliases = " ".join(
            f"f{k}: forecast(horizonDays: 30, scenario: {{incomeChangePercent: {-k}}}) "
            "{ expectedInflow }"
            for k in range(1, 5)
        )
        body = await api.post(f"{{ {aliases} }}")
        # The same through a fragment spread twice, on `me`.
        spread = await api.post(
            """query($s: ScenarioInput) { me { ...W } again: me { ...W } }
               fragment W on User { forecast(horizonDays: 7, scenario: $s) { expectedNet }
                 balanceForecast(horizonDays: 7, scenario: $s) { p50 } }""",
            {"s": LOSE_20},
        )

    for refused in (body, spread):
        assert error_code(refused) == "BAD_USER_INPUT"
        extensions = refused["errors"][0]["extensions"]
        assert extensions["cost"] == 45, refused
        assert extensions["budget"] == 40
        assert refused.get("data") is None
    assert b.executor.fits_for(user_id) == 0


async def test_what_ifs_of_one_request_share_their_fits(settings: Settings) -> None:
    async with bounded(settings) as b:
        api, user_id = await b.user("share@example.in", seed=22)
        body = await api.post(
            """query($a: ScenarioInput, $b: ScenarioInput) {
                 one: forecast(horizonDays: 30, scenario: $a) { expectedInflow }
                 fan: balanceForecast(horizonDays: 30, scenario: $a) { p50 }
                 two: forecast(horizonDays: 30, scenario: $b) { expectedInflow } }""",
            {"a": LOSE_20, "b": LOSE_50},
        )

    assert "errors" not in body, body
    assert len(body["data"]["fan"]) == 30
    assert b.executor.fits_for(user_id) == 2  # the fan came from its forecast's fit


async def test_one_users_fits_run_one_at_a_time_and_do_not_hold_up_others(
    settings: Settings,
) -> None:
    async with bounded(settings) as b:
        heavy, heavy_id = await b.user("heavy@example.in", seed=23)
        light, light_id = await b.user("light@example.in", seed=24)
        b.executor.gate.clear()
        burst = [
            asyncio.ensure_future(heavy.post(WHAT_IF, {"s": {"incomeChangePercent": -k}}))
            for k in range(1, 4)
        ]
        await eventually(lambda: b.executor.running[heavy_id] == 1)
        others = asyncio.ensure_future(light.post(WHAT_IF, {"s": LOSE_20}))
        # The light user's fit starts while the heavy user's others wait for their lease.
        await eventually(lambda: b.executor.running[light_id] == 1)
        assert b.executor.running[heavy_id] == 1
        b.executor.gate.set()
        bodies = await asyncio.gather(*burst, others)
        await asyncio.sleep(0.1)  # leases are given back in a task as each fit ends
        assert await ForecastLease.all().count() == 0

    assert all("errors" not in body for body in bodies), bodies
    assert b.executor.peak[heavy_id] == 1


async def test_a_lease_held_by_another_server_is_waited_for_then_expires(
    settings: Settings,
) -> None:
    async with bounded(settings, timeout_s=1.0) as b:
        api, user_id = await b.user("lease@example.in", seed=25)
        # Another server process is running this user's fit (its lease is in the database).
        lease = await ForecastLease.create(
            user_id=user_id, slot=0, holder="elsewhere", expires_at=int(time.time()) + 600
        )
        started = time.monotonic()
        waited = await api.post(WHAT_IF, {"s": LOSE_20})
        took = time.monotonic() - started
        # That server died: its lease expired, and the next fit takes the slot.
        await ForecastLease.filter(id=lease.id).update(expires_at=int(time.time()) - 1)
        after = await api.post(WHAT_IF, {"s": LOSE_20})

    assert error_code(waited) == "RATE_LIMITED", waited
    assert 0.9 <= took < 3
    assert b.executor.fits_for(user_id) == 1
    assert "errors" not in after, after


async def test_waiting_for_a_pool_slot_counts_in_the_time_limit(settings: Settings) -> None:
    async with bounded(settings, max_in_flight=1, timeout_s=1.0) as b:
        first, first_id = await b.user("first@example.in", seed=26)
        second, second_id = await b.user("second@example.in", seed=27)
        b.executor.gate.clear()
        running = asyncio.ensure_future(first.post(WHAT_IF, {"s": LOSE_20}))
        await eventually(lambda: b.executor.running[first_id] == 1)
        started = time.monotonic()
        waited = await asyncio.wait_for(second.post(WHAT_IF, {"s": LOSE_20}), 5)
        took = time.monotonic() - started
        b.executor.gate.set()
        await running

    assert error_code(waited) == "SERVICE_UNAVAILABLE"
    assert "longer than 1 s" in waited["errors"][0]["message"]
    assert waited["errors"][0]["extensions"]["retryable"] is True
    assert took < 2.5
    assert b.executor.fits_for(second_id) == 0  # it never started


async def test_a_slot_is_held_until_a_timed_out_fit_really_ends(settings: Settings) -> None:
    async with bounded(settings, max_in_flight=1, timeout_s=0.5) as b:
        first, first_id = await b.user("late@example.in", seed=28)
        second, second_id = await b.user("next@example.in", seed=29)
        b.executor.gate.clear()
        late = await first.post(WHAT_IF, {"s": LOSE_20})  # gives up after 0.5 s
        assert b.executor.running[first_id] == 1  # ... but the worker is still at it
        queued = asyncio.ensure_future(second.post(WHAT_IF, {"s": LOSE_20}))
        await asyncio.sleep(0.2)
        assert b.executor.fits_for(second_id) == 0  # no second fit beside the abandoned one
        b.executor.gate.set()
        await queued

    assert "longer than" in late["errors"][0]["message"]


async def _abandoned_request(app: ASGIApp, token: str, leave_after: float) -> list[Message]:
    """A POST whose client hangs up `leave_after` seconds after sending its body, driven
    over ASGI as a server would: what the app sent back is returned."""
    body = json.dumps({"query": WHAT_IF, "variables": {"s": LOSE_50}}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"t"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("203.0.113.9", 50001),
        "server": ("t", 80),
    }
    sent_body = False
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(leave_after)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_a_client_that_leaves_cancels_its_queued_fit(settings: Settings) -> None:
    async with bounded(settings, max_in_flight=1) as b:
        first, first_id = await b.user("busy@example.in", seed=30)
        leaver, leaver_id = await b.user("leaver@example.in", seed=31)
        b.executor.gate.clear()
        running = asyncio.ensure_future(first.post(WHAT_IF, {"s": LOSE_20}))
        await eventually(lambda: b.executor.running[first_id] == 1)
        assert leaver.token is not None
        sent = await asyncio.wait_for(_abandoned_request(b.app, leaver.token, 0.3), 5)
        b.executor.gate.set()
        await running
        await eventually(lambda: b.executor.running[first_id] == 0)
        await asyncio.sleep(0.2)

        assert sent == []  # no one to answer
        assert b.executor.fits_for(leaver_id) == 0  # its fit never ran
        assert await ForecastLease.filter(user_id=leaver_id).count() == 0


async def test_a_ledger_has_a_size_cap_that_holds_under_concurrency(
    settings: Settings,
) -> None:
    async with bounded(replace(settings, max_ledger_transactions=30)) as b:
        api = Api(b.client)
        await api.register(email="cap@example.in")
        user = await User.get(email="cap@example.in")
        await make_transactions(user.id, 25)
        created = await asyncio.gather(
            *(
                api.post(
                    CREATE,
                    {
                        "input": {
                            "occurredAt": "2026-11-20T10:00:00+05:30",
                            "amount": "10.00",
                            "direction": "EXPENSE",
                            "merchant": f"Shop {k}",
                        }
                    },
                )
                for k in range(10)
            )
        )
        stored = await Transaction.filter(user_id=user.id).count()

    refused = [body for body in created if "errors" in body]
    assert len(refused) == 5
    assert {error_code(body) for body in refused} == {"BAD_USER_INPUT"}
    assert refused[0]["errors"][0]["extensions"]["limit"] == 30
    assert "at most 30 transactions" in refused[0]["errors"][0]["message"]
    assert stored == 30


async def test_a_what_if_reuses_the_stored_outlooks_choice(settings: Settings, monkeypatch) -> None:
    # The evaluation (five rolling origins, each a recurring detection) is most of an
    # outlook's time; a scenario changes the future, not the history it chose from.
    async with bounded(settings) as b:
        api, _ = await b.user("reuse@example.in", seed=27)

        def evaluated_again(*_: object, **__: object) -> None:
            raise AssertionError("a what-if redid the evaluation")

        monkeypatch.setattr(core_outlook, "evaluate", evaluated_again)
        body = await api.post(WHAT_IF, {"s": LOSE_20})

    assert "errors" not in body, body
    assert Decimal(body["data"]["forecast"]["expectedInflow"]) > 0
