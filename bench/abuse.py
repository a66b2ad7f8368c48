"""One expensive user against everyone else: an ordinary user's dashboard p99, alone and while
another user sends the most expensive request the limits allow, back to back.

    .venv/bin/python -m bench.abuse [--duration 20] [--connections 8] [--attackers 4]
                                    [--ledger 100000]

Needs wrk (Debian: apt-get install wrk), a C load generator: a Python driver would saturate a
core before the server does.

Setup (not timed): a scratch PostgreSQL database; a `gql-server serve` process in production
mode with its defaults (FORECAST_POOL_SIZE 2 worker processes, FORECAST_JOBS_PER_USER 1,
MAX_REQUEST_COST 40, MAX_LEDGER_TRANSACTIONS 100,000); two users registered through the API:
"ordinary" with a generated 720-day history (about 1,500 transactions) and "expensive" with a
ledger at the cap (--ledger transactions over three years, stitched from generated histories).
Both outlooks are warmed first.

Phases, each --duration seconds:
1. baseline: wrk drives the ordinary user's dashboard (bench/api_load.py's DASHBOARD: me,
   forecasts, buffer, smoothingPlan with its history, insights, transactions) with
   --connections keep-alive connections, nobody else calling;
2. under attack: the same, while --attackers clients of the expensive user each send, back to
   back, the costliest request the budget admits: three what-if forecasts of 60 days under
   three scenarios (forecast, forecast, balanceForecast) plus the outlook's forecasts and
   insights, cost 35 of 40. One more what-if would be refused before running (cost 45).

Figures: dashboard requests/s, p50 and p99 (wrk's own latency histogram), GraphQL errors (any
non-200 or a body with "errors"); the attacker's completed requests, refusals by code and the
median seconds per request; the server's peak memory (VmHWM summed over the server and its
pool workers, read after each phase, so it is the peak so far) and its resident memory at the
end. Target: the p99 under attack within 2x the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import numpy as np

from bench.api_load import DASHBOARD, Server, memory_kib, settle
from bench.common import copy_transactions, scratch_database
from gql_server.generator.records import GeneratedUser
from gql_server.generator.synth import generate_user

PASSWORD = "Bench-abuse-users-2026"  # noqa: S105 - throwaway users
REGISTER = """mutation($input: RegisterInput!) { register(input: $input) { accessToken } }"""
WHAT_IFS = """query Expensive {
  a: forecast(horizonDays: 60, scenario: {incomeChangePercent: -20}) { expectedNet netLow }
  b: forecast(horizonDays: 60, scenario: {extraMonthlyExpense: "5000"}) { expectedNet netLow }
  c: balanceForecast(horizonDays: 60, scenario: {incomeChangePercent: -50}) { date p10 p50 }
  forecasts { horizonDays expectedNet }
  insights(first: 5) { kind title }
}"""
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) errors = 0 end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("RESULT %d %d %f %f %f\\n", summary.requests, e,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1000000))
end
"""


async def register(client: httpx.AsyncClient, email: str) -> str:
    variables = {
        "input": {
            "email": email,
            "password": PASSWORD,
            "fullName": "Bench User",
            "city": "Pune",
            "occupation": "Designer",
        }
    }
    body = (await client.post("/graphql", json={"query": REGISTER, "variables": variables})).json()
    if "errors" in body:
        raise RuntimeError(f"register {email}: {body['errors']}")
    return body["data"]["register"]["accessToken"]


def ledger_rows(user_id: int, count: int, days: int, seed: int) -> list[tuple]:
    """`count` transactions over `days` ending now, from generated histories laid over each
    other (each alone is a freelancer's few a day; together, a busy trader's ledger)."""
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    parts: list[GeneratedUser] = []
    index = 0
    while sum(len(p.amount_paise) for p in parts) < count:
        parts.append(generate_user(seed, index, days, end))
        index += 1
    moments = np.concatenate([p.occurred_at for p in parts])
    order = np.argsort(moments, kind="stable")[-count:]
    amounts = np.concatenate([p.amount_paise for p in parts])[order]
    incoming = np.concatenate([p.is_income for p in parts])[order]
    categories = np.concatenate([p.category for p in parts])[order]
    merchants = np.concatenate([p.merchant for p in parts])[order]
    signed = np.where(incoming, amounts, -amounts)
    balances = np.cumsum(signed) + 50_000_00
    now = datetime.now(UTC)
    return [
        (
            user_id,
            moment.replace(tzinfo=UTC),
            Decimal(int(paise)) / 100,
            "income" if income else "expense",
            category,
            merchant,
            "",
            Decimal(int(balance)) / 100,
            now,
            now,
        )
        for moment, paise, income, category, merchant, balance in zip(
            moments[order].astype("datetime64[us]").tolist(),
            amounts.tolist(),
            incoming.tolist(),
            categories.tolist(),
            merchants.tolist(),
            balances.tolist(),
            strict=True,
        )
    ]


