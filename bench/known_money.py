"""Known money in the forecast: detection quality, accuracy with vs without recurring items, and
what a what-if costs against a cached forecast.

    .venv/bin/python -m bench.known_money [--users 60] [--days 720] [--seed 11]
        [--scenario-calls 40] [--server-users 20] [--worst 0]

1. Detection (no database). The users of `bench.recurring_detection` (the income patterns in
   turn, `--days` of history to the day before its END, its 60 days after for the schedule),
   scored by its own `score_user` and `report`: series and row precision P / recall R per kind
   of planted series (rent, EMIs, bills, ...), and how well the schedule of each series found
   predicts the payments of the next 60 days. Target: P and R >= 90% for rent, EMIs and bills.

2. Accuracy with vs without known money (no database), on the same users: at origins 30, 60
   and 90 days before the end of each history, the 30-day NET flow (inflow - outflow) is
   forecast from the history up to the origin two ways, with the same seed:
   * without: `forecasting.forecast(daily_series(past))`, the statistical model on every row;
   * with: `known_money.plan_known_money(past, merchants=...)` then
     `scenario.forecast_known`: detected recurring items on their dates plus the model of the
     rest (their rows and the one-off outliers kept out of what it learns from);
   and compared with the net of the 30 days that followed. Per income pattern and overall:
   MASE = MAE / MAE of seasonal naive (the net of the 30 days before the origin), the same
   scale for both methods, so the two ratios compare directly (below 1 beats naive); the share
   of actual nets inside the 80% interval [net_low, net_high] (80% is calibrated) and the
   interval's median width; the share of forecasts where "with" is closer; in rupees, the MAE
   of seasonal naive and of each method, the median absolute error and the bias (mean of
   forecast - actual: negative expects less net money than came). The shortfall table checks
   the 30-day shortfall probability against whether the closing balance actually went below
   zero in those 30 days: the observed share, the mean forecast probability and the Brier
   score (lower is better), beside the naive "short iff already below zero". Times are
   wall-clock per forecast (one user at one origin, in this process), including
   `daily_series` and, for "with", the detection.

3. Latency through the real server: `--server-users` generated users (720 days) in a scratch
   PostgreSQL database, the app with a process pool of 2, queries through an in-process httpx
   ASGI client. Each user's stored forecast is warmed first; then `--scenario-calls` timed
   calls of each query, round-robin over the users and interleaved across queries (so load
   from elsewhere hits them alike): the cached `forecast(horizonDays: 30)`, a one-off ₹60,000
   expense in 10 days, income -30% with ₹5,000 a month more expense, and
   `balanceForecast(horizonDays: 60)` with the one-off. A scenario is fitted afresh in a pool
   worker on every call; the ratio is its p50 over the cached p50. "Δ net" is the median
   change of the 30-day expected net against the cached forecast (the one-off should be
   exactly -60,000: a scenario reuses the stored forecast's seed and plan).
   `--server-users 0` skips this part. 2026-12-08: since a what-if forecasts with the stored
   outlook's models and calibration instead of redoing the evaluation, p50 150 -> 42 ms,
   p95 169 -> 50 ms (the one-off's Δ net -60,000 before and after).

`--worst N` lists the N forecasts where "with" loses most against "without".
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import generate_users, scratch_database, summary
from bench.recurring_detection import (
    END,
    ON_TIME_DAYS,
    TIMEZONE,
    History,
    Score,
    ledger_of,
    report,
    score_user,
    truth_keys,
)
from gql_server.app import create_app
from gql_server.core.forecasting.forecast import HorizonForecast, forecast
from gql_server.core.forecasting.scenarios import forecast_known
from gql_server.core.known_money.plan import plan_known_money
from gql_server.core.series import daily_series, local_days
from gql_server.generator.records import GeneratedUser
from gql_server.generator.synth import PATTERNS, generate_user
from gql_server.models import User
from gql_server.services.validation import local_today
from gql_server.settings import Settings

ORIGINS_DAYS_BACK = (30, 60, 90)
HORIZON = 30
SCHEDULE_DAYS = 60  # what recurring_detection scores the schedule over
METHODS = ("without", "with")
PASSWORD = "Bench-known-money-users-2026"  # noqa: S105 - throwaway users
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
FORECAST = """query($s: ScenarioInput) {
  forecast(horizonDays: 30, scenario: $s) { expectedNet netLow netHigh shortfallProbability }
}"""
BALANCE = """query($s: ScenarioInput) {
  balanceForecast(horizonDays: 60, scenario: $s) { date p10 p50 p90 }
}"""
console = Console(width=120)


@dataclass(frozen=True)
class Outcome:
    """One forecast of the 30-day net by one method at one origin, and what happened."""

    user: int
    pattern: str
    days_back: int
    actual: float
    naive: float
    expected: float
    low: float
    high: float
    shortfall_probability: float
    went_short: bool  # the closing balance went below zero in the 30 days
    was_short: bool  # it was below zero at the origin

    @property
    def error(self) -> float:
        return abs(self.actual - self.expected)


@dataclass
class Backtest:
    outcomes: dict[str, list[Outcome]]  # by method
    timings: dict[str, list[float]]  # ms per forecast, by method


# --- part 1 and the users ----------------------------------------------------------------


def generated_histories(args: argparse.Namespace) -> tuple[date, list[History]]:
    """The users of bench.recurring_detection: `args.days` of history to as_of (the day before
    END) and the days after it that the detection's schedule is scored on."""
    first_after = date.fromisoformat(END)
    as_of = first_after - timedelta(days=1)
    future = SCHEDULE_DAYS + ON_TIME_DAYS
    end = datetime.combine(first_after + timedelta(future), datetime.min.time())
    end = end.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)
    as_of_number = day_number(as_of)
    histories = []
    for index in range(args.users):
        user = generate_user(args.seed, index, args.days + future, end, PATTERNS)
        day = local_days(user.occurred_at.astype("datetime64[s]"), TIMEZONE).astype(np.int64)
        histories.append(History(user, day <= as_of_number, day, truth_keys(user)))
    return as_of, histories


