"""Alerts end to end: from a write to the webhook and the subscription, the outbox's delivery
rate, and a receiver that is down for a while (issue 21).

    .venv/bin/python -m bench.alerts [--users 20] [--deliveries 500] [--down 60]

Starts a real `gql-server serve` process (APP_ENV=test, a scratch PostgreSQL database, the
ledger's clock pinned to 6 December 2026 noon India time, FORECAST_POOL_SIZE=1, the default
REFIT_DEBOUNCE_MS of 1 s) and, in this process, a plain asyncio HTTP/1.1 receiver on
127.0.0.1 (keep-alive, 200 for each request) for every user's webhook at /hook/<user>.
Every user is registered over HTTP with twelve months of history written straight into the
ledger (fees of Rs 80,000 on the 3rd, rent of Rs 30,000 on the 1st, exact running balances),
a webhook for all kinds, an outlook read once (no shortfall) and an `alerts` subscription on
a websocket (graphql-transport-ws). Then it prints:

1. Write to alert: the users one after another (the next one's write only once the previous
   user's alert has arrived on both paths), an expense of Rs 20,00,000 today; t0 is when the
   `createTransaction` answer arrives. Latency to the webhook = the receiver's first
   `alert.fired` of kind SHORTFALL_RISK on that user's path minus t0; to the subscription =
   the first `next` message on the user's socket minus t0. p50/p95/max over `--users` users,
   for two sets of `--users` users each:
   - "background refit": the client writes and does nothing else. The server refits after
     the debounce (REFIT_DEBOUNCE_MS, 1 s; its refit queue polls every 0.5 s): that wait is
     part of what a user sees, and is included;
   - "write, then read": the client reads `forecast(horizonDays: 30, maxStalenessSeconds: 0)`
     right after the write, which computes the outlook (and evaluates the alerts) at once.
2. Outbox throughput: `--deliveries` rows inserted straight into `webhook_delivery` for one
   webhook, timed from the insert's commit until the receiver has them all. The server looks
   at the outbox every second when nothing in its own process pokes it (rows written from
   outside do not), so the first delivery waits up to 1 s; the rate is shown with and
   without that wait.
3. A receiver down for `--down` seconds: its listening socket is closed and its open
   connections cut (connections are refused, the realistic outage), K = min(users, 10)
   users of the first set get an income of Rs 50,00,000 that clears their shortfall (the
   write is followed by a fresh read, so the alert.cleared outbox rows exist when it
   answers), and after `--down` seconds from the close the receiver listens again on the same
   port. WEBHOOK_RETRY_SECONDS is 1,2,4,8,16,32 followed by 60 s waits until the schedule
   outlasts the outage by two minutes (the worker marks a delivery FAILED once the schedule
   is exhausted). Reports the failed attempts made while down, the deliveries made after,
   and checks (PASS/FAIL) that every webhook-id was accepted exactly once and that the
   accepted ids are exactly the outbox's message_ids for those alerts.

The driver (HTTP client, websockets, receiver) is Python in one asyncio process. That is fine
here: these are latencies of a background pipeline (debounce, fit, evaluation, outbox,
polls) measured in hundreds of milliseconds to seconds, not HTTP throughput; the delivery
rate of section 2 is bounded by the server's worker (8 deliveries in flight per process),
not by the receiver, which answers each request at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bench.common import TRANSACTION_COLUMNS, copy_transactions, free_port, scratch_database
from gql_server.webhooks import signing

LEDGER_NOW = "2026-12-06T12:00:00+05:30"
PASSWORD = "Saffron-kite-monsoon-42"  # noqa: S105 - throwaway users
JWT_SECRET = "bench-alerts-secret-" + "k" * 40
ROOT = Path(__file__).resolve().parent.parent
BASE_RETRY_SECONDS = (1, 2, 4, 8, 16, 32)
FEES = Decimal("80000.00")
RENT = Decimal("30000.00")
SHORTFALL_EXPENSE = "2000000.00"
CLEARING_INCOME = "5000000.00"
WAIT_FOR_ALERT_S = 60.0

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"""
CREATE_WEBHOOK = """mutation($i: WebhookInput!) { createWebhook(input: $i) {
  secret webhook { id } } }"""