async def give_ledger(url: str, email: str, count: int, days: int, seed: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        user_id = await connection.fetchval("SELECT id FROM app_user WHERE email = $1", email)
        await connection.execute(
            "UPDATE app_user SET opening_balance = 50000 WHERE id = $1", user_id
        )
        rows = ledger_rows(user_id, count, days, seed)
        await copy_transactions(connection, rows)
    finally:
        await connection.close()


def wrk(url: str, token: str, duration: int, connections: int, workdir: Path) -> dict[str, float]:
    script = workdir / "dashboard.lua"
    body = json.dumps({"query": DASHBOARD})
    script.write_text(
        f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        f"wrk.headers['Authorization'] = 'Bearer {token}'\n" + WRK_SCRIPT
    )
    output = subprocess.run(  # noqa: S603 - our own command line
        [
            shutil.which("wrk") or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"{url}/graphql",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, errors, p50, p99, seconds = match.groups()
    return {
        "requests": int(requests),
        "errors": int(errors),
        "p50": float(p50),
        "p99": float(p99),
        "rps": int(requests) / float(seconds),
    }


class Attack:
    """Clients of the expensive user, each sending the costliest request back to back."""

    def __init__(self, url: str, token: str, clients: int) -> None:
        self.url = url
        self.token = token
        self.clients = clients
        self.outcomes: Counter[str] = Counter()
        self.seconds: list[float] = []
        self._stop = asyncio.Event()

    async def _client(self) -> None:
        headers = {"authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.url, timeout=120, headers=headers) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                body = (await http.post("/graphql", json={"query": WHAT_IFS})).json()
                self.seconds.append(time.perf_counter() - started)
                codes = {e["extensions"]["code"] for e in body.get("errors", [])}
                self.outcomes[",".join(sorted(codes)) or "answered"] += 1

    async def run_while(self, work: asyncio.Future) -> None:
        clients = [asyncio.ensure_future(self._client()) for _ in range(self.clients)]
        await work
        self._stop.set()
        await asyncio.gather(*clients)


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench.abuse needs wrk, a C load generator: apt-get install wrk")
    async with scratch_database() as url:
        workdir = Path(tempfile.mkdtemp(prefix="bench-abuse-"))
        env = {
            "DATABASE_URL": url,
            "APP_ENV": "production",
            "JWT_SECRET": secrets.token_urlsafe(48),
        }
        server = Server("graphql", [sys.executable, "-m", "gql_server", "serve"], env, workdir)
        try:
            await server.wait_ready()
            async with httpx.AsyncClient(base_url=server.url, timeout=300) as http:
                ordinary = await register(http, "ordinary@bench.in")
                expensive = await register(http, "expensive@bench.in")
                await give_ledger(url, "ordinary@bench.in", 1_500, 720, seed=7)
                print(f"writing the expensive user's {args.ledger:,} transactions ...")
                await give_ledger(url, "expensive@bench.in", args.ledger, 3 * 365, seed=8)
                for token in (ordinary, expensive):  # warm both outlooks
                    started = time.perf_counter()
                    warm = await http.post(
                        "/graphql",
                        json={"query": DASHBOARD},
                        headers={"authorization": f"Bearer {token}"},
                    )
                    if "errors" in warm.json():
                        raise RuntimeError(f"warming: {warm.json()['errors']}")
                    print(f"outlook warmed in {time.perf_counter() - started:.1f} s")
            await settle([server])
            rss_before = memory_kib(server.pid, "VmRSS")
            baseline = await asyncio.to_thread(
                wrk, server.url, ordinary, args.duration, args.connections, workdir
            )
            hwm_baseline = memory_kib(server.pid, "VmHWM")
            await settle([server])
            attack = Attack(server.url, expensive, args.attackers)
            measured = asyncio.ensure_future(
                asyncio.to_thread(
                    wrk, server.url, ordinary, args.duration, args.connections, workdir
                )
            )
            await asyncio.sleep(0)
            await attack.run_while(measured)
            attacked = measured.result()
            hwm_attack = memory_kib(server.pid, "VmHWM")
            rss_after = memory_kib(server.pid, "VmRSS")
        finally:
            server.stop()
        report(args, baseline, attacked, attack, hwm_baseline, hwm_attack, rss_before, rss_after)
        problems = [line for line in server.problems() if "Traceback" in line or "ERROR" in line]
        print(
            f"server log: {len(problems)} error lines" + "".join(f"\n  {p}" for p in problems[:5])
        )


def report(
    args: argparse.Namespace,
    baseline: dict[str, float],
    attacked: dict[str, float],
    attack: Attack,
    hwm_baseline: int,
    hwm_attack: int,
    rss_before: int,
    rss_after: int,
) -> None:
    print()
    print(f"dashboard of an ordinary user, {args.connections} connections, {args.duration} s each")
    print(f"{'phase':<14}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'peak MB':>9}")
    for name, row, hwm in (
        ("alone", baseline, hwm_baseline),
        ("under attack", attacked, hwm_attack),
    ):
        print(
            f"{name:<14}{row['rps']:>8.1f}{row['p50']:>9.1f}{row['p99']:>9.1f}"
            f"{row['errors']:>8d}{hwm / 1024:>9.0f}"
        )
    ratio = attacked["p99"] / baseline["p99"] if baseline["p99"] else float("inf")
    verdict = "within" if ratio <= 2 else "OVER"
    print(f"p99 under attack / alone: {ratio:.2f}x ({verdict} the 2x target)")
    median = statistics.median(attack.seconds) if attack.seconds else 0.0
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(attack.outcomes.items()))
    print(
        f"expensive user ({args.ledger:,} transactions, {args.attackers} clients back to back): "
        f"{sum(attack.outcomes.values())} requests ({outcomes}), median {median:.1f} s each"
    )
    print(
        f"server memory: resident {rss_before / 1024:.0f} MB before, {rss_after / 1024:.0f} MB "
        f"after; peak {hwm_attack / 1024:.0f} MB (server and pool workers)"
    )


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--ledger", type=int, default=100_000)
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run()
