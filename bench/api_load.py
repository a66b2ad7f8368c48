"""The API under load, driven by wrk (a C load generator): a real `gql-server serve` process
beside a plain Starlette + raw asyncpg app serving the same reads (bench/raw_dashboard.py).

    .venv/bin/python -m bench.api_load [--users 1000] [--clients 32,128] [--duration 30]
                                       [--workers 1] [--pool-size N] [--soak 0] [--think-ms 0]
                                       [--paced 0.6] [--profile] [--reads-only]

Needs wrk (Debian: apt-get install -y wrk); the bench says so and stops when it is missing. A
Python driver saturates a core before the server does and flatters the GraphQL/raw ratio;
wrk's CPU per request is small, and the bench reports it, since it shares the cores too.

Setup (not timed): a scratch PostgreSQL database gets --users generated users (720 days, seed
42, one shared password; 1,000 users are about 1.5M transactions), then every user's buffer and
outlook (features, forecasts, risks, insights) is computed as the generation job does it
(`OutlookService.refresh_many` over a pool of 2 processes), so the load measures serving, not
first-time fitting (forecast leases its fits left behind are deleted). Two servers start as
their own processes on loopback, both with --workers: `python -m gql_server serve`
(APP_ENV=production, a random 64-character JWT_SECRET, the default DB_POOL_SIZE of 10,
FORECAST_POOL_SIZE=--pool-size per worker when given, else the server's default of 2;
LOGIN_ATTEMPTS_PER_ADDRESS is raised because every connection comes from 127.0.0.1) and
uvicorn serving bench/raw_dashboard.py with the same secret and pool size. The issue's
configuration is `--workers 2 --pool-size 1`. Before the first phase the bench checks that the
raw app's dashboard and 50-row page equal GraphQL's, field for field.

The users are split: a quarter (at most the largest --clients) only ever read, and serve the
read-only phases; the rest are the mix's. Before a phase, this process signs the phase's users
in through the GraphQL server's `login` (not timed; a token is reused for up to 5 minutes, well
within its 15-minute life) and writes their tokens and prepared requests to a file that the
phase's Lua script reads (bench/wrk/); then it waits until the servers are idle (below 5 % CPU
for a second: refits left over from a mix and the sign-ins' argon2 must not slow the phase).
Each level of --clients (wrk connections) runs, --duration seconds each:

1. dashboard, GraphQL then raw (`wrk -t 2 -c N`, bench/wrk/read.lua): the dashboard query (me,
   forecasts, buffer, smoothingPlan with its 24-month history, insights(first: 5),
   transactions(first: 20)) as a GraphQL POST, against the raw app's GET /dashboard. Each wrk
   thread gets the tokens of its share of the readers (setup(thread)) and request() rotates
   through them;
2. 50-row page, GraphQL then raw (the same script): `transactions(first: 50, after: $cursor)`
   against GET /transactions. Following endCursor in Lua would need a JSON parser in the
   driver's loop, so each reader alternates two fixed pages: page 1 (no cursor) and page 3
   (the cursor is page 2's endCursor, computed at sign-in);
3. the mix, GraphQL only (bench/wrk/mix.lua, `wrk -t N -c N`): every connection is one user of
   the mix (drawn at random) and picks each call with math.random: the dashboard 35 %, the
   50-row page 40 % (page 1 and page 3 in turn), createTransaction (an expense dated now)
   15 %, login as a random user of the mix 10 % (the connection keeps its own token);
4. read after a write, inside the mix: after each createTransaction answered without errors,
   the connection's next call is the same user's dashboard, counted apart as "dashboard after
   a write" (these make up 15 of the dashboard's 35 points). The write changed the ledger, so
   the server asks for a refit and answers with the fresh outlook if it is ready within its
   read budget (OUTLOOK_READ_BUDGET_MS, 25 ms), else with the previous one marked
   `stale: true` (services/outlook/service.py, `serve`); the mix's dashboard selects `stale`
   on the forecasts, and the table counts the dashboards answered stale;
5. paced, at the first level only (--paced FRACTION, 0.6 unless told, 0 skips): the
   dashboard through GraphQL and raw, then the mix, again, each connection pausing between
   an answer and its next call (wrk's delay(), exponential) with the mean that makes the
   offered load FRACTION of the rate GraphQL reached at saturation in steps 1 and 3
   (connections / (FRACTION x req/s)); raw gets the same pauses, so the same load. In steps
   1-4 every connection calls again at once, so the server is always saturated and latency
   is mostly queueing (about connections / req/s, Little's law): the p99 there says how long
   the queue is, not how long a person waits. The paced phases measure latency under a load
   the server can carry, as a server is run.

Latency per kind in the mix: plain wrk times requests only into one histogram, and with
several connections per thread its Lua cannot tell which request a response answers (the
server makes up its own request ids). So the mix runs one connection per wrk thread, where
request() and response() alternate strictly, and times each call in Lua with the monotonic
clock (clock_gettime through LuaJIT's ffi), from building the request to parsing its answer.
wrk's own histogram gives the mix's overall p50/p90/p99 beside it. N threads mostly asleep in
epoll cost little more than 2 (wrk's CPU is printed); --think-ms MS gives the mix's
connections a pause between an answer and the next call (wrk's delay(), exponential, mean MS,
capped at 4x the mean and at 4 s: uvicorn closes a connection idle for 5 s).

Figures, per phase: requests/s (wrk's completed responses over its run time; calls in flight
at the end are dropped), p50/p90/p99 in ms from wrk's latency histogram (from writing the
request to reading the whole answer; the mix's kinds add p95, timed in Lua), and "errors" as
three counts: non-2xx (statuses outside 200-299), error bodies (bodies with an "errors" key,
GraphQL's and the raw app's, counted in response(); the first distinct messages are printed)
and socket errors (wrk's connect, read, write and timeout counts, per run, not per kind; the
timeout is 60 s). Every connection calls again as soon as it has its answer, so latency is
mostly queueing: about connections / requests/s.

"server CPU" is the CPU time of the server's process tree over the phase's wall time (200 % is
both cores; PostgreSQL's own processes are not included), split for the mix into the event-loop
thread(s), the other threads (argon2 password checks run in a thread pool) and the forecast
pool's processes (refits). "CPU ms/req" is the server's CPU time per completed call. "wrk CPU"
is wrk's user and system time (the kernel's rusage of the process, read when it exits) over the
same wall time. Two ratios, GraphQL over raw: by req/s as measured, and "by CPU", raw's CPU
ms/req over GraphQL's, the throughput ratio to expect when each server has the cores to
itself (both share the 2 cores with wrk and PostgreSQL, and raw needs a fraction of GraphQL's
CPU per call).

Memory: the sum of VmHWM (each process's peak resident set since it started) over the server
process and its children (uvicorn workers, forecast pool workers), read from /proc after each
level, so it is the peak so far. Then the issue's targets: the 50-row page at 0.3x raw or better
(by req/s and by CPU), the dashboard's p99 under 150 ms at 32 connections (alone and in the
mix, saturated and paced), a read after a write within 100 ms at p95 (saturated and paced),
and no errors anywhere.

--soak SECONDS then runs the mix at 32 connections for that long, as one wrk run a minute
(signing in between runs when a token is due), and prints per minute requests/s, p99, the read
after a write's p95, errors and the server's resident memory (the VmRSS sum, sampled every
5 s: the last sample and the minute's highest), so a person can see whether memory stays flat.
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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.table import Table

from bench.common import free_port, generate_users, scratch_database
from bench.profile_components import read_profile
from gql_server import db
from gql_server.models import User
from gql_server.services.forecast_pool import ForecastPool, local_executor
from gql_server.services.outlook import OutlookService
from gql_server.services.smoothing import seed_buffer_from_history
from gql_server.settings import Settings

PASSWORD = "Bench-api-load-users-2026"  # noqa: S105 - throwaway generated users
WRK_DIR = Path(__file__).parent / "wrk"
WRK_TIMEOUT = "60s"
SOAK_CONNECTIONS = 32
TOKEN_REUSE_S = 300  # access tokens live 15 minutes
PAGE_SIZE = 50
DEEP_PAGE = 3  # the page each reader alternates with page 1
AFTER_WRITE = "dashboard after a write"
KINDS = ("dashboard", AFTER_WRITE, "page", "create", "login")
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
# The mix's dashboard also asks whether the forecasts were served stale (the raw app has no
# such field, so the read-only phases keep the query both servers answer alike).
MIX_DASHBOARD = DASHBOARD.replace(
    "intervalCoverage generatedAt }", "intervalCoverage generatedAt stale }"
)
PAGE = """query Page($after: String) { transactions(first: 50, after: $after) {
  edges { cursor node { id occurredAt amount direction category merchant description
  balanceAfter } } pageInfo { hasNextPage endCursor } } }"""
CREATE = """mutation Create($input: TransactionInput!) { createTransaction(input: $input) {
  id occurredAt amount direction category merchant balanceAfter } }"""
# bench/wrk/mix.lua fills in @AT@, @AMOUNT@ and @MERCHANT@ for each call.
CREATE_TEMPLATE = {
    "query": CREATE,
    "variables": {
        "input": {
            "occurredAt": "@AT@",
            "amount": "@AMOUNT@",
            "direction": "EXPENSE",
            "merchant": "@MERCHANT@",
            "description": "api_load",
        }
    },
}
assert MIX_DASHBOARD != DASHBOARD


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit(
            "bench.api_load needs wrk, a C load generator (a Python driver saturates a core "
            "before the server does). Debian/Ubuntu: apt-get install -y wrk"
        )
    return found


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


def start_servers(url: str, workers: int, pool_size: int, logs: Path) -> tuple[Server, Server]:
    env = {
        "DATABASE_URL": url,
        "APP_ENV": "production",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
    }
    graphql_env = {**env, "FORECAST_POOL_SIZE": str(pool_size)} if pool_size else env
    workers_arg = ["--workers", str(workers)]
    graphql = Server(
        "graphql",
        [sys.executable, "-m", "gql_server", "serve", *workers_arg],
        graphql_env,
        logs,
        workers,
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
            service = OutlookService(pool)
            done = await service.refresh_many(
                [u.id for u in generated], first=seed_buffer_from_history
            )
            warmed = time.perf_counter() - started
            await service.leases.drain()  # the fits' give-backs, before the database closes
        finally:
            pool.shutdown()
        # Leases the warm-up's fits failed to give back would hold those users' refits in the
        # servers until they expire (minutes): none of the warm-up's fits is running now.
        await db.execute("DELETE FROM forecast_lease")
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


# --- signing in (not timed) --------------------------------------------------------------------


def graphql_data(response: httpx.Response) -> dict[str, Any]:
    """The answer's data; an error when the status is not 200 or the body has errors."""
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} {response.text[:300]}")
    payload = response.json()
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {json.dumps(payload['errors'])[:300]}")
    data: dict[str, Any] = payload["data"]
    return data


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}})


