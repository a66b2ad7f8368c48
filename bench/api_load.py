"""The API under load: a realistic mix of calls against a real `gql-server serve` process, beside
a plain Starlette + raw asyncpg app serving the same reads (bench/raw_dashboard.py).

    .venv/bin/python -m bench.api_load [--users 1000] [--clients 32,128] [--duration 30]
                                       [--workers 1] [--soak 0] [--think-ms 0]

Setup (not timed): a scratch PostgreSQL database gets --users generated users (720 days, seed
42, one shared password; 1,000 users are about 1.5M transactions), then every user's buffer and
outlook (features, forecasts, risks, insights) is computed as the generation job does it
(`OutlookService.refresh_many` over a pool of 2 processes), so the load measures serving, not
first-time fitting. Two servers start as their own processes on loopback, both with --workers:
`python -m gql_server serve` (APP_ENV=production, a random 64-character JWT_SECRET, the default
DB_POOL_SIZE of 10; LOGIN_ATTEMPTS_PER_ADDRESS is raised because every virtual client comes from
127.0.0.1) and uvicorn serving bench/raw_dashboard.py with the same secret and pool size. This
process drives the load with httpx (HTTP/1.1 keep-alive, one connection per virtual client).

The users are split: a quarter (at most the largest --clients) only ever read, and serve the
read-only phases; the rest are the mix's. Each level of --clients runs, in this order:

- dashboard, GraphQL then raw: every client signs in as one of the readers (not timed) and asks
  for the dashboard (me, forecasts, buffer, smoothingPlan with its 24-month history,
  insights(first: 5), transactions(first: 20)) over and over for --duration seconds;
- 50-row page, GraphQL then raw: the same clients page through their transactions
  (`transactions(first: 50, after: $cursor)`), following endCursor 5 pages deep, then from the
  newest again;
- the mix, GraphQL only: every client signs in as a random user of the mix, then picks each
  call at random: the dashboard 35 %, the next 50-row page 40 %, createTransaction (an expense
  dated now) 15 %, login as another random user 10 %. A dashboard asked for after the client's
  own createTransaction is counted apart as "dashboard after a write": the write changed the
  ledger, so that request waits for the user's outlook to be refitted (as the API promises:
  forecasts and insights are never served stale).

Before each phase the bench waits until the servers are idle (below 5 % CPU for a second), so
refits left over from a mix do not slow the next phase. Before the first, it checks that the
raw app's dashboard and 50-row page equal GraphQL's, field for field, and stops if they differ.

Figures, per phase and call: requests/s (completed calls over the phase's wall time, the last
calls in flight included), p50/p95/p99 latency in ms (from sending the request to the last byte
of the answer), and errors: any transport error, any status other than 200 and any body with
"errors" (the first distinct messages are printed). Every client calls again as soon as it has
its answer (no think time), so latency is mostly queueing: about clients / requests/s.

"server CPU" is the CPU time of the server's process tree over the phase's wall time (200 % is
both cores; PostgreSQL's own processes are not included), split for the mix into the event-loop
thread(s), the other threads (argon2 password checks run in a thread pool) and the forecast
pool's processes (refits). "CPU ms/req" is the server's CPU time per completed call. "driver
CPU" is this process's: the driver shares the 2 cores with the servers, and near 100 % it, not
the server, set the pace, which happens to the raw app (it needs a fifth of GraphQL's CPU per
call, so httpx in one process cannot keep it busy). Hence two ratios, GraphQL over raw: "req/s"
as measured, and "by CPU", raw's CPU ms/req over GraphQL's, the throughput ratio to expect when
each server has the CPU to itself; the second is the fairer one whenever driver CPU nears 100 %.

Memory: the sum of VmHWM (each process's peak resident set since it started) over the server
process and its children (uvicorn workers, forecast pool workers), read from /proc after each
level, so it is the peak so far. Then the issue's targets: the 50-row page at 0.3x raw or better,
the dashboard's p99 (in the mix) under 150 ms at 32 clients, and no errors anywhere.

--think-ms MS gives the mix's (and the soak's) clients a random pause between calls (exponential,
mean MS): 32 people using an app are not 32 clients calling back to back, and with a pause the
latency measures the server rather than the queue. The read-only phases never pause.

--soak SECONDS then runs the mix at 32 clients for that long and prints, per minute,
requests/s, p99, errors and the server's resident memory (the VmRSS sum, sampled every 5 s:
the last sample and the minute's highest), so a person can see whether memory stays flat.
--duration 0 skips the levels (a soak only).

At the end, the server logs' lines other than INFO (warnings, errors, tracebacks) are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.common import free_port, generate_users, scratch_database
from gql_server import db
from gql_server.models import User
from gql_server.services.forecast_pool import ForecastPool, local_executor
from gql_server.services.outlook import OutlookService
from gql_server.services.smoothing import seed_buffer_from_history
from gql_server.settings import Settings

PASSWORD = "Bench-api-load-users-2026"  # noqa: S105 - throwaway generated users
SOAK_CLIENTS = 32
PAGES_PER_RUN = 5
MIX = {"dashboard": 35, "page": 40, "create": 15, "login": 10}
AFTER_WRITE = "dashboard after a write"
MERCHANTS = ("Swiggy", "Zomato", "BigBasket", "Blinkit", "Uber", "Rapido", "Amazon", "DMart")
TIMEOUT_S = 120
console = Console(width=int(os.environ.get("COLUMNS", "132")))

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
DASHBOARD = """query Dashboard {
  me { id email fullName city occupation incomePattern currency timezone role createdAt }
  forecasts { horizonDays asOf expectedInflow expectedOutflow expectedNet inflowLow inflowHigh
    netLow netHigh projectedMinBalance shortfallProbability riskLevel riskScore model
    lowConfidence backtestMase intervalCoverage generatedAt }
  buffer { balance target targetMonths totalDeposited totalWithdrawn monthlyPaycheck
    paycheckOverride runwayMonths riskScore }
  smoothingPlan { monthlyPaycheck recommendedPaycheck target targetMonths thisMonthIncome
    recommendedDeposit recommendedWithdrawal monthsToTarget runwayMonths riskScore rawIncomeCv
    smoothedIncomeCv dryMonths
    history { month income paycheckPaid deposit withdrawal balanceAfter shortfall } }
  insights(first: 5) { id kind severity title message metrics period { start end } createdAt }
  transactions(first: 20) { edges { cursor node { id occurredAt amount direction category
    merchant description balanceAfter } } pageInfo { hasNextPage endCursor } }
}"""
PAGE = """query Page($after: String) { transactions(first: 50, after: $after) {
  edges { cursor node { id occurredAt amount direction category merchant description
  balanceAfter } } pageInfo { hasNextPage endCursor } } }"""
CREATE = """mutation Create($input: TransactionInput!) { createTransaction(input: $input) {
  id occurredAt amount direction category merchant balanceAfter } }"""
DASHBOARD_BODY = json.dumps({"query": DASHBOARD}).encode()


# --- the servers -------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def memory_kib(pid: int, key: str) -> int:
    """The sum of /proc/<pid>/status `key` (VmHWM, VmRSS) over the process and its children."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError), open(f"/proc/{member}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
    return total