FORECAST = "{ forecast(horizonDays: 30, maxStalenessSeconds: 0) { shortfallProbability } }"
ADD = "mutation($i: TransactionInput!) { createTransaction(input: $i) { id } }"
SUBSCRIBE = "subscription { alerts { id kind clearedAt } }"

console = Console()


# -- the receiver ---------------------------------------------------------------------------


@dataclass
class Arrival:
    """One request the receiver answered."""

    at: float  # time.monotonic() once the whole request was read
    path: str
    webhook_id: str
    status: int  # what the receiver answered
    type: str  # the body's "type"
    alert_id: str
    kind: str
    signed: bool | None  # None: no secret known for the path


@dataclass
class Receiver:
    """A plain HTTP/1.1 receiver on 127.0.0.1 (keep-alive) that answers `status` to every
    request and records it. `down()` closes the listening socket and cuts the open
    connections, so new connections are refused; `up()` listens again on the same port."""

    status: int = 200
    port: int = 0
    arrivals: list[Arrival] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)  # path -> webhook secret
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                    lines = head.split("\r\n")
                    headers: dict[str, str] = {}
                    for line in lines[1:]:
                        name, _, value = line.partition(":")
                        if name:
                            headers[name.strip().lower()] = value.strip()
                    body = await reader.readexactly(int(headers.get("content-length", "0")))
                except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                    return
                at = time.monotonic()
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else ""
                self._record(at, path, headers, body)
                writer.write(
                    f"HTTP/1.1 {self.status} {'OK' if self.status == 200 else 'Unavailable'}"
                    "\r\ncontent-length: 0\r\n\r\n".encode()
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except ConnectionError:
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _record(self, at: float, path: str, headers: dict[str, str], body: bytes) -> None:
        try:
            parsed: dict[str, Any] = json.loads(body)
        except ValueError:
            parsed = {}
        data = parsed.get("data") or {}
        secret = self.secrets.get(path)
        self.arrivals.append(
            Arrival(
                at=at,
                path=path,
                webhook_id=headers.get("webhook-id", ""),
                status=self.status,
                type=str(parsed.get("type", "")),
                alert_id=str(data.get("id", "")),
                kind=str(data.get("kind", "")),
                signed=signing.verify(secret, headers, body) if secret else None,
            )
        )

    def first(self, path: str, since: float, event: str, kind: str) -> Arrival | None:
        for arrival in self.arrivals:
            if (
                arrival.path == path
                and arrival.at >= since
                and arrival.type == event
                and arrival.kind == kind
            ):
                return arrival
        return None


# -- users, their sockets, the server -------------------------------------------------------


@dataclass
class Socket:
    """One user's `alerts` subscription: every message with its arrival time."""

    connection: ClientConnection
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read_forever(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.connection:
                at = time.monotonic()
                message = json.loads(raw)
                if message.get("type") == "ping":
                    await self.connection.send(json.dumps({"type": "pong"}))
                    continue
                self.messages.append((at, message))

    def first_next(self, since: float) -> tuple[float, dict[str, Any]] | None:
        for at, message in self.messages:
            if at >= since and message.get("type") == "next":
                return at, message
        return None


@dataclass
class BenchUser:
    index: int
    email: str
    token: str = ""
    user_id: int = 0
    webhook_id: int = 0
    baseline_shortfall: float = 0.0
    socket: Socket | None = None

    @property
    def path(self) -> str:
        return f"/hook/{self.index}"


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        if "errors" in body:
            raise RuntimeError(f"{query.split('{')[0].strip() or 'query'}: {body['errors']}")
        return body


def retry_schedule(down_s: float) -> tuple[float, ...]:
    """1, 2, 4 ... 32 s, then 60 s waits until the whole outlasts the outage by 2 minutes."""
    waits: list[float] = list(BASE_RETRY_SECONDS)
    while sum(waits) < down_s + 120:
        waits.append(60)
    return tuple(waits)


async def start_server(
    url: str, retry: tuple[float, ...], workdir: Path
) -> tuple[asyncio.subprocess.Process, str, Path]:
    port = free_port()
    log = workdir / "server.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "APP_ENV": "test",
        "DATABASE_URL": url,
        "JWT_SECRET": JWT_SECRET,
        "LEDGER_NOW": LEDGER_NOW,
        "WEBHOOK_RETRY_SECONDS": ",".join(f"{w:g}" for w in retry),
        "FORECAST_POOL_SIZE": "1",
        "REGISTRATIONS_PER_ADDRESS": "100000",
        "LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
        "ACCESS_TOKEN_TTL_MINUTES": "240",
    }
    with log.open("w") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gql_server",
            "serve",
            "--port",
            str(port),
            env=env,
            cwd=workdir,
            stdout=sink,
            stderr=sink,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                break
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return process, base, log
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    await stop_server(process)
    raise RuntimeError(f"the server did not become ready:\n{log.read_text()[-3000:]}")


async def stop_server(process: asyncio.subprocess.Process) -> int | None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode


def history(user_id: int, now: datetime) -> list[tuple[Any, ...]]:
    """Twelve months of 2026: rent on the 1st and fees on the 3rd, running balances from 0."""
    rows: list[tuple[datetime, Decimal, str, str, str]] = []
    for month in range(1, 13):
        rows.append((datetime(2026, month, 1, 6, tzinfo=UTC), RENT, "expense", "Rent", "Landlord"))
        rows.append(
            (
                datetime(2026, month, 3, 6, tzinfo=UTC),
                FEES,
                "income",
                "Freelance income",
                "Acme Studio",
            )
        )
    rows.sort(key=lambda row: row[0])
    balance = Decimal("0.00")
    out = []
    for at, amount, direction, category, merchant in rows:
        balance += amount if direction == "income" else -amount
        out.append((user_id, at, amount, direction, category, merchant, "", balance, now, now))
    assert len(out[0]) == len(TRANSACTION_COLUMNS)
    return out


async def set_up_user(
    api: Api, pg: asyncpg.Pool, receiver: Receiver, user: BenchUser, ws_url: str
) -> None:
    body = await api.post(
        REGISTER,
        {
            "i": {
                "email": user.email,
                "password": PASSWORD,
                "fullName": f"Bench User {user.index}",
                "city": "Pune",
                "occupation": "Tutor",
            }
        },
    )
    user.token = body["data"]["register"]["accessToken"]
    user.user_id = await pg.fetchval("SELECT id FROM app_user WHERE email = $1", user.email)
    async with pg.acquire() as connection:
        raw = cast(asyncpg.Connection, connection)  # a pooled connection is one
        await copy_transactions(raw, history(user.user_id, datetime.now(UTC)))
    created = await api.post(
        CREATE_WEBHOOK,
        {"i": {"url": receiver.url(user.path), "kinds": [], "description": "bench"}},
        user.token,
    )
    receiver.secrets[user.path] = created["data"]["createWebhook"]["secret"]
    user.webhook_id = await pg.fetchval("SELECT id FROM webhook WHERE user_id = $1", user.user_id)
    forecast = await api.post(FORECAST, token=user.token)
    user.baseline_shortfall = float(forecast["data"]["forecast"]["shortfallProbability"])
    ws = await connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10)
    await ws.send(
        json.dumps(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {user.token}"}}
        )
    )
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"websocket of user {user.index}: {ack}")
    await ws.send(
        json.dumps({"type": "subscribe", "id": "alerts", "payload": {"query": SUBSCRIBE}})
    )
    user.socket = Socket(ws)
    user.socket.reader = asyncio.create_task(user.socket.read_forever())


