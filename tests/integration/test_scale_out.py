"""Several server processes on one PostgreSQL: what they must agree on lives in the database.

Real `gql-server serve` processes on their own ports, driven over HTTP like a load balancer
would spread clients over them.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import ADMIN_PG_URL, STRONG_PASSWORD, row_id
from tests.live_server import Server

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"""
ME = "{ me { email } }"
DEPOSIT = """mutation($k: String!) { depositToBuffer(amount: "250.00", idempotencyKey: $k) {
  id balanceAfter } }"""
START = """mutation($i: GenerateDatasetInput!) { generateDataset(input: $i) { id status } }"""
FOLLOW = "query($id: ID!) { generationJob(id: $id) { status usersDone error } }"
CANCEL = "mutation($id: ID!) { cancelGenerationJob(id: $id) { status cancelRequested } }"


def _code(body: dict) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


@pytest.fixture(scope="module")
def running_pair(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two servers for the module's tests that leave them whole: a server's start is 5-7 s of
    imports on a 2-core machine. What they must agree on is in the database, which app_client
    empties before each test, so no test sees another's state."""
    workdir = tmp_path_factory.mktemp("scale-out")
    a = Server(postgres_url, workdir, GENERATION_CHUNK_USERS="2")
    b = Server(postgres_url, workdir, GENERATION_CHUNK_USERS="2")
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def servers(running_pair: tuple[Server, Server], app_client) -> tuple[Server, Server]:
    """The two servers, on the test database emptied by app_client."""
    return running_pair


def _register(server: Server, email: str = "asha@example.in") -> str:
    body = server.post(
        REGISTER, {"i": {"email": email, "password": STRONG_PASSWORD, "fullName": "Asha"}}
    )
    return body["data"]["register"]["accessToken"]


async def _make_admin(postgres_url: str, email: str) -> None:
    connection = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
    try:
        await connection.execute("UPDATE app_user SET role = 'admin' WHERE email = $1", email)
    finally:
        await connection.close()


async def test_wrong_passwords_spread_over_two_servers_are_counted_together(servers) -> None:
    a, b = servers
    _register(a)
    codes = [
        _code((a if i % 2 else b).post(LOGIN, {"e": "asha@example.in", "p": f"Wrong-{i}-xyzw"}))
        for i in range(25)
    ]
    # Ten attempts per account in the window, whichever server takes them.
    assert codes[:10] == ["UNAUTHENTICATED"] * 10
    assert codes[10:] == ["RATE_LIMITED"] * 15


async def test_a_token_revoked_on_one_server_is_refused_by_the_other(servers) -> None:
    a, b = servers
    token = _register(a)
    assert b.post(ME, token=token)["data"]["me"]["email"] == "asha@example.in"
    assert a.post("mutation { logout }", token=token)["data"]["logout"] is True
    assert _code(b.post(ME, token=token)) == "UNAUTHENTICATED"


async def test_an_idempotency_key_sent_to_both_servers_applies_once(servers) -> None:
    a, b = servers
    token = _register(a)
    bodies = await asyncio.gather(
        *(
            asyncio.to_thread(server.post, DEPOSIT, {"k": "pay-day"}, token)
            for server in (a, b, a, b)
        )
    )
    ids = {body["data"]["depositToBuffer"]["id"] for body in bodies}
    assert len(ids) == 1
    balance = b.post("{ buffer { balance entries { totalCount } } }", token=token)["data"]
    assert Decimal(balance["buffer"]["balance"]) == Decimal("250.00")
    assert balance["buffer"]["entries"]["totalCount"] == 1


async def test_a_job_started_on_one_server_is_followed_and_cancelled_on_the_other(
    servers, postgres_url: str
) -> None:
    a, b = servers
    token = _register(a, "ops@example.in")
    await _make_admin(postgres_url, "ops@example.in")
    job = a.post(
        START, {"i": {"users": 300, "days": 365, "seed": "5", "password": STRONG_PASSWORD}}, token
    )["data"]["generateDataset"]
    while b.post(FOLLOW, {"id": job["id"]}, token)["data"]["generationJob"]["usersDone"] < 2:
        await asyncio.sleep(0.05)

    cancelled = b.post(CANCEL, {"id": job["id"]}, token)["data"]["cancelGenerationJob"]
    for _ in range(200):
        seen = b.post(FOLLOW, {"id": job["id"]}, token)["data"]["generationJob"]
        if seen["status"] != "RUNNING":
            break
        await asyncio.sleep(0.05)

    assert cancelled["cancelRequested"] is True
    assert seen["status"] == "CANCELLED"
    assert seen["usersDone"] < 300


async def test_a_killed_servers_job_is_failed_by_the_next_one_with_nothing_half_written(
    postgres_url: str, app_client, tmp_path: Path
) -> None:
    doomed = Server(
        postgres_url, tmp_path, GENERATION_CHUNK_USERS="2", GENERATION_STALE_SECONDS="2"
    )
    token = _register(doomed, "ops@example.in")
    await _make_admin(postgres_url, "ops@example.in")
    job = doomed.post(
        START, {"i": {"users": 400, "days": 365, "seed": "6", "password": STRONG_PASSWORD}}, token
    )["data"]
    job_id = job["generateDataset"]["id"]
    while doomed.post(FOLLOW, {"id": job_id}, token)["data"]["generationJob"]["usersDone"] < 2:
        await asyncio.sleep(0.05)

    doomed.stop(signal.SIGKILL)  # no shutdown handler runs
    await asyncio.sleep(2.5)  # past the heartbeat timeout
    successor = Server(
        postgres_url, tmp_path, GENERATION_CHUNK_USERS="2", GENERATION_STALE_SECONDS="2"
    )
    try:
        for _ in range(100):
            seen = successor.post(FOLLOW, {"id": job_id}, token)["data"]["generationJob"]
            if seen["status"] == "FAILED":
                break
            await asyncio.sleep(0.1)
    finally:
        successor.stop()

    assert seen["status"] == "FAILED"
    assert "no heartbeat" in seen["error"]
    connection = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
    try:
        users = await connection.fetch(
            "SELECT u.id, COUNT(t.id) AS n FROM app_user u LEFT JOIN ledger_transaction t "
            "ON t.user_id = u.id WHERE u.generation_job_id = $1 GROUP BY u.id",
            row_id(job_id),
        )
    finally:
        await connection.close()
    assert len(users) >= 2
    assert all(row["n"] > 0 for row in users)  # every user written is whole


@pytest.fixture
def lone_server(postgres_url: str, app_client, tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, for a test that cuts it off from the database."""
    server = Server(postgres_url, tmp_path, GENERATION_CHUNK_USERS="2")
    yield server
    server.stop()


async def test_the_database_going_away_mid_job_fails_it_with_a_reason(
    lone_server: Server, postgres_url: str
) -> None:
    a = lone_server
    token = _register(a, "ops@example.in")
    await _make_admin(postgres_url, "ops@example.in")
    job_id = a.post(
        START, {"i": {"users": 400, "days": 365, "seed": "8", "password": STRONG_PASSWORD}}, token
    )["data"]["generateDataset"]["id"]
    while a.post(FOLLOW, {"id": job_id}, token)["data"]["generationJob"]["usersDone"] < 2:
        await asyncio.sleep(0.05)

    connection = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
    name = postgres_url.rsplit("/", 1)[1]
    try:
        # The database goes away: no new connections, and every open one dies (a reconnect
        # would otherwise carry the job over a mere blip). It comes back 3 s later.
        admin = await asyncpg.connect(ADMIN_PG_URL.replace("postgres://", "postgresql://"))
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> $2",
                name,
                await connection.fetchval("SELECT pg_backend_pid()"),
            )
            await asyncio.sleep(3)
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.close()
        for _ in range(300):
            seen = await connection.fetchrow(
                "SELECT status, error, users_done FROM generation_job WHERE id = $1", row_id(job_id)
            )
            assert seen is not None
            if seen["status"] != "running":
                break
            await asyncio.sleep(0.1)
        users = await connection.fetch(
            "SELECT u.id, COUNT(t.id) AS n FROM app_user u LEFT JOIN ledger_transaction t "
            "ON t.user_id = u.id WHERE u.generation_job_id = $1 GROUP BY u.id",
            row_id(job_id),
        )
    finally:
        await connection.close()

    assert seen is not None
    assert seen["status"] == "failed"
    assert "database connection" in seen["error"]
    assert len(users) == seen["users_done"]
    assert all(row["n"] > 0 for row in users)