async def sign_in(http: httpx.AsyncClient, base_url: str, email: str) -> str:
    """An access token, outside any timed phase."""
    answer = await http.post(
        f"{base_url}/graphql",
        content=body(LOGIN, {"e": email, "p": PASSWORD}),
        headers={"content-type": "application/json"},
    )
    try:
        token: str = graphql_data(answer)["login"]["accessToken"]
    except RuntimeError as exc:
        raise RuntimeError(f"login of {email} failed: {exc}") from None
    return token


async def deep_cursor(http: httpx.AsyncClient, base_url: str, token: str) -> str | None:
    """The `after` of page DEEP_PAGE (page DEEP_PAGE - 1's endCursor); the last page's cursor
    when the ledger is shorter, None when it has a single page."""
    cursor: str | None = None
    for _ in range(DEEP_PAGE - 1):
        answer = await http.post(
            f"{base_url}/graphql",
            content=body(PAGE, {"after": cursor}),
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
        info = graphql_data(answer)["transactions"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        cursor = info["endCursor"]
    return cursor


@dataclass(frozen=True)
class Account:
    token: str
    deep_cursor: str | None


class Accounts:
    """Access tokens and deep-page cursors, got from the GraphQL server between phases; a token
    is reused for TOKEN_REUSE_S, a cursor for the run (readers never write, and a mix user's
    new transactions are dated now: they land before page 3's cursor, not after it)."""

    def __init__(self, graphql_url: str) -> None:
        self.url = graphql_url
        self._tokens: dict[str, tuple[str, float]] = {}
        self._cursors: dict[str, str | None] = {}

    async def prepare(self, emails: Iterable[str]) -> dict[str, Account]:
        wanted = list(dict.fromkeys(emails))
        gate = asyncio.Semaphore(4)  # argon2 takes 64 MiB per login: a gentle pace
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:

            async def one(email: str) -> tuple[str, Account]:
                async with gate:
                    token, signed = self._tokens.get(email, ("", 0.0))
                    if time.monotonic() - signed > TOKEN_REUSE_S:
                        token = await sign_in(http, self.url, email)
                        self._tokens[email] = (token, time.monotonic())
                    if email not in self._cursors:
                        self._cursors[email] = await deep_cursor(http, self.url, token)
                    return email, Account(token, self._cursors[email])

            return dict(await asyncio.gather(*(one(email) for email in wanted)))


# --- what wrk reads ----------------------------------------------------------------------------

Row = list[str]


def read_rows(read: str, path: str, accounts: list[Account]) -> list[Row]:
    """bench/wrk/read.lua's requests: ("R", user number, method, path, token, body)."""
    rows: list[Row] = []
    for number, account in enumerate(accounts, 1):
        user = str(number)
        if read == "dashboard":
            if path == "raw":
                rows.append(["R", user, "GET", "/dashboard", account.token, ""])
            else:
                rows.append(["R", user, "POST", "/graphql", account.token, body(DASHBOARD)])
            continue
        for after in (None, account.deep_cursor):
            if path == "raw":
                query = f"/transactions?first={PAGE_SIZE}"
                if after:
                    query += f"&after={quote(after, safe='')}"
                rows.append(["R", user, "GET", query, account.token, ""])
            else:
                rows.append(["R", user, "POST", "/graphql", account.token, page_body(after)])
    return rows


def page_body(after: str | None) -> str:
    return body(PAGE, {"after": after})


def mix_rows(connections: list[Account], logins: list[str]) -> list[Row]:
    """bench/wrk/mix.lua's data: a user per connection ("U", token, page 1, deep page), a login
    body per user of the mix ("E") and the dashboard and createTransaction bodies ("Q")."""
    rows: list[Row] = [
        ["U", a.token, page_body(None), page_body(a.deep_cursor)] for a in connections
    ]
    rows += [["E", body(LOGIN, {"e": email, "p": PASSWORD})] for email in logins]
    rows.append(["Q", "dashboard", body(MIX_DASHBOARD)])
    rows.append(["Q", "create", json.dumps(CREATE_TEMPLATE)])
    return rows


# --- a wrk run ---------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class Kind:
    """One kind of call as the Lua scripts counted it; `ms` only from bench/wrk/mix.lua."""

    requests: int = 0
    non_2xx: int = 0
    errors: int = 0
    stale: int = 0
    ms: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        return percentile(sorted(self.ms), q)


@dataclass
class WrkRun:
    """What one wrk process measured, and the server's and wrk's CPU over it."""

    name: str
    connections: int
    threads: int
    elapsed: float = 0.0  # wall seconds around the wrk process
    duration: float = 0.0  # wrk's own run time
    requests: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)  # p50, p90, p99, max
    socket_errors: Counter[str] = field(default_factory=Counter)
    kinds: dict[str, Kind] = field(default_factory=dict)
    messages: Counter[str] = field(default_factory=Counter)
    server_cpu_s: float = 0.0
    wrk_cpu_s: float = 0.0
    cpu_split: Counter[str] = field(default_factory=Counter)
    # py-spy's samples per component over the run (--profile; empty otherwise)
    profile: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.requests / self.duration if self.duration else 0.0

    @property
    def server_cpu(self) -> float:
        return self.server_cpu_s / self.elapsed if self.elapsed else 0.0

    @property
    def wrk_cpu(self) -> float:
        return self.wrk_cpu_s / self.elapsed if self.elapsed else 0.0

    def cpu_ms_per_request(self) -> float:
        """The server's CPU time per completed call (PostgreSQL's own not included)."""
        return self.server_cpu_s * 1000 / max(1, self.requests)

    def failures(self) -> tuple[int, int, int]:
        """(non-2xx, error bodies, socket errors)"""
        non_2xx = sum(k.non_2xx for k in self.kinds.values())
        errors = sum(k.errors for k in self.kinds.values())
        sockets = sum(self.socket_errors[k] for k in ("connect", "read", "write", "timeout"))
        return non_2xx, errors, sockets

    def describe_cpu(self) -> str:
        shares = ", ".join(f"{k} {v / self.elapsed:.0%}" for k, v in self.cpu_split.most_common())
        return (
            f"server CPU {self.server_cpu:.0%} ({shares}), {self.cpu_ms_per_request():.2f} ms "
            f"per call; wrk CPU {self.wrk_cpu:.0%} ({self.threads} threads)"
        )

    def read_report(self, text: str) -> None:
        """What bench/wrk/common.lua's report() wrote."""
        for line in text.splitlines():
            record, *fields = line.split("\t")
            if record == "summary":
                self.duration = float(fields[0]) / 1e6
                self.requests = int(float(fields[1]))
                names = ("connect", "read", "write", "status", "timeout")
                self.socket_errors = Counter(
                    {n: int(float(v)) for n, v in zip(names, fields[2:], strict=True)}
                )
            elif record == "latency":
                values = (float(v) / 1000 for v in fields)
                self.latency_ms = dict(zip(("p50", "p90", "p99", "max"), values, strict=True))
            elif record == "count":
                name, what, n = fields
                kind = self.kinds.setdefault(name, Kind())
                setattr(kind, COUNTED[what], getattr(kind, COUNTED[what]) + int(float(n)))
            elif record == "message":
                self.messages[fields[1]] += int(fields[0])
            elif record == "ms":
                self.kinds.setdefault(fields[0], Kind()).ms.append(float(fields[1]))


# bench/wrk/common.lua's counters, by the Kind field they add to
COUNTED = {"requests": "requests", "non2xx": "non_2xx", "errors": "errors", "stale": "stale"}


def run_wrk(
    run: WrkRun,
    script: str,
    server: Server,
    duration: int,
    rows: list[Row],
    workdir: Path,
    think_ms: float = 0.0,
) -> WrkRun:
    """wrk against `server` with bench/wrk/`script` reading `rows`; blocks until it exits."""
    stem = workdir / f"run{len(list(workdir.glob('run*.tsv'))):03d}"
    data, out, log = stem.with_suffix(".tsv"), stem.with_suffix(".out"), stem.with_suffix(".log")
    data.write_text("".join("\t".join(row) + "\n" for row in rows))
    env = {
        **os.environ,
        "BENCH_DATA": str(data),
        "BENCH_OUT": str(out),
        "BENCH_THREADS": str(run.threads),
        "BENCH_THINK_MS": str(think_ms),
    }
    command = [
        wrk_binary(),
        *("-t", str(run.threads), "-c", str(run.connections), "-d", f"{duration}s"),
        *("--timeout", WRK_TIMEOUT, "-s", str(WRK_DIR / script), server.url),
    ]
    cpu_before, split_before = cpu_seconds(server.pid), cpu_split(server.pid, server.workers)
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own command
            command, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    run.elapsed = time.perf_counter() - started
    run.server_cpu_s = cpu_seconds(server.pid) - cpu_before
    run.cpu_split = cpu_split(server.pid, server.workers)
    run.cpu_split.subtract(split_before)
    run.wrk_cpu_s = usage.ru_utime + usage.ru_stime
    if process.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{log.read_text()[-3000:]}")
    run.read_report(out.read_text())
    return run


# py-spy's raw profiles stay here after the run, for a closer look (flamegraph.pl, speedscope).
PROFILE_DIR = Path(tempfile.gettempdir()) / "api_load_profiles"


def start_profile(
    server: Server, duration: int, output: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    """py-spy sampling the server (and its workers) for the phase, without pausing it."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [
        spy,
        "record",
        *("--pid", str(server.pid), "--subprocesses", "--nonblocking"),
        *("--rate", "200", "--duration", str(max(1, duration - 1))),
        *("--format", "raw", "--output", str(output)),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own command
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return process, output


def finish_profile(process: subprocess.Popen[bytes], output: Path) -> Counter[str]:
    process.wait(timeout=60)
    return read_profile(output)


def print_profiles(level: Level) -> None:
    """CPU ms per request by component: each component's share of py-spy's samples times the
    server's CPU per request in the same run."""
    runs = [level.reads[(read, "GraphQL")] for read in ("dashboard", "page")]
    if not any(run.profile for run in runs):
        return
    table = Table(
        title=f"Where the GraphQL server's CPU goes, {level.connections} connections "
        "(py-spy samples by component x the run's CPU ms per request)"
    )
    table.add_column("component")
    for run in runs:
        table.add_column(f"{run.name}: ms/req", justify="right")
        table.add_column("share", justify="right")
    totals = Counter[str]()
    for run in runs:
        totals.update(run.profile)
    for name, _ in totals.most_common(25):
        cells = []
        for run in runs:
            samples = sum(run.profile.values())
            share = run.profile[name] / samples if samples else 0.0
            cells += [f"{share * run.cpu_ms_per_request():.2f}", f"{share:.0%}"]
        table.add_row(name, *cells)
    table.add_row(
        "all (the run's server CPU per request)",
        *(cell for run in runs for cell in (f"{run.cpu_ms_per_request():.2f}", "100%")),
    )
    console.print(table)
    console.print(f"py-spy's raw profiles: {PROFILE_DIR}")


# --- the phases --------------------------------------------------------------------------------


@dataclass
class Level:
    connections: int
    reads: dict[tuple[str, str], WrkRun]  # (read, "GraphQL" | "raw")
    mix: WrkRun
    graphql_hwm_kib: int
    raw_hwm_kib: int
    # --paced: the same reads and mix at a fraction of the saturated rate ("dashboard GraphQL",
    # "dashboard raw", "mix"), at the first level only
    paced: dict[str, WrkRun] = field(default_factory=dict)
    paced_fraction: float = 0.0


@dataclass
class Bench:
    graphql: Server
    raw: Server
    accounts: Accounts
    readers: list[str]
    mixers: list[str]
    workdir: Path
    think_ms: float = 0.0
    profile: bool = False

    async def read(
        self, read: str, path: str, connections: int, duration: int, think_ms: float = 0.0
    ) -> WrkRun:
        chosen = [self.readers[i % len(self.readers)] for i in range(connections)]
        signed = await self.accounts.prepare(chosen)
        server = self.graphql if path == "GraphQL" else self.raw
        rows = read_rows(read, path, list(signed.values()))
        await settle([self.graphql, self.raw])
        paced = f", paced (think {think_ms:.0f} ms)" if think_ms else ""
        console.print(f"  {connections} connections: {read} through {path}{paced}...")
        name = f"{path} {read}{' paced' if think_ms else ''}"
        run = WrkRun(name, connections, min(2, connections))
        spy = None
        if self.profile and path == "GraphQL" and not think_ms:
            PROFILE_DIR.mkdir(exist_ok=True)
            spy = start_profile(server, duration, PROFILE_DIR / f"{read}-{connections}.txt")
        await asyncio.to_thread(
            run_wrk, run, "read.lua", server, duration, rows, self.workdir, think_ms
        )
        if spy is not None:
            run.profile = await asyncio.to_thread(finish_profile, *spy)
        return run

    async def mix(
        self, connections: int, duration: int, label: str = "mix", think_ms: float | None = None
    ) -> WrkRun:
        rng = random.Random(f"{label}/{connections}")
        chosen = [rng.choice(self.mixers) for _ in range(connections)]
        signed = await self.accounts.prepare(chosen)
        rows = mix_rows([signed[email] for email in chosen], self.mixers)
        await settle([self.graphql, self.raw])
        run = WrkRun(label, connections, connections)
        think = self.think_ms if think_ms is None else think_ms
        return await asyncio.to_thread(
            run_wrk, run, "mix.lua", self.graphql, duration, rows, self.workdir, think
        )

    async def paced(self, level: Level, fraction: float, duration: int) -> None:
        """The dashboard (GraphQL, then raw) and the mix again at `fraction` of the rate GraphQL
        reached at saturation in this level: each connection pauses, exponentially with mean
        connections / (fraction x that rate), between an answer and its next call. Raw gets
        the same pauses, so both see the same offered load. Latency here is the server's own
        plus the queueing of a load people make, not the queue of a saturated closed loop."""
        n = level.connections
        dashboard = level.reads[("dashboard", "GraphQL")].rate
        think = n / (fraction * dashboard) * 1000 if dashboard else 0.0
        for path in ("GraphQL", "raw"):
            run = await self.read("dashboard", path, n, duration, think)
            level.paced[f"dashboard {path}"] = run
        if level.mix.requests:
            mix_think = n / (fraction * level.mix.rate) * 1000
            console.print(f"  {n} connections: the mix, paced (think {mix_think:.0f} ms)...")
            level.paced["mix"] = await self.mix(n, duration, "mix paced", mix_think)
        level.paced_fraction = fraction

    async def level(self, connections: int, duration: int, with_mix: bool = True) -> Level:
        reads = {
            (read, path): await self.read(read, path, connections, duration)
            for read in ("dashboard", "page")
            for path in ("GraphQL", "raw")
        }
        mix = WrkRun("mix", connections, connections)
        if with_mix:
            console.print(f"  {connections} connections: the mix through GraphQL...")
            mix = await self.mix(connections, duration)
        return Level(
            connections,
            reads,
            mix,
            memory_kib(self.graphql.pid, "VmHWM"),
            memory_kib(self.raw.pid, "VmHWM"),
        )

    async def soak(self, seconds: int) -> list[Minute]:
        """The mix at SOAK_CONNECTIONS, one wrk run a minute, with the server's VmRSS sum
        every 5 s."""
        minutes: list[Minute] = []
        for minute in range(-(-seconds // 60)):
            length = min(60, seconds - minute * 60)
            samples: list[int] = []
            stop = asyncio.Event()

            async def sample(into: list[int] = samples, until: asyncio.Event = stop) -> None:
                while not until.is_set():
                    into.append(memory_kib(self.graphql.pid, "VmRSS"))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(until.wait(), 5)

            label = f"soak minute {minute + 1}"
            run_task = asyncio.create_task(self.mix(SOAK_CONNECTIONS, length, label))
            sampler = asyncio.create_task(sample())
            try:
                run = await run_task
            finally:
                stop.set()
                await sampler
            samples.append(memory_kib(self.graphql.pid, "VmRSS"))
            console.print(f"  soak: minute {minute + 1}, VmRSS {samples[-1] / 1024:,.0f} MiB")
            minutes.append((run, samples[-1], max(samples)))
        return minutes


# (the minute's run, the VmRSS sum at its end and its highest, KiB)
Minute = tuple[WrkRun, int, int]


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
    difference = first_difference(dashboard, raw_dashboard) or first_difference(page, raw_page)
    if difference:
        raise RuntimeError(
            f"the raw app's answers differ from GraphQL's ({difference}): fix bench/raw_dashboard"
        )
    console.print("The raw app's dashboard and 50-row page equal GraphQL's, field for field.")


def first_difference(graphql: object, raw: object, where: str = "") -> str | None:
    """Where two JSON answers first differ, with both values; None when they are equal."""
    if isinstance(graphql, dict) and isinstance(raw, dict):
        for key in sorted(set(graphql) | set(raw)):
            if key not in graphql or key not in raw:
                side, other = ("raw", raw) if key in graphql else ("GraphQL", graphql)
                return f"{where}.{key} missing from {side}'s {str(other)[:300]!r}"
            found = first_difference(graphql[key], raw[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(graphql, list) and isinstance(raw, list) and len(graphql) == len(raw):
        for index, (g, r) in enumerate(zip(graphql, raw, strict=True)):
            found = first_difference(g, r, f"{where}[{index}]")
            if found:
                return found
        return None
    if graphql != raw:
        return f"{where or 'the answer'}: GraphQL {str(graphql)[:120]!r}, raw {str(raw)[:120]!r}"
    return None


def uvicorn_stack() -> str:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop} + {parser}"


# --- the report --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def ratios(graphql: WrkRun, raw: WrkRun) -> tuple[float, float]:
    """GraphQL over raw: requests/s as measured, and as the servers' CPU time per request
    predicts when each has the cores to itself."""
    measured = graphql.rate / max(raw.rate, 1e-9)
    by_cpu = raw.cpu_ms_per_request() / max(graphql.cpu_ms_per_request(), 1e-9)
    return measured, by_cpu


def _errors(run: WrkRun) -> str:
    return "/".join(str(n) for n in run.failures())


ERRORS_CAPTION = 'errors: non-2xx / bodies with "errors" / socket errors (wrk\'s, per run)'


def print_reads(level: Level, duration: int) -> None:
    threads = level.reads[("dashboard", "GraphQL")].threads
    table = Table(
        title=f"Reads alone, wrk -t {threads} -c {level.connections} for {duration} s each: "
        "GraphQL beside raw Starlette + asyncpg",
        caption=ERRORS_CAPTION,
    )
    columns = ("read", "path", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "server CPU")
    for column in (*columns, "CPU ms/req", "wrk CPU", "GraphQL/raw req/s", "by CPU"):
        table.add_column(column, justify="left" if column in ("read", "path") else "right")
    for read, label in (("dashboard", "dashboard"), ("page", "50-row page")):
        g, r = level.reads[(read, "GraphQL")], level.reads[(read, "raw")]
        ratio, by_cpu = ratios(g, r)
        for path, run in (("GraphQL", g), ("raw", r)):
            table.add_row(
                label,
                path,
                f"{run.rate:,.1f}",
                *(_ms(run.latency_ms[p]) for p in ("p50", "p90", "p99")),
                _errors(run),
                f"{run.server_cpu:.0%}",
                f"{run.cpu_ms_per_request():.2f}",
                f"{run.wrk_cpu:.0%}",
                f"{ratio:.2f}x" if path == "GraphQL" else "",
                f"{by_cpu:.2f}x" if path == "GraphQL" else "",
            )
    console.print(table)


def print_mix(mix: WrkRun, duration: int) -> None:
    table = Table(
        title=f"The mix through GraphQL, wrk -t {mix.threads} -c {mix.connections} for "
        f"{duration} s (per kind: timed in Lua; all: wrk's histogram)",
        caption=ERRORS_CAPTION + "; stale: forecasts served marked stale",
    )
    columns = ("call", "requests", "req/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "errors")
    for column in (*columns, "stale"):
        table.add_column(column, justify="left" if column == "call" else "right")
    for name in sorted(mix.kinds, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS)):
        kind = mix.kinds[name]
        table.add_row(
            name,
            f"{kind.requests:,}",
            f"{kind.requests / mix.duration:,.1f}",
            *(_ms(kind.p(q)) for q in (0.50, 0.90, 0.95, 0.99)),
            f"{kind.non_2xx}/{kind.errors}",
            str(kind.stale) if name in ("dashboard", AFTER_WRITE) else "",
        )
    table.add_row(
        "all",
        f"{mix.requests:,}",
        f"{mix.rate:,.1f}",
        _ms(mix.latency_ms["p50"]),
        _ms(mix.latency_ms["p90"]),
        "",
        _ms(mix.latency_ms["p99"]),
        _errors(mix),
        "",
    )
    console.print(table)
    console.print(mix.describe_cpu())


def print_paced(level: Level, duration: int) -> None:
    g, r = level.paced["dashboard GraphQL"], level.paced["dashboard raw"]
    table = Table(
        title=f"The dashboard paced at {level.paced_fraction:.0%} of GraphQL's saturated rate, "
        f"{level.connections} connections for {duration} s each (each pauses between calls)",
        caption=ERRORS_CAPTION,
    )
    columns = ("path", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "server CPU")
    for column in (*columns, "CPU ms/req"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for path, run in (("GraphQL", g), ("raw", r)):
        table.add_row(
            path,
            f"{run.rate:,.1f}",
            *(_ms(run.latency_ms[p]) for p in ("p50", "p90", "p99", "max")),
            _errors(run),
            f"{run.server_cpu:.0%}",
            f"{run.cpu_ms_per_request():.2f}",
        )
    console.print(table)
    if "mix" in level.paced:
        print_mix(level.paced["mix"], duration)


def print_level(level: Level, duration: int) -> None:
    print_profiles(level)
    print_reads(level, duration)
    if level.mix.requests:
        print_mix(level.mix, duration)
    if level.paced:
        print_paced(level, duration)
    console.print(
        f"Peak memory so far (VmHWM sum over the process tree): GraphQL server "
        f"{level.graphql_hwm_kib / 1024:,.0f} MiB, raw server {level.raw_hwm_kib / 1024:,.0f} MiB"
    )
    print_errors([level.mix, *level.reads.values(), *level.paced.values()])


def print_errors(runs: list[WrkRun]) -> None:
    messages: Counter[str] = Counter()
    for run in runs:
        for message, count in run.messages.items():
            messages[f"[{run.name}, {run.connections} connections] {message}"] += count
        sockets = {k: v for k, v in run.socket_errors.items() if v and k != "status"}
        if sockets:
            messages[f"[{run.name}, {run.connections} connections] wrk: {sockets}"] += 1
    for message, count in messages.most_common(8):
        console.print(f"  error x{count}: {message}", style="red", markup=False)


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_targets(levels: list[Level]) -> None:
    table = Table(title="Issue targets")
    for column in ("target", "measured", "met"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for level in levels:
        n = level.connections
        ratio, by_cpu = ratios(level.reads[("page", "GraphQL")], level.reads[("page", "raw")])
        table.add_row(
            f"50-row page >= 0.3x raw req/s ({n} connections)", f"{ratio:.2f}x", _met(ratio >= 0.3)
        )
        table.add_row("  the same by server CPU per request", f"{by_cpu:.2f}x", _met(by_cpu >= 0.3))
    for level in levels:
        if level.connections == 32:
            alone = level.reads[("dashboard", "GraphQL")].latency_ms["p99"]
            table.add_row(
                "dashboard p99 < 150 ms (32 connections), alone",
                f"{_ms(alone)} ms",
                _met(alone < 150),
            )
            if "dashboard" in level.mix.kinds:
                in_mix = level.mix.kinds["dashboard"].p(0.99)
                table.add_row("  in the mix", f"{_ms(in_mix)} ms", _met(in_mix < 150))
        if level.paced:
            share = f"paced at {level.paced_fraction:.0%}"
            paced = level.paced["dashboard GraphQL"]
            p99 = paced.latency_ms["p99"]
            table.add_row(
                f"  {share} ({paced.rate:,.0f} req/s), alone", f"{_ms(p99)} ms", _met(p99 < 150)
            )
            if "mix" in level.paced and "dashboard" in level.paced["mix"].kinds:
                p99 = level.paced["mix"].kinds["dashboard"].p(0.99)
                table.add_row(f"  {share}, in the mix", f"{_ms(p99)} ms", _met(p99 < 150))
    for level in levels:
        for label, mix in (("", level.mix), (", paced", level.paced.get("mix"))):
            after = mix.kinds.get(AFTER_WRITE) if mix is not None else None
            if after is not None:
                p95 = after.p(0.95)
                table.add_row(
                    f"read after a write p95 < 100 ms ({level.connections} connections"
                    f"{label}, {after.stale} of {after.requests} stale)",
                    f"{_ms(p95)} ms",
                    _met(p95 < 100),
                )
    errors = sum(
        sum(run.failures())
        for level in levels
        for run in (level.mix, *level.reads.values(), *level.paced.values())
    )
    table.add_row(
        "no errors (non-2xx, error bodies, socket errors)", str(errors), _met(errors == 0)
    )
    console.print(table)


def print_soak(minutes: list[Minute], hwm_kib: int) -> None:
    table = Table(title=f"Soak: the mix at {SOAK_CONNECTIONS} connections, one wrk run a minute")
    columns = ("minute", "req/s", "p99 ms", "after a write p95 ms", "errors", "wrk CPU")
    for column in (*columns, "VmRSS MiB (end)", "VmRSS MiB (max)"):
        table.add_column(column, justify="right")
    for index, (run, rss, highest) in enumerate(minutes, 1):
        after = run.kinds.get(AFTER_WRITE, Kind())
        table.add_row(
            str(index) if run.duration >= 59 else f"{index} (last {run.duration:.0f} s)",
            f"{run.rate:,.1f}",
            _ms(run.latency_ms["p99"]),
            _ms(after.p(0.95)),
            str(sum(run.failures())),
            f"{run.wrk_cpu:.0%}",
            f"{rss / 1024:,.0f}",
            f"{highest / 1024:,.0f}",
        )
    console.print(table)
    console.print(f"Peak memory (VmHWM sum): GraphQL server {hwm_kib / 1024:,.0f} MiB")
    print_errors([run for run, _, _ in minutes])


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
    wrk_binary()
    async with scratch_database() as url:
        emails = await seed(url, args.users)
        readers, mixers = split_users(emails, max(args.clients))
        with tempfile.TemporaryDirectory(prefix="api_load_") as workdir:
            graphql, raw = start_servers(url, args.workers, args.pool_size, Path(workdir))
            try:
                await asyncio.gather(graphql.wait_ready(), raw.wait_ready())
                pool = args.pool_size if args.pool_size else "the default"
                console.print(
                    f"Servers up with {args.workers} worker(s) each (GraphQL: FORECAST_POOL_SIZE "
                    f"{pool} per worker), uvicorn's event loop and HTTP parser: "
                    f"{uvicorn_stack()}; {len(readers)} readers, {len(mixers)} users in the mix"
                )
                await check_same_answers(graphql, raw, readers[0])
                bench = Bench(
                    graphql,
                    raw,
                    Accounts(graphql.url),
                    readers,
                    mixers,
                    Path(workdir),
                    args.think_ms,
                    args.profile,
                )
                levels: list[Level] = []
                if args.duration > 0:
                    for connections in args.clients:
                        level = await bench.level(connections, args.duration, not args.reads_only)
                        if args.paced > 0 and not levels:
                            await bench.paced(level, args.paced, args.duration)
                        levels.append(level)
                        print_level(level, args.duration)
                    print_targets(levels)
                if args.soak > 0:
                    minutes = await bench.soak(args.soak)
                    print_soak(minutes, memory_kib(graphql.pid, "VmHWM"))
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
    parser.add_argument(
        "--clients", type=_clients, default=[32, 128], help="wrk connections, one level each"
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=0,
        help="FORECAST_POOL_SIZE per GraphQL worker (0: the server's default)",
    )
    parser.add_argument("--soak", type=int, default=0, help="seconds of the mix at 32 connections")
    parser.add_argument(
        "--reads-only", action="store_true", help="skip the mix (profiling the read path)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the GraphQL server with py-spy during its read phases and print CPU ms "
        "per request by component (pip install py-spy)",
    )
    parser.add_argument(
        "--paced",
        type=float,
        default=0.6,
        help="at the first --clients level, run the dashboard (GraphQL and raw) and the mix "
        "again at this fraction of GraphQL's saturated rate, each connection pausing between "
        "calls (0: skip)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="mean pause of a mix connection between an answer and its next call (0: none, the "
        "load at saturation; 1000 is closer to people clicking)",
    )
    args = parser.parse_args()
    if args.duration < 0 or args.soak < 0 or args.workers < 1 or args.pool_size < 0:
        parser.error("--duration and --soak must not be negative, --workers at least 1")
    if not 0 <= args.paced < 1:
        parser.error("--paced is a fraction below 1 (0: skip)")
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(args))
    else:
        uvloop.run(main(args))


if __name__ == "__main__":
    run()
