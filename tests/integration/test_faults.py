"""Faults a real server process must live through: the database going away and coming back,
SIGTERM while a generation job writes, clients that hang up mid-request. (A forecast worker
killed mid-fit is in test_forecast_pool.py.) Each server's log is kept: none may hold a
traceback, and service resumes without restarting the server."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import ADMIN_PG_URL, STRONG_PASSWORD, row_id
from tests.factories import assert_balances_exact, give_generated_history
from tests.live_server import Server

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }"""
ME = "{ me { email } }"
START = """mutation($i: GenerateDatasetInput!) { generateDataset(input: $i) { id status } }"""
FOLLOW = "query($id: ID!) { generationJob(id: $id) { status usersDone error } }"
CREATE = """mutation { createTransaction(input: {occurredAt: "2026-11-01T10:00:00+05:30",
  amount: "499.00", direction: EXPENSE, merchant: "Swiggy"}) { id balanceAfter } }"""


@pytest.fixture
def live(postgres_url: str, app_client, tmp_path: Path) -> Iterator[Server]:
    server = Server(postgres_url, tmp_path, keep_log=True, GENERATION_CHUNK_USERS="2")
    yield server
    server.stop()


def _register(server: Server, email: str = "ravi@example.in") -> tuple[str, int]:
    body = server.post(
        REGISTER, {"i": {"email": email, "password": STRONG_PASSWORD, "fullName": "Ravi"}}
    )
    payload = body["data"]["register"]
    return payload["accessToken"], row_id(payload["user"]["id"])


def _code(body: dict) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def _cut_off(postgres_url: str, seconds: float, during) -> None:
    """The database refuses new connections and drops every open one for `seconds` (as a
    restart would), running `during()` meanwhile; then it is back."""
    name = postgres_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(ADMIN_PG_URL.replace("postgres://", "postgresql://"))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        started = time.monotonic()
        await during()
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_a_database_restart_gives_clear_errors_then_service_resumes_by_itself(
    live: Server, postgres_url: str
) -> None:
    server = live
    token, _ = _register(server)
    seen: dict[str, object] = {}

    async def during() -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            seen["health"] = (await client.get(f"{server.url}/healthz")).status_code
        response = await asyncio.to_thread(server.post, ME, None, token)
        seen["body"] = response

    await _cut_off(postgres_url, 2.0, during)
    for _ in range(100):  # back on its own: no restart of the server
        body = server.post(ME, token=token)
        if body.get("data"):
            break
        await asyncio.sleep(0.1)

    assert seen["health"] == 503
    assert _code(seen["body"]) == "SERVICE_UNAVAILABLE"  # type: ignore[arg-type]
    assert "127.0.0.1" not in str(seen["body"])
    assert "asyncpg" not in str(seen["body"])
    assert body["data"]["me"]["email"] == "ravi@example.in"
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"{server.url}/healthz")).status_code == 200
    assert "Traceback" not in live.log_text()


async def test_sigterm_while_a_job_writes_fails_it_with_a_reason_and_no_half_user(
    postgres_url: str, app_client, tmp_path: Path
) -> None:
    live = Server(postgres_url, tmp_path, keep_log=True, GENERATION_CHUNK_USERS="2")
    token, user_id = _register(live, "ops@example.in")
    admin = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
    try:
        await admin.execute("UPDATE app_user SET role = 'admin' WHERE id = $1", user_id)
        job_id = live.post(
            START,
            {"i": {"users": 400, "days": 365, "seed": "12", "password": STRONG_PASSWORD}},
            token,
        )["data"]["generateDataset"]["id"]
        while live.post(FOLLOW, {"id": job_id}, token)["data"]["generationJob"]["usersDone"] < 2:
            await asyncio.sleep(0.05)

        started = time.monotonic()
        code = live.stop(signal.SIGTERM)
        stopped_in = time.monotonic() - started

        job = await admin.fetchrow(
            "SELECT status, error, users_done FROM generation_job WHERE id = $1", row_id(job_id)
        )
        assert job is not None
        users = await admin.fetch(
            "SELECT u.id, COUNT(t.id) AS n FROM app_user u LEFT JOIN ledger_transaction t "
            "ON t.user_id = u.id WHERE u.generation_job_id = $1 GROUP BY u.id",
            row_id(job_id),
        )
    finally:
        await admin.close()

    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert "Application shutdown complete" in live.log_text()
    assert stopped_in < 20
    assert job["status"] == "failed"
    assert "shut down" in job["error"]
    assert len(users) == job["users_done"] < 400
    assert all(row["n"] > 0 for row in users)  # every user written is whole
    assert "Traceback" not in live.log_text()


def _hang_up(port: int, request: bytes, wait: float = 0.0) -> None:
    """Send `request` (possibly cut short) and close the connection without reading."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        time.sleep(wait)


def _post_bytes(token: str, query: str, *, declared: int | None = None) -> bytes:
    body = httpx.Request("POST", "http://x/graphql", json={"query": query}).content
    length = declared if declared is not None else len(body)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    return head + (body[: declared // 2] if declared else body)


async def test_clients_that_hang_up_mid_request_leave_no_trace(live: Server) -> None:
    server = live
    token, user_id = _register(server)
    await give_generated_history(user_id, seed=4, pattern="volatile", days=300)
    port = server.port
    forecasts = "{ forecasts { expectedNet } insights(first: 5) { title } }"

    _hang_up(port, _post_bytes(token, ME, declared=4000))  # body cut short
    _hang_up(port, _post_bytes(token, forecasts))  # gone before a cold forecast is ready
    for _ in range(5):
        _hang_up(port, _post_bytes(token, CREATE))  # gone before the mutation answers
    await asyncio.sleep(1.5)  # let the server finish whatever it started

    after = server.post(forecasts, token=token)
    assert "errors" not in after
    assert len(after["data"]["forecasts"]) == 3
    assert server.post(ME, token=token)["data"]["me"]["email"] == "ravi@example.in"
    await assert_balances_exact(user_id)  # each hung-up mutation applied whole, or not at all
    assert "Traceback" not in live.log_text()