async def in_parallel(
    items: list[BenchUser], work: Callable[[BenchUser], Awaitable[None]], limit: int
) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(item: BenchUser) -> None:
        async with gate:
            await work(item)

    await asyncio.gather(*(one(item) for item in items))


# -- section 1: write to alert --------------------------------------------------------------


@dataclass
class Latency:
    webhook_ms: float | None
    subscription_ms: float | None
    read_ms: float | None = None  # the forecast read after the write, when there was one
    subscription_kind: str = ""


async def write_to_alert(
    api: Api, receiver: Receiver, users: list[BenchUser], *, read_after: bool
) -> list[Latency]:
    """One user after another: the write, then (with `read_after`) the forecast read; waits
    for both paths before the next user."""
    found = []
    for user in users:
        assert user.socket is not None
        sent = time.monotonic()
        await api.post(
            ADD,
            {
                "i": {
                    "occurredAt": "2026-12-06T04:00:00Z",
                    "amount": SHORTFALL_EXPENSE,
                    "direction": "EXPENSE",
                    "category": "Shopping",
                    "merchant": "Bench Mart",
                }
            },
            user.token,
        )
        t0 = time.monotonic()
        read_ms = None
        if read_after:
            await api.post(FORECAST, token=user.token)
            read_ms = (time.monotonic() - t0) * 1000
        hook = message = None
        deadline = t0 + WAIT_FOR_ALERT_S
        while time.monotonic() < deadline:
            hook = receiver.first(user.path, sent, "alert.fired", "SHORTFALL_RISK")
            message = user.socket.first_next(sent)
            if hook is not None and message is not None:
                break
            await asyncio.sleep(0.02)
        kind = ""
        if message is not None:
            data = (message[1].get("payload") or {}).get("data") or {}
            kind = str((data.get("alerts") or {}).get("kind", "?"))
        found.append(
            Latency(
                webhook_ms=(hook.at - t0) * 1000 if hook else None,
                subscription_ms=(message[0] - t0) * 1000 if message else None,
                read_ms=read_ms,
                subscription_kind=kind,
            )
        )
    return found


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _figures(values: list[float | None]) -> tuple[str, str, str]:
    known = [v for v in values if v is not None]
    if not known:
        return "-", "-", "-"
    return (
        f"{_percentile(known, 0.5):,.0f}",
        f"{_percentile(known, 0.95):,.0f}",
        f"{max(known):,.0f}",
    )