def detection(args: argparse.Namespace, as_of: date, histories: list[History]) -> None:
    scores: dict[str, Score] = defaultdict(Score)
    timings: list[float] = []
    for history in histories:
        score_user(history, as_of, SCHEDULE_DAYS, scores, timings)
    title = (
        f"1. Recurring series of {args.users} generated users "
        f"(seed {args.seed}, {args.days} days to {as_of}): precision P and recall R"
    )
    report(scores, title, timings, SCHEDULE_DAYS)


# --- part 2: the rolling-origin backtest -------------------------------------------------


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def backtest(as_of: date, histories: list[History]) -> Backtest:
    result = Backtest(defaultdict(list), defaultdict(list))
    for history in histories:
        for days_back in ORIGINS_DAYS_BACK:
            rows = forecast_origin(history.user, history.day, as_of, days_back)
            for method, outcome, ms in rows:
                result.outcomes[method].append(outcome)
                result.timings[method].append(ms)
    return result


def forecast_origin(
    user: GeneratedUser, day: np.ndarray, as_of: date, days_back: int
) -> list[tuple[str, Outcome, float]]:
    """Both forecasts of the 30-day net made `days_back` days before as_of, with their times."""
    origin = as_of - timedelta(days=days_back)
    cutoff = day_number(origin)
    seen = daily_series(ledger_of(user, day <= cutoff + HORIZON, origin + timedelta(HORIZON)))
    actual = float(seen.net[-HORIZON:].sum())
    naive = float(seen.net[-2 * HORIZON : -HORIZON].sum())
    went_short = bool(seen.closing_balance[-HORIZON:].min() < 0)
    keep = day <= cutoff
    past = ledger_of(user, keep, origin)
    seed = user.index

    def without() -> HorizonForecast:
        return forecast(daily_series(past), seed=seed, horizons=(HORIZON,)).horizons[0]

    def with_known() -> HorizonForecast:
        known = plan_known_money(past, merchants=user.merchant[keep])
        result = forecast_known(past, known, daily_series(past), seed=seed, horizons=(HORIZON,))
        return result.horizons[0]

    rows = []
    for method, run in (("without", without), ("with", with_known)):
        started = time.perf_counter()
        h = run()
        ms = (time.perf_counter() - started) * 1000
        outcome = Outcome(
            user=user.index,
            pattern=user.income_pattern,
            days_back=days_back,
            actual=actual,
            naive=naive,
            expected=h.expected_net,
            low=h.net_low,
            high=h.net_high,
            shortfall_probability=h.shortfall_probability,
            went_short=went_short,
            was_short=bool(seen.closing_balance[-HORIZON - 1] < 0),
        )
        rows.append((method, outcome, ms))
    return rows


def by_pattern(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.pattern].append(o)
    groups["all"] = list(outcomes)
    return groups


def mase(rows: list[Outcome]) -> str:
    naive = statistics.fmean(abs(o.actual - o.naive) for o in rows)
    return f"{statistics.fmean(o.error for o in rows) / naive:.2f}" if naive else "-"


def coverage(rows: list[Outcome]) -> str:
    return f"{statistics.fmean(o.low <= o.actual <= o.high for o in rows):.0%}"


