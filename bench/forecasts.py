"""Forecasts on 100 generated users (720 days) in PostgreSQL, with the pool at 2 processes.

    .venv/bin/python -m bench.forecasts [--users 100] [--cold 20]

Prints: cold forecast latency through GraphQL (all three horizons, p50/p95), a cached read
(p50), the batch rate (users/s), then per income pattern the honest accuracy of the 30-day
inflow forecast (made 30, 60 and 90 days before the end of each history and compared with
what happened: MAE relative to seasonal naive, i.e. MASE with an out-of-sample scale, and the
coverage of the 80% interval), and the 30-day risk levels.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

import httpx
import numpy as np
from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import generate_users, scratch_database, summary
from gql_server.app import create_app
from gql_server.core.outlook import compute_outlook
from gql_server.core.series import Ledger, local_days
from gql_server.generator.synth import PATTERNS
from gql_server.models import StoredOutlook, User
from gql_server.services.outlook import load_ledger
from gql_server.services.validation import local_today
from gql_server.settings import Settings

PASSWORD = "Bench-forecast-users-2026"  # noqa: S105 - throwaway users
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
FORECASTS = "{ forecasts { horizonDays expectedInflow shortfallProbability riskLevel } }"
ORIGINS_DAYS_BACK = (30, 60, 90)
console = Console()


async def seed_users(settings: Settings, users: int) -> list[User]:
    return await generate_users(settings, users, PASSWORD)  # rows only: no outlooks yet


def truncated(ledger: Ledger, days_back: int) -> tuple[Ledger, float]:
    """The ledger as it stood `days_back` days ago, and the inflow of the 30 days after."""
    days = local_days(ledger.occurred_at, ledger.timezone)
    cutoff = np.datetime64(ledger.as_of - timedelta(days=days_back), "D")
    keep, later = days <= cutoff, (days > cutoff) & (days <= cutoff + 30)
    actual = float(ledger.amount[later & ledger.is_income].sum())
    past = Ledger(
        occurred_at=ledger.occurred_at[keep],
        amount=ledger.amount[keep],
        is_income=ledger.is_income[keep],
        category=ledger.category[keep],
        source_id=ledger.source_id[keep],
        balance_after=ledger.balance_after[keep],
        opening_balance=ledger.opening_balance,
        timezone=ledger.timezone,
        as_of=ledger.as_of - timedelta(days=days_back),
    )
    return past, actual


def holdout(ledger: Ledger, seed: int) -> list[tuple[float, float, float, float, float]]:
    """(actual, forecast, naive, low, high) of the 30-day inflow at each origin (in a worker)."""
    rows = []
    for days_back in ORIGINS_DAYS_BACK:
        past, actual = truncated(ledger, days_back)
        outlook = compute_outlook(past, seed=seed, horizons=(30,))
        thirty = outlook.forecast.horizons[0]
        days = local_days(past.occurred_at, past.timezone)
        last_month = days > np.datetime64(past.as_of - timedelta(days=30), "D")
        naive = float(past.amount[last_month & past.is_income].sum())
        rows.append((actual, thirty.expected_inflow, naive, thirty.inflow_low, thirty.inflow_high))
    return rows


async def measure(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        settings = replace(
            Settings(app_env="test", database_url=url),
            forecast_pool_size=2,
            login_attempts_per_address=10_000,
        )
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            users = await seed_users(settings, args.users)
            outlooks = app.state.resources.outlook
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                cold, cached = await latencies(client, users[: args.cold])
            # warm the pool's processes so the batch measures fitting, not start-up
            await outlooks.current(users[-1], refresh=True)
            started = time.perf_counter()
            await outlooks.refresh_many([u.id for u in users])
            batch = time.perf_counter() - started
            accuracy = await honest_accuracy(outlooks, users)
            risks = await risk_table(users)
    report(args, cold, cached, batch, len(users), accuracy, risks)


async def latencies(client: httpx.AsyncClient, users: list[User]) -> tuple[list, list]:
    cold, cached, tokens = [], [], []
    for user in users:
        login = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"e": user.email, "p": PASSWORD}}
        )
        tokens.append(login.json()["data"]["login"]["accessToken"])
    for token in tokens:
        started = time.perf_counter()
        body = (
            await client.post(
                "/graphql", json={"query": FORECASTS}, headers={"authorization": f"Bearer {token}"}
            )
        ).json()
        cold.append((time.perf_counter() - started) * 1000)
        assert "errors" not in body, body
    for _ in range(200):
        started = time.perf_counter()
        await client.post(
            "/graphql", json={"query": FORECASTS}, headers={"authorization": f"Bearer {tokens[0]}"}
        )
        cached.append((time.perf_counter() - started) * 1000)
    return cold, cached


async def honest_accuracy(outlooks, users: list[User]) -> dict[str, list]:
    by_pattern: dict[str, list] = defaultdict(list)

    async def one(user: User) -> None:
        ledger = await load_ledger(user, local_today(user.timezone))
        rows = await outlooks.pool.run(holdout, ledger, user.id)
        by_pattern[user.income_pattern or "(none)"].extend(rows)

    await asyncio.gather(*(one(u) for u in users))
    return by_pattern


async def risk_table(users: list[User]) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for stored in await StoredOutlook.filter(user_id__in=[u.id for u in users]):
        pattern = next(u.income_pattern or "(none)" for u in users if u.id == stored.user_id)
        thirty = next(h for h in stored.horizons if h["horizon_days"] == 30)
        table[pattern][thirty["risk_level"]] += 1
    return table


def report(args, cold, cached, batch, count, accuracy, risks) -> None:
    speed = Table(title=f"Forecast speed ({count} users x 720 days, pool of 2 processes)")
    for column in ("measure", "p50 ms", "p95 ms", "rate"):
        speed.add_column(column, justify="left" if column == "measure" else "right")
    c50, _, _ = summary(cold)
    c95 = sorted(cold)[max(0, round(0.95 * (len(cold) - 1)))]
    h50, _, _ = summary(cached)
    h95 = sorted(cached)[round(0.95 * (len(cached) - 1))]
    speed.add_row(
        f"cold forecasts query, 3 horizons ({len(cold)} users)", f"{c50:.0f}", f"{c95:.0f}", ""
    )
    speed.add_row("cached forecasts query", f"{h50:.1f}", f"{h95:.1f}", "")
    speed.add_row(f"batch of {count} users", "", "", f"{count / batch:.1f} users/s ({batch:.1f} s)")
    console.print(speed)

    quality = Table(title="30-day inflow, forecast 30/60/90 days before the end vs what happened")
    for column in ("pattern", "forecasts", "MASE (vs seasonal naive)", "80% coverage"):
        quality.add_column(column, justify="left" if column == "pattern" else "right")
    everything = []
    for pattern in PATTERNS:
        rows = accuracy.get(pattern, [])
        everything += rows
        quality.add_row(pattern, *_accuracy(rows))
    quality.add_row("all", *_accuracy(everything))
    console.print(quality)

    levels = Table(title="30-day risk level by income pattern")
    for column in ("pattern", "LOW", "MEDIUM", "HIGH"):
        levels.add_column(column, justify="left" if column == "pattern" else "right")
    total: Counter = Counter()
    for pattern in PATTERNS:
        counts = risks.get(pattern, Counter())
        total.update(counts)
        levels.add_row(pattern, *(str(counts[k]) for k in ("LOW", "MEDIUM", "HIGH")))
    share = {k: total[k] / max(1, sum(total.values())) for k in ("LOW", "MEDIUM", "HIGH")}
    levels.add_row("all", *(f"{total[k]} ({share[k]:.0%})" for k in ("LOW", "MEDIUM", "HIGH")))
    console.print(levels)


def _accuracy(rows: list) -> tuple[str, str, str]:
    if not rows:
        return "0", "-", "-"
    model = statistics.fmean(abs(a - f) for a, f, _, _, _ in rows)
    naive = statistics.fmean(abs(a - n) for a, _, n, _, _ in rows)
    covered = statistics.fmean(1.0 if lo <= a <= hi else 0.0 for a, _, _, lo, hi in rows)
    return str(len(rows)), f"{model / naive:.2f}" if naive else "-", f"{covered:.0%}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--cold", type=int, default=20)
    asyncio.run(measure(parser.parse_args()))