# -- section 2: outbox throughput -----------------------------------------------------------


@dataclass
class Throughput:
    rows: int
    arrived: int
    first_s: float
    last_s: float
    delivered_rows: int


async def outbox_rate(
    pg: asyncpg.Pool, receiver: Receiver, webhook_id: int, path: str, count: int
) -> Throughput:
    now = datetime.now(UTC)
    now_ms = int(time.time() * 1000)
    records = []
    for i in range(count):
        body = json.dumps(
            {
                "type": "alert.fired",
                "timestamp": now.isoformat(),
                "data": {
                    "id": f"bench-{i}",
                    "kind": "SHORTFALL_RISK",
                    "severity": "WARNING",
                    "title": "Bench delivery",
                    "message": "Inserted by bench.alerts",
                    "metrics": {},
                    "createdAt": now.isoformat(),
                    "clearedAt": None,
                },
            }
        )
        records.append(
            (webhook_id, f"msg_{uuid.uuid4().hex}", "alert.fired", body, "PENDING", 0, now_ms, now)
        )
    columns = [
        "webhook_id",
        "message_id",
        "event_type",
        "body",
        "status",
        "attempts",
        "next_attempt_ms",
        "created_at",
    ]
    before = len([a for a in receiver.arrivals if a.path == path])
    async with pg.acquire() as connection:
        await connection.copy_records_to_table("webhook_delivery", records=records, columns=columns)
    inserted = time.monotonic()
    deadline = inserted + 60 + count / 5
    while time.monotonic() < deadline:
        if len([a for a in receiver.arrivals if a.path == path]) - before >= count:
            break
        await asyncio.sleep(0.02)
    mine = [a for a in receiver.arrivals if a.path == path][before:]
    # The receiver's answer precedes the row's update: give the last ones a moment.
    await wait_until_no_pending(pg, 10)
    delivered = await pg.fetchval(
        "SELECT count(*) FROM webhook_delivery WHERE webhook_id = $1 AND status = 'DELIVERED'",
        webhook_id,
    )
    return Throughput(
        rows=count,
        arrived=len(mine),
        first_s=mine[0].at - inserted if mine else float("nan"),
        last_s=mine[-1].at - inserted if mine else float("nan"),
        delivered_rows=int(delivered),
    )