def rupees(value: float) -> str:
    return f"{value:,.0f}"


def brier(rows: list[Outcome], probability: Callable[[Outcome], float]) -> str:
    return f"{statistics.fmean((probability(o) - o.went_short) ** 2 for o in rows):.3f}"


SCALED_COLUMNS = (
    "forecasts", "MASE w/o", "MASE with", "80% cov w/o", "80% cov with", "width w/o",
    "width with", "with closer",
)  # fmt: skip
MONEY_COLUMNS = (
    "naive MAE", "MAE w/o", "MAE with", "median AE w/o", "median AE with", "bias w/o", "bias with",
)  # fmt: skip
SHORTFALL_COLUMNS = ("went short", "mean p w/o", "mean p with", "Brier w/o", "Brier with", "naive")


def scaled_cells(a: list[Outcome], b: list[Outcome]) -> list[str]:
    closer = statistics.fmean(y.error < x.error for x, y in zip(a, b, strict=True))
    return [
        str(len(a)),
        mase(a),
        mase(b),
        coverage(a),
        coverage(b),
        rupees(statistics.median(o.high - o.low for o in a)),
        rupees(statistics.median(o.high - o.low for o in b)),
        f"{closer:.0%}",
    ]


def money_cells(a: list[Outcome], b: list[Outcome]) -> list[str]:
    return [
        rupees(statistics.fmean(abs(o.actual - o.naive) for o in a)),
        rupees(statistics.fmean(o.error for o in a)),
        rupees(statistics.fmean(o.error for o in b)),
        rupees(statistics.median(o.error for o in a)),
        rupees(statistics.median(o.error for o in b)),
        rupees(statistics.fmean(o.expected - o.actual for o in a)),
        rupees(statistics.fmean(o.expected - o.actual for o in b)),
    ]


def shortfall_cells(a: list[Outcome], b: list[Outcome]) -> list[str]:
    return [
        f"{statistics.fmean(o.went_short for o in a):.0%}",
        f"{statistics.fmean(o.shortfall_probability for o in a):.0%}",
        f"{statistics.fmean(o.shortfall_probability for o in b):.0%}",
        brier(a, lambda o: o.shortfall_probability),
        brier(b, lambda o: o.shortfall_probability),
        brier(a, lambda o: float(o.was_short)),
    ]


def report_backtest(args: argparse.Namespace, result: Backtest) -> None:
    without = by_pattern(result.outcomes["without"])
    with_known = by_pattern(result.outcomes["with"])
    origins = "/".join(str(d) for d in ORIGINS_DAYS_BACK)
    tables = (
        (
            f"2. 30-day net flow forecast {origins} days before the end of history vs what "
            f"happened ({args.users} users, seed {args.seed}): without / with known money",
            SCALED_COLUMNS,
            scaled_cells,
        ),
        ("2b. The same forecasts in rupees: error of the 30-day net", MONEY_COLUMNS, money_cells),
        (
            "2c. 30-day shortfall probability vs the balance going below zero",
            SHORTFALL_COLUMNS,
            shortfall_cells,
        ),
    )
    for title, columns, cells in tables:
        table = Table(title=title)
        table.add_column("pattern")
        for name in columns:
            table.add_column(name, justify="right")
        for pattern in (*PATTERNS, "all"):
            a, b = without.get(pattern, []), with_known.get(pattern, [])
            if a:
                table.add_row(pattern, *cells(a, b), style="bold" if pattern == "all" else None)
        console.print(table)
    report_speed(result)


def report_speed(result: Backtest) -> None:
    speed = Table(title="2d. Time per forecast (one user at one origin, 30-day horizon)")
    for name in ("method", "mean ms", "p50 ms", "p95 ms", "max ms", "per user (3 origins)"):
        speed.add_column(name, justify="left" if name == "method" else "right")
    for method in METHODS:
        ms = sorted(result.timings[method])
        speed.add_row(
            method,
            f"{statistics.fmean(ms):.0f}",
            f"{statistics.median(ms):.0f}",
            f"{percentile(ms, 0.95):.0f}",
            f"{ms[-1]:.0f}",
            f"{statistics.fmean(ms) * len(ORIGINS_DAYS_BACK):.0f}",
        )
    console.print(speed)