def _ticks(stat_path: str) -> int:
    with contextlib.suppress(OSError), open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    return 0


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and its children (their threads included)."""
    return sum(_ticks(f"/proc/{m}/stat") for m in process_tree(pid)) / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int, workers: int) -> Counter[str]:
    """CPU seconds of the app processes' event-loop threads, of their other threads (argon2
    hashes in a thread pool, with threads of its own per hash) and of every other process
    below (the forecast pool's workers)."""
    # With several workers, uvicorn's supervisor starts them and each starts its own pool.
    spawned = [c for c in _children(pid) if b"spawn_main" in _cmdline(c)]
    app = [pid] if workers == 1 else spawned
    split: Counter[str] = Counter()
    for member in process_tree(pid):
        total = _ticks(f"/proc/{member}/stat")  # finished threads included
        if member in app:
            loop = _ticks(f"/proc/{member}/task/{member}/stat")
            split["event loop"] += loop
            split["other threads"] += total - loop
        elif workers == 1 or member != pid:
            split["forecast pool"] += total
    return Counter({k: v / os.sysconf("SC_CLK_TCK") for k, v in split.items()})


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()
    return b""


class Server:
    """A server process on a free loopback port, its stderr kept in a log file."""

    def __init__(
        self, name: str, command: list[str], env: dict[str, str], logs: Path, workers: int = 1
    ) -> None:
        self.name = name
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = logs / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            [*command, "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,  # uvicorn's access log
            stderr=self._log,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            for _ in range(1200):
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /healthz in 120 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def problems(self) -> list[str]:
        """Log lines that are not uvicorn's INFO chatter."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if line.strip() and not line.startswith("INFO")]


def start_servers(url: str, workers: int, logs: Path) -> tuple[Server, Server]:
    env = {
        "DATABASE_URL": url,
        "APP_ENV": "production",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
    }
    workers_arg = ["--workers", str(workers)]
    graphql = Server(
        "graphql", [sys.executable, "-m", "gql_server", "serve", *workers_arg], env, logs, workers
    )
    raw = Server(
        "raw",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.raw_dashboard:create_app",
            "--factory",
            *workers_arg,
        ],
        env,
        logs,
        workers,
    )
    return graphql, raw


async def settle(servers: list[Server], limit_s: float = 180) -> None:
    """Wait until the servers are idle (fits queued by a mix may still be running)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(s.pid) for s in servers)
        await asyncio.sleep(1)
        if sum(cpu_seconds(s.pid) for s in servers) - before < 0.05:
            return


# --- seeding -----------------------------------------------------------------------------------


async def seed(url: str, users: int) -> list[str]:
    """Generated users with warm outlooks and seeded buffers; their emails, in id order."""
    settings = Settings(app_env="test", database_url=url)
    await db.open_database(url, 4)
    try:
        started = time.perf_counter()
        generated = await generate_users(settings, users, PASSWORD)
        written = time.perf_counter() - started
        pool = ForecastPool(lambda: local_executor("process", 2), max_in_flight=8, timeout_s=300)
        try:
            started = time.perf_counter()
            done = await OutlookService(pool).refresh_many(
                [u.id for u in generated], first=seed_buffer_from_history
            )
            warmed = time.perf_counter() - started
        finally:
            pool.shutdown()
        rows = await db.fetch_rows("SELECT COUNT(*) AS n FROM ledger_transaction")
        await db.execute("ANALYZE")
        emails = [u.email for u in await User.filter(id__in=[u.id for u in generated])]
    finally:
        await db.close_database()
    assert done == len(generated), "some outlooks were not computed"
    console.print(
        f"Seeded {len(generated):,} users, {rows[0]['n']:,} transactions in {written:.0f} s; "
        f"buffers and outlooks warmed in {warmed:.0f} s ({len(generated) / warmed:.1f} users/s)"
    )
    return sorted(emails)


# --- the load ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpStats:
    count: int
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class Phase:
    """What one phase measured: (seconds since start, call, ms, ok) per call."""

    name: str
    clients: int
    samples: list[tuple[float, str, float, bool]] = field(default_factory=list)
    messages: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    elapsed: float = 0.0
    server_cpu: float = 0.0
    driver_cpu: float = 0.0
    cpu_split: Counter[str] = field(default_factory=Counter)

    def cpu_ms_per_request(self) -> float:
        """The server's CPU time per completed call (PostgreSQL's own not included)."""
        return self.server_cpu * self.elapsed * 1000 / max(1, len(self.samples))

    def describe_cpu(self) -> str:
        shares = ", ".join(f"{k} {v / self.elapsed:.0%}" for k, v in self.cpu_split.most_common())
        return f"server CPU {self.server_cpu:.0%} ({shares}), driver CPU {self.driver_cpu:.0%}"

    def record(self, op: str, sent: float, answered: float, error: str | None) -> None:
        self.samples.append((answered - self.started, op, (answered - sent) * 1000, error is None))
        if error is not None:
            self.messages[f"{op}: {error}"] += 1

    def stats(self, samples: list[tuple[float, str, float, bool]], seconds: float) -> OpStats:
        ordered = sorted(s[2] for s in samples)
        errors = sum(1 for s in samples if not s[3])
        return OpStats(
            count=len(ordered),
            rate=len(ordered) / seconds if seconds else 0.0,
            p50=percentile(ordered, 0.50),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            errors=errors,
        )

    def by_op(self) -> dict[str, OpStats]:
        ops = sorted({s[1] for s in self.samples}, key=_op_order)
        result = {
            op: self.stats([s for s in self.samples if s[1] == op], self.elapsed) for op in ops
        }
        result["all"] = self.stats(self.samples, self.elapsed)
        return result


def _op_order(op: str) -> int:
    order = ["dashboard", AFTER_WRITE, "page", "create", "login"]
    return order.index(op) if op in order else len(order)


class Caller:
    """One phase's HTTP calls: timed, checked (status 200 and no "errors"), recorded."""

    def __init__(self, http: httpx.AsyncClient, phase: Phase) -> None:
        self.http = http
        self.phase = phase

    async def call(
        self, op: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> dict[str, Any] | None:
        sent = time.perf_counter()
        try:
            response = await send()
        except httpx.HTTPError as exc:
            self.phase.record(op, sent, time.perf_counter(), f"{type(exc).__name__} {exc}".strip())
            return None
        answered = time.perf_counter()
        error, data = _check(response)
        self.phase.record(op, sent, answered, error)
        return data

    async def graphql(
        self, op: str, body: bytes, token: str | None = None
    ) -> dict[str, Any] | None:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        return await self.call(
            op, lambda: self.http.post("/graphql", content=body, headers=headers)
        )

    async def raw(self, op: str, path: str, token: str, params: dict[str, str]) -> dict | None:
        headers = {"authorization": f"Bearer {token}"}
        return await self.call(op, lambda: self.http.get(path, params=params, headers=headers))


def _check(response: httpx.Response) -> tuple[str | None, dict[str, Any] | None]:
    if response.status_code != 200:
        return f"HTTP {response.status_code} {response.text[:200]}", None
    try:
        payload = response.json()
    except ValueError:
        return f"not JSON: {response.text[:200]}", None
    if payload.get("errors"):
        first = payload["errors"][0]
        code = (first.get("extensions") or {}).get("code", "")
        return f"{code} {first.get('message', '')}".strip(), None
    return None, payload.get("data")


def _body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


async def sign_in(http: httpx.AsyncClient, base_url: str, email: str) -> str:
    """An access token, outside any timed phase."""
    response = await http.post(f"{base_url}/graphql", json=_login_vars(email))
    error, data = _check(response)
    if error or data is None:
        raise RuntimeError(f"login of {email} failed: {error}")
    return data["login"]["accessToken"]


def _login_vars(email: str) -> dict[str, Any]:
    return {"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}


@dataclass
class Session:
    token: str
    cursor: str | None = None
    pages: int = 0
    wrote: bool = False

    def next_after(self, data: dict[str, Any] | None) -> None:
        info: dict[str, Any] = data["transactions"]["pageInfo"] if data else {"hasNextPage": False}
        self.pages += 1
        if info["hasNextPage"] and self.pages < PAGES_PER_RUN:
            self.cursor = info["endCursor"]
        else:
            self.cursor, self.pages = None, 0


async def _gql_page(caller: Caller, session: Session) -> None:
    body = _body(PAGE, {"after": session.cursor})
    session.next_after(await caller.graphql("page", body, session.token))


async def _raw_page(caller: Caller, session: Session) -> None:
    params = {"first": "50", **({"after": session.cursor} if session.cursor else {})}
    session.next_after(await caller.raw("page", "/transactions", session.token, params))


async def _gql_dashboard(caller: Caller, session: Session) -> None:
    await caller.graphql("dashboard", DASHBOARD_BODY, session.token)


async def _raw_dashboard(caller: Caller, session: Session) -> None:
    await caller.raw("dashboard", "/dashboard", session.token, {})


async def _mix_call(
    caller: Caller, session: Session, emails: list[str], rng: random.Random
) -> Session:
    op = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    if op == "dashboard":
        label = AFTER_WRITE if session.wrote else "dashboard"
        await caller.graphql(label, DASHBOARD_BODY, session.token)
        session.wrote = False
    elif op == "page":
        await _gql_page(caller, session)
    elif op == "create":
        data = await caller.graphql("create", _create_body(rng), session.token)
        session.wrote = session.wrote or data is not None
    else:
        body = json.dumps(_login_vars(rng.choice(emails))).encode()
        data = await caller.graphql("login", body)
        if data is not None:
            return Session(token=data["login"]["accessToken"])
    return session


def _create_body(rng: random.Random) -> bytes:
    return _body(
        CREATE,
        {
            "input": {
                "occurredAt": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "amount": f"{rng.randint(20, 2500)}.{rng.randint(0, 99):02d}",
                "direction": "EXPENSE",
                "merchant": rng.choice(MERCHANTS),
                "description": "api_load",
            }
        },
    )


Step = Callable[[Caller, Session, random.Random], Awaitable[Session | None]]


async def run_phase(
    name: str,
    base_url: str,
    login_url: str,
    emails: list[str],
    clients: int,
    duration: float,
    step: Step,
    server: Server,
    *,
    distinct: bool,
    think_s: float = 0.0,
) -> Phase:
    """`clients` virtual clients, each signed in (not timed) as a user of `emails` (the first
    `clients` of them when `distinct`, else at random), calling `step` until `duration` is up,
    pausing a random think time (exponential, mean `think_s`) after each answer."""
    phase = Phase(name, clients)
    rng = random.Random(f"{name}/{clients}")
    chosen = (
        [emails[i % len(emails)] for i in range(clients)]
        if distinct
        else [rng.choice(emails) for _ in range(clients)]
    )
    # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout: reusing one
    # the server is closing at that very moment would fail as a ReadError of the driver's own.
    limits = httpx.Limits(
        max_connections=clients + 4, max_keepalive_connections=clients + 4, keepalive_expiry=1
    )
    async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as login:
        gate = asyncio.Semaphore(4)  # argon2 takes 64 MiB per login: a gentle start

        async def one(email: str) -> str:
            async with gate:
                return await sign_in(login, login_url, email)

        tokens = await asyncio.gather(*(one(e) for e in chosen))
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S, limits=limits) as http:
        caller = Caller(http, phase)
        await http.get("/healthz")
        cpu_before, driver_before = cpu_seconds(server.pid), time.process_time()
        split_before = cpu_split(server.pid, server.workers)
        phase.started = time.perf_counter()
        deadline = phase.started + duration

        async def client(index: int) -> None:
            session = Session(token=tokens[index])
            client_rng = random.Random(f"{name}/{clients}/{index}")
            while time.perf_counter() < deadline:
                session = await step(caller, session, client_rng) or session
                if think_s > 0:
                    pause = client_rng.expovariate(1.0 / think_s)
                    await asyncio.sleep(min(pause, max(0.0, deadline - time.perf_counter())))

        await asyncio.gather(*(client(i) for i in range(clients)))
        phase.elapsed = time.perf_counter() - phase.started
        phase.server_cpu = (cpu_seconds(server.pid) - cpu_before) / phase.elapsed
        phase.driver_cpu = (time.process_time() - driver_before) / phase.elapsed
        phase.cpu_split = cpu_split(server.pid, server.workers)
        phase.cpu_split.subtract(split_before)
    return phase


@dataclass
class Level:
    clients: int
    reads: dict[tuple[str, str], Phase]  # (read, "GraphQL" | "raw")
    mix: Phase
    graphql_hwm_kib: int
    raw_hwm_kib: int


def _steps(emails: list[str]) -> dict[str, Step]:
    async def mix(caller: Caller, session: Session, rng: random.Random) -> Session:
        return await _mix_call(caller, session, emails, rng)

    def plain(call: Callable[[Caller, Session], Awaitable[None]]) -> Step:
        async def step(caller: Caller, session: Session, rng: random.Random) -> None:
            await call(caller, session)

        return step

    return {
        "mix": mix,
        "graphql dashboard": plain(_gql_dashboard),
        "raw dashboard": plain(_raw_dashboard),
        "graphql page": plain(_gql_page),
        "raw page": plain(_raw_page),
    }


async def run_level(
    graphql: Server,
    raw: Server,
    readers: list[str],
    mixers: list[str],
    clients: int,
    duration: float,
    think_s: float = 0.0,
) -> Level:
    steps = _steps(mixers)
    reads: dict[tuple[str, str], Phase] = {}
    for read in ("dashboard", "page"):
        for path, server in (("GraphQL", graphql), ("raw", raw)):
            await settle([graphql, raw])
            console.print(f"  {clients} clients: {read} through {path}...")
            reads[(read, path)] = await run_phase(
                f"{path} {read}",
                server.url,
                graphql.url,
                readers,
                clients,
                duration,
                steps[f"{path.lower()} {read}"],
                server,
                distinct=True,
            )
    await settle([graphql, raw])
    console.print(f"  {clients} clients: the mix through GraphQL...")
    mix = await run_phase(
        "mix",
        graphql.url,
        graphql.url,
        mixers,
        clients,
        duration,
        steps["mix"],
        graphql,
        distinct=False,
        think_s=think_s,
    )
    return Level(
        clients,
        reads,
        mix,
        memory_kib(graphql.pid, "VmHWM"),
        memory_kib(raw.pid, "VmHWM"),
    )


async def check_same_answers(graphql: Server, raw: Server, email: str) -> None:
    """Refuse to compare unless the raw app answers what GraphQL answers, field for field."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        token = await sign_in(http, graphql.url, email)
        headers = {"authorization": f"Bearer {token}"}
        dashboard = (
            await http.post(f"{graphql.url}/graphql", json={"query": DASHBOARD}, headers=headers)
        ).json()
        cursor = dashboard["data"]["transactions"]["pageInfo"]["endCursor"]
        page = (
            await http.post(
                f"{graphql.url}/graphql",
                json={"query": PAGE, "variables": {"after": cursor}},
                headers=headers,
            )
        ).json()
        raw_dashboard = (await http.get(f"{raw.url}/dashboard", headers=headers)).json()
        raw_page = (
            await http.get(f"{raw.url}/transactions", params={"after": cursor}, headers=headers)
        ).json()
    if dashboard != raw_dashboard or page != raw_page:
        raise RuntimeError("the raw app's answers differ from GraphQL's: fix bench/raw_dashboard")
    console.print("The raw app's dashboard and 50-row page equal GraphQL's, field for field.")


def uvicorn_stack() -> str:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop} + {parser}"


# --- the soak ----------------------------------------------------------------------------------

# (the minute's label, its figures, the VmRSS sum at its end and its highest, KiB)
Minute = tuple[str, OpStats, int, int]


async def soak(
    graphql: Server, mixers: list[str], seconds: float, think_s: float = 0.0
) -> tuple[Phase, list[Minute]]:
    """The mix at 32 clients for `seconds`, with the server's VmRSS sum every 5 s."""
    memory: list[tuple[float, int]] = []
    stop = asyncio.Event()
    started = time.perf_counter()

    async def sample() -> None:
        minute = 0
        while not stop.is_set():
            memory.append((time.perf_counter() - started, memory_kib(graphql.pid, "VmRSS")))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)
            if memory[-1][0] >= (minute + 1) * 60:
                minute += 1
                console.print(f"  soak: minute {minute}, VmRSS {memory[-1][1] / 1024:,.0f} MiB")

    sampler = asyncio.create_task(sample())
    phase = await run_phase(
        "soak",
        graphql.url,
        graphql.url,
        mixers,
        SOAK_CLIENTS,
        seconds,
        _steps(mixers)["mix"],
        graphql,
        distinct=False,
        think_s=think_s,
    )
    stop.set()
    await sampler
    offset = phase.started - started  # the sampler started before the sign-ins
    minutes: list[Minute] = []
    for minute in range(int(-(-phase.elapsed // 60))):
        lo, hi = minute * 60, min((minute + 1) * 60, phase.elapsed)
        window = [s for s in phase.samples if lo <= s[0] < hi]
        rss = [kib for t, kib in memory if lo <= t - offset < hi] or [memory[-1][1]]
        label = str(minute + 1) if hi - lo >= 59 else f"{minute + 1} (last {hi - lo:.0f} s)"
        minutes.append((label, phase.stats(window, hi - lo), rss[-1], max(rss)))
    return phase, minutes


# --- the report --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def print_level(level: Level, duration: float) -> None:
    mix = Table(title=f"The mix through GraphQL, {level.clients} clients for {duration:.0f} s")
    for column in ("call", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"):
        mix.add_column(column, justify="left" if column == "call" else "right")
    for op, s in level.mix.by_op().items():
        mix.add_row(
            op, f"{s.count:,}", f"{s.rate:,.1f}", _ms(s.p50), _ms(s.p95), _ms(s.p99), str(s.errors)
        )
    console.print(mix)
    console.print(level.mix.describe_cpu())
    reads = Table(
        title=f"Reads alone, {level.clients} clients for {duration:.0f} s each: GraphQL beside "
        "raw Starlette + asyncpg"
    )
    columns = ("read", "path", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "server CPU")
    for column in (*columns, "CPU ms/req", "driver CPU", "GraphQL/raw req/s", "by CPU"):
        reads.add_column(column, justify="left" if column in ("read", "path") else "right")
    for read in ("dashboard", "page"):
        label = "dashboard" if read == "dashboard" else "50-row page"
        g = level.reads[(read, "GraphQL")]
        r = level.reads[(read, "raw")]
        ratio, by_cpu = ratios(g, r)
        for path, phase in (("GraphQL", g), ("raw", r)):
            s = phase.by_op()["all"]
            reads.add_row(
                label,
                path,
                f"{s.rate:,.1f}",
                _ms(s.p50),
                _ms(s.p95),
                _ms(s.p99),
                str(s.errors),
                f"{phase.server_cpu:.0%}",
                f"{phase.cpu_ms_per_request():.2f}",
                f"{phase.driver_cpu:.0%}",
                f"{ratio:.2f}x" if path == "GraphQL" else "",
                f"{by_cpu:.2f}x" if path == "GraphQL" else "",
            )
    console.print(reads)
    console.print(
        f"Peak memory so far (VmHWM sum over the process tree): GraphQL server "
        f"{level.graphql_hwm_kib / 1024:,.0f} MiB, raw server {level.raw_hwm_kib / 1024:,.0f} MiB"
    )
    print_errors([level.mix, *level.reads.values()])


def ratios(graphql: Phase, raw: Phase) -> tuple[float, float]:
    """GraphQL over raw: requests/s as measured, and as the servers' CPU time per request
    predicts when each has the CPU to itself (the raw phases can be held back by the driver)."""
    measured = graphql.by_op()["all"].rate / max(raw.by_op()["all"].rate, 1e-9)
    by_cpu = raw.cpu_ms_per_request() / max(graphql.cpu_ms_per_request(), 1e-9)
    return measured, by_cpu


def print_errors(phases: list[Phase]) -> None:
    messages: Counter[str] = Counter()
    for phase in phases:
        for message, count in phase.messages.items():
            messages[f"[{phase.name}, {phase.clients} clients] {message}"] += count
    for message, count in messages.most_common(5):
        console.print(f"  error x{count}: {message}", style="red", markup=False)


def print_targets(levels: list[Level]) -> None:
    table = Table(title="Issue targets")
    for column in ("target", "measured", "met"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for level in levels:
        ratio, by_cpu = ratios(level.reads[("page", "GraphQL")], level.reads[("page", "raw")])
        table.add_row(
            f"50-row page >= 0.3x raw req/s ({level.clients} clients)",
            f"{ratio:.2f}x",
            "yes" if ratio >= 0.3 else "NO",
        )
        table.add_row(
            "  the same by server CPU per request",
            f"{by_cpu:.2f}x",
            "yes" if by_cpu >= 0.3 else "NO",
        )
    for level in levels:
        if level.clients != 32:
            continue
        mix = level.mix.by_op()
        p99 = mix["dashboard"].p99 if "dashboard" in mix else float("nan")
        table.add_row(
            "dashboard p99 < 150 ms, in the mix (32 clients)",
            f"{_ms(p99)} ms",
            "yes" if p99 < 150 else "NO",
        )
        if AFTER_WRITE in mix:
            after = mix[AFTER_WRITE].p99
            table.add_row(
                f"  {AFTER_WRITE} (refit), p99", f"{_ms(after)} ms", "yes" if after < 150 else "NO"
            )
        alone = level.reads[("dashboard", "GraphQL")].by_op()["all"].p99
        table.add_row(
            "  the dashboard alone, p99", f"{_ms(alone)} ms", "yes" if alone < 150 else "NO"
        )
    errors = sum(
        p.by_op()["all"].errors for level in levels for p in (level.mix, *level.reads.values())
    )
    table.add_row("no errors", str(errors), "yes" if errors == 0 else "NO")
    console.print(table)


def print_soak(phase: Phase, minutes: list[Minute], hwm_kib: int) -> None:
    table = Table(title=f"Soak: the mix at {SOAK_CLIENTS} clients for {phase.elapsed:.0f} s")
    for column in ("minute", "req/s", "p99 ms", "errors", "VmRSS MiB (end)", "VmRSS MiB (max)"):
        table.add_column(column, justify="right")
    for minute, stats, rss, highest in minutes:
        table.add_row(
            minute,
            f"{stats.rate:,.1f}",
            _ms(stats.p99),
            str(stats.errors),
            f"{rss / 1024:,.0f}",
            f"{highest / 1024:,.0f}",
        )
    console.print(table)
    console.print(phase.describe_cpu())
    for op, s in phase.by_op().items():
        console.print(
            f"  {op}: {s.count:,} calls, {s.rate:,.1f}/s, p50 {_ms(s.p50)} ms, "
            f"p99 {_ms(s.p99)} ms, {s.errors} errors"
        )
    console.print(f"Peak memory (VmHWM sum): GraphQL server {hwm_kib / 1024:,.0f} MiB")
    print_errors([phase])


def print_logs(servers: list[Server]) -> None:
    for server in servers:
        problems = server.problems()
        if not problems:
            console.print(f"{server.name} server log: no warnings or errors")
            continue
        console.print(f"{server.name} server log: {len(problems)} lines other than INFO, first 30:")
        for line in problems[:30]:
            console.print(f"  {line}", markup=False, highlight=False)


# --- main --------------------------------------------------------------------------------------


def split_users(emails: list[str], largest: int) -> tuple[list[str], list[str]]:
    """Readers (never written to, for the read-only phases) and the mix's users."""
    count = max(1, min(largest, len(emails) // 4))
    return emails[:count], emails[count:] or emails


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        emails = await seed(url, args.users)
        readers, mixers = split_users(emails, max(args.clients))
        with tempfile.TemporaryDirectory(prefix="api_load_") as logs:
            graphql, raw = start_servers(url, args.workers, Path(logs))
            try:
                await asyncio.gather(graphql.wait_ready(), raw.wait_ready())
                console.print(
                    f"Servers up with {args.workers} worker(s) each, uvicorn's event loop and "
                    f"HTTP parser: {uvicorn_stack()}; {len(readers)} readers, {len(mixers)} "
                    "users in the mix"
                )
                await check_same_answers(graphql, raw, readers[0])
                levels = []
                if args.duration > 0:
                    for clients in args.clients:
                        levels.append(
                            await run_level(
                                graphql,
                                raw,
                                readers,
                                mixers,
                                clients,
                                args.duration,
                                args.think_ms / 1000,
                            )
                        )
                        print_level(levels[-1], args.duration)
                    print_targets(levels)
                if args.soak > 0:
                    await settle([graphql, raw])
                    phase, minutes = await soak(graphql, mixers, args.soak, args.think_ms / 1000)
                    print_soak(phase, minutes, memory_kib(graphql.pid, "VmHWM"))
            finally:
                graphql.stop()
                raw.stop()
            print_logs([graphql, raw])


def _clients(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return values


def run() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--clients", type=_clients, default=[32, 128])
    parser.add_argument("--duration", type=float, default=30, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--soak", type=float, default=0, help="seconds of the mix at 32 clients")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="mean pause of a client between calls in the mix and the soak (0: none, the load "
        "at saturation; 1000 is closer to people clicking)",
    )
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(args))
    else:
        uvloop.run(main(args))


if __name__ == "__main__":
    run()