async def wait_until_no_pending(pg: asyncpg.Pool, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not await pg.fetchval(
            "SELECT EXISTS (SELECT 1 FROM webhook_delivery WHERE status = 'PENDING')"
        ):
            return True
        await asyncio.sleep(0.2)
    return False


# -- section 3: the receiver down -----------------------------------------------------------


@dataclass
class Outage:
    users: int
    rows: list[asyncpg.Record]
    attempts_while_down: int
    requests_while_down: int
    down_s: float
    all_delivered_after_s: float | None
    arrivals: list[Arrival]


async def outage(
    api: Api,
    pg: asyncpg.Pool,
    receiver: Receiver,
    users: list[BenchUser],
    down_s: float,
    wait_s: float,
) -> Outage:
    hooks = [u.webhook_id for u in users]
    last_id = await pg.fetchval("SELECT coalesce(max(id), 0) FROM webhook_delivery")
    seen_before = len(receiver.arrivals)
    await receiver.down()
    closed = time.monotonic()
    for user in users:
        await api.post(
            ADD,
            {
                "i": {
                    "occurredAt": "2026-12-06T05:00:00Z",
                    "amount": CLEARING_INCOME,
                    "direction": "INCOME",
                    "category": "Freelance income",
                    "merchant": "Acme Studio",
                }
            },
            user.token,
        )
        await api.post(FORECAST, token=user.token)  # the alert.cleared rows exist now
    await asyncio.sleep(max(0.0, closed + down_s - time.monotonic()))
    query = """SELECT message_id, status, attempts, event_type, delivered_at, body
                 FROM webhook_delivery WHERE id > $1 AND webhook_id = ANY($2::int[])"""
    at_reopen = await pg.fetch(query, last_id, hooks)
    requests_while_down = len(receiver.arrivals) - seen_before
    await receiver.up()
    reopened = time.monotonic()
    actual_down = reopened - closed
    deadline = reopened + wait_s
    after: float | None = None
    while time.monotonic() < deadline:
        pending = await pg.fetchval(
            """SELECT count(*) FROM webhook_delivery
                WHERE id > $1 AND webhook_id = ANY($2::int[]) AND status = 'PENDING'""",
            last_id,
            hooks,
        )
        if pending == 0:
            after = time.monotonic() - reopened
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # anything sent twice would arrive now
    rows = await pg.fetch(query, last_id, hooks)
    return Outage(
        users=len(users),
        rows=rows,
        attempts_while_down=sum(int(r["attempts"]) for r in at_reopen),
        requests_while_down=requests_while_down,
        down_s=actual_down,
        all_delivered_after_s=after,
        arrivals=receiver.arrivals[seen_before:],
    )


# -- the run --------------------------------------------------------------------------------


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, ok: bool, text: str) -> None:
        self.failed += not ok
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'FAIL'}[/] {text}")