def report_worst(result: Backtest, count: int) -> None:
    pairs = zip(result.outcomes["without"], result.outcomes["with"], strict=True)
    worst = sorted(pairs, key=lambda p: p[0].error - p[1].error)[:count]
    table = Table(title=f"The {count} forecasts where 'with' loses most (rupees)")
    names = ("user", "pattern", "origin", "actual", "naive", "w/o", "with", "with interval")
    for name in names:
        table.add_column(name, justify="left" if name == "pattern" else "right")
    for a, b in worst:
        table.add_row(
            str(a.user),
            a.pattern,
            f"-{a.days_back}d",
            rupees(a.actual),
            rupees(a.naive),
            rupees(a.expected),
            rupees(b.expected),
            f"{rupees(b.low)} .. {rupees(b.high)}",
        )
    console.print(table)


def percentile(ordered: list[float], q: float) -> float:
    return ordered[max(0, round(q * (len(ordered) - 1)))]


# --- part 3: latency through the server --------------------------------------------------


def scenarios(today: date) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """Query and scenario of each timed call."""
    one_off = {"oneOffExpenses": [{"amount": "60000.00", "on": str(today + timedelta(10))}]}
    poorer = {"incomeChangePercent": -30, "extraMonthlyExpense": "5000.00"}
    return {
        "cached forecast(30)": (FORECAST, None),
        "forecast(30), one-off ₹60,000": (FORECAST, one_off),
        "forecast(30), income -30%, +₹5,000/month": (FORECAST, poorer),
        "balanceForecast(60), one-off": (BALANCE, one_off),
    }


async def post(client: httpx.AsyncClient, token: str, query: str, variables: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def server_latency(args: argparse.Namespace) -> tuple[dict[str, list[float]], dict]:
    """Milliseconds per call of each query, and the expected nets (by query, per call)."""
    async with scratch_database() as url:
        settings = replace(
            Settings(app_env="test", database_url=url),
            forecast_executor="process",
            forecast_pool_size=2,
            login_attempts_per_address=10_000,
        )
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            users = await generate_users(settings, args.server_users, PASSWORD)
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://b", timeout=120
            ) as client:
                return await time_queries(client, users, args.scenario_calls)


async def time_queries(
    client: httpx.AsyncClient, users: list[User], calls: int
) -> tuple[dict[str, list[float]], dict]:
    tokens = []
    for user in users:
        data = await post(client, "", LOGIN, {"e": user.email, "p": PASSWORD})
        tokens.append(data["login"]["accessToken"])
    for token in tokens:  # the stored forecasts
        await post(client, token, FORECAST, {"s": None})
    timings: dict[str, list[float]] = defaultdict(list)
    nets: dict[str, list[float]] = defaultdict(list)
    for call in range(-1, calls):  # call -1 warms each query (untimed)
        k = call % len(users)
        for name, (query, scenario) in scenarios(local_today(users[k].timezone)).items():
            started = time.perf_counter()
            data = await post(client, tokens[k], query, {"s": scenario})
            ms = (time.perf_counter() - started) * 1000
            if call < 0:
                continue
            timings[name].append(ms)
            if "forecast" in data:
                nets[name].append(float(data["forecast"]["expectedNet"]))
    return timings, nets


def report_latency(
    args: argparse.Namespace, timings: dict[str, list[float]], nets: dict[str, list[float]]
) -> None:
    table = Table(
        title=f"3. Through GraphQL: {args.scenario_calls} calls each over {args.server_users} "
        "users (720 days), pool of 2 processes"
    )
    for name in ("query", "p50 ms", "p95 ms", "p99 ms", "p50 / cached p50", "Δ net (median)"):
        table.add_column(name, justify="left" if name == "query" else "right")
    cached_name = next(iter(timings))
    cached_p50 = summary(timings[cached_name])[0]
    for name, samples in timings.items():
        p50, p99, _ = summary(samples)
        delta = "-"
        if name in nets and name != cached_name:
            changes = [b - a for a, b in zip(nets[cached_name], nets[name], strict=True)]
            delta = rupees(statistics.median(changes))
        table.add_row(
            name,
            f"{p50:.1f}",
            f"{percentile(sorted(samples), 0.95):.1f}",
            f"{p99:.1f}",
            f"{p50 / cached_p50:.0f}x" if name != cached_name else "1x",
            delta,
        )
    console.print(table)


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    as_of, histories = generated_histories(args)
    detection(args, as_of, histories)
    result = backtest(as_of, histories)
    report_backtest(args, result)
    if args.worst:
        report_worst(result, args.worst)
    if args.server_users:
        timings, nets = asyncio.run(server_latency(args))
        report_latency(args, timings, nets)
    console.print(f"bench.known_money took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--days", type=int, default=720)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scenario-calls", type=int, default=40, help="timed calls per query")
    parser.add_argument("--server-users", type=int, default=20, help="0 skips the server part")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst 'with' forecasts")
    main(parser.parse_args())