async def main(args: argparse.Namespace) -> int:
    retry = retry_schedule(args.down)
    checks = Checks()
    receiver = Receiver()
    await receiver.up()
    k = min(args.users, 10)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as workdir:
        async with scratch_database() as url:
            process, base, log = await start_server(url, retry, Path(workdir))
            pg: asyncpg.Pool | None = None
            sockets: list[Socket] = []
            try:
                pg = await asyncpg.create_pool(
                    url.replace("postgres://", "postgresql://"), min_size=1, max_size=4
                )
                async with httpx.AsyncClient(base_url=base, timeout=120) as client:
                    api = Api(client)
                    ws_url = base.replace("http://", "ws://") + "/graphql"
                    run = uuid.uuid4().hex[:6]
                    everyone = [
                        BenchUser(i, f"alerts-{run}-{i}@example.in")
                        for i in range(2 * args.users + 1)
                    ]
                    background = everyone[: args.users]
                    reading = everyone[args.users : 2 * args.users]
                    bulk = everyone[-1]
                    started = time.monotonic()
                    await in_parallel(
                        everyone,
                        lambda u: set_up_user(api, pg, receiver, u, ws_url),
                        limit=4,
                    )
                    sockets = [u.socket for u in everyone if u.socket is not None]
                    await asyncio.sleep(1)  # subscribed before the writes
                    setup_s = time.monotonic() - started
                    open_before = await pg.fetchval(
                        "SELECT count(*) FROM alert WHERE cleared_at IS NULL"
                    )
                    baseline = max(u.baseline_shortfall for u in everyone)
                    console.print(
                        f"{len(everyone)} users ({args.users} per latency row, 1 for the "
                        f"outbox) set up in {setup_s:.1f} s (12 months of history each, a "
                        "webhook, an outlook, a websocket); highest 30-day shortfall "
                        f"probability before the writes {baseline:.2f}, open alerts "
                        f"{open_before}; WEBHOOK_RETRY_SECONDS="
                        f"{','.join(f'{w:g}' for w in retry)}"
                    )
                    await wait_until_no_pending(pg, 30)

                    quiet = await write_to_alert(api, receiver, background, read_after=False)
                    await wait_until_no_pending(pg, 30)
                    read = await write_to_alert(api, receiver, reading, read_after=True)
                    await wait_until_no_pending(pg, 30)
                    print_latencies(args.users, quiet, read)
                    for name, found in (("background refit", quiet), ("write, then read", read)):
                        hooks = sum(f.webhook_ms is not None for f in found)
                        subs = sum(f.subscription_ms is not None for f in found)
                        checks.check(
                            hooks == subs == len(found),
                            f"{name}: SHORTFALL_RISK reached the webhook for {hooks}/{len(found)}"
                            f" users and the subscription for {subs}/{len(found)} "
                            f"(first `next` kinds: "
                            f"{dict(Counter(f.subscription_kind for f in found))})",
                        )

                    throughput = await outbox_rate(
                        pg, receiver, bulk.webhook_id, bulk.path, args.deliveries
                    )
                    print_throughput(throughput)
                    checks.check(
                        throughput.arrived == throughput.rows == throughput.delivered_rows,
                        f"outbox: {throughput.arrived}/{throughput.rows} arrived, "
                        f"{throughput.delivered_rows} rows DELIVERED",
                    )

                    down = await outage(
                        api, pg, receiver, background[:k], args.down, sum(retry) + 60
                    )
                    print_outage(down, checks)

                    everything = [a.webhook_id for a in receiver.arrivals if a.status == 200]
                    twice = [i for i, n in Counter(everything).items() if n > 1]
                    checks.check(
                        not twice,
                        f"whole run: {len(everything)} deliveries accepted, no webhook-id "
                        f"accepted twice ({len(twice)} were)",
                    )
                    signed = [a.signed for a in receiver.arrivals if a.signed is not None]
                    checks.check(
                        all(signed) and len(signed) > 0,
                        f"whole run: {sum(signed)}/{len(signed)} alert deliveries carry a valid "
                        "Standard Webhooks signature",
                    )
            finally:
                for socket in sockets:
                    with contextlib.suppress(Exception):
                        await socket.connection.close()
                    if socket.reader is not None:
                        socket.reader.cancel()
                if pg is not None:
                    await pg.close()
                code = await stop_server(process)
                with contextlib.suppress(AssertionError):
                    await receiver.down()
                report_server_log(log, code)
    return 1 if checks.failed else 0


def print_latencies(users: int, quiet: list[Latency], read: list[Latency]) -> None:
    table = Table(
        title=f"Write to SHORTFALL_RISK alert, ms from the write's answer ({users} users a "
        "row, one after another)",
        caption="write only: the server refits REFIT_DEBOUNCE_MS (1 s) after the write and "
        "its refit queue looks every 0.5 s, both included; write + read: the client reads "
        "forecast(maxStalenessSeconds: 0) at once (read: that read's own time)",
    )
    for column in ("client", "hook p50", "p95", "max", "sub p50", "p95", "max", "read p50"):
        table.add_column(column, justify="left" if column == "client" else "right")
    for name, found in (("write only", quiet), ("write + read", read)):
        reads = [f.read_ms for f in found if f.read_ms is not None]
        table.add_row(
            name,
            *_figures([f.webhook_ms for f in found]),
            *_figures([f.subscription_ms for f in found]),
            f"{statistics.median(reads):,.0f}" if reads else "-",
        )
    console.print(table)


def print_throughput(found: Throughput) -> None:
    table = Table(
        title=f"Outbox: {found.rows} rows inserted for one webhook, one server process "
        "(8 deliveries in flight), receiver on 127.0.0.1"
    )
    for column in ("measure", "value"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("insert to first delivery (the outbox poll: up to 1 s)", f"{found.first_s:.2f} s")
    table.add_row("insert to last delivery", f"{found.last_s:.2f} s")
    table.add_row("deliveries/s, from the insert", f"{found.arrived / found.last_s:,.0f}")
    if found.arrived > 1 and found.last_s > found.first_s:
        table.add_row(
            "deliveries/s, first to last arrival",
            f"{(found.arrived - 1) / (found.last_s - found.first_s):,.0f}",
        )
    console.print(table)


def print_outage(found: Outage, checks: Checks) -> None:
    rows = found.rows
    ids = {str(r["message_id"]) for r in rows}
    statuses = Counter(str(r["status"]) for r in rows)
    events = Counter(str(r["event_type"]) for r in rows)
    attempts = [int(r["attempts"]) for r in rows]
    mine = [a for a in found.arrivals if a.webhook_id in ids]
    accepted = [a.webhook_id for a in mine if a.status == 200]
    per_id = Counter(accepted)
    table = Table(
        title=f"Receiver down (connections refused) for {found.down_s:.1f} s while "
        f"{found.users} users' shortfalls cleared"
    )
    for column in ("measure", "value"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("outbox rows for those alerts", f"{len(rows)} ({dict(events)})")
    table.add_row("attempts made while down (all refused)", str(found.attempts_while_down))
    table.add_row("requests that reached the receiver while down", str(found.requests_while_down))
    table.add_row("delivered after it came back", str(statuses.get("DELIVERED", 0)))
    table.add_row(
        "back up to all delivered",
        f"{found.all_delivered_after_s:.1f} s" if found.all_delivered_after_s is not None else "-",
    )
    table.add_row(
        "attempts per delivery (min / max)",
        f"{min(attempts)} / {max(attempts)}" if attempts else "-",
    )
    table.add_row("final statuses", str(dict(statuses)))
    console.print(table)
    checks.check(
        bool(rows) and statuses.get("DELIVERED", 0) == len(rows),
        f"outage: every one of the {len(rows)} deliveries ended DELIVERED",
    )
    checks.check(
        found.requests_while_down == 0, "outage: nothing reached the receiver while it was down"
    )
    checks.check(
        bool(per_id) and all(n == 1 for n in per_id.values()),
        f"outage: every webhook-id accepted exactly once (none twice within the same "
        f"webhook-id; most for one id: {max(per_id.values(), default=0)})",
    )
    checks.check(
        set(accepted) == ids,
        f"outage: accepted webhook-ids ({len(set(accepted))}) == the outbox's message_ids "
        f"for those alerts ({len(ids)})",
    )


def report_server_log(log: Path, code: int | None) -> None:
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    worrying = [line for line in lines if any(w in line for w in ("ERROR", "Traceback", "WARN"))]
    graceful = "Application shutdown complete" in text
    console.print(
        f"server stopped with SIGTERM: exit code {code} (uvicorn re-raises the signal after "
        f"its shutdown), shutdown {'complete' if graceful else 'NOT seen in its log'}; "
        f"{len(worrying)} warning or error lines in its log"
    )
    for line in worrying[:20]:
        console.print(f"  {line[:200]}", markup=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--down", type=float, default=60)
    sys.exit(asyncio.run(main(parser.parse_args())))
