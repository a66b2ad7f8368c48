"""Forecast accuracy on held-out synthetic users, against seasonal naive and statsforecast's
models, with interval coverage, shortfall calibration, risk levels and latency.

    .venv/bin/python -m bench.forecast_accuracy [--users-per-pattern 8] [--seeds 29,37]
        [--quick]

(needs the `bench` extra: `pip install -e '.[bench]'`, i.e. statsforecast >= 2.0; the server
never imports it.)

What is forecast. Our forecast for a user at an origin is the production path,
`compute_outlook(ledger cut at the origin, seed=OUTLOOK_SEED,
surroundings=Surroundings(merchants=...))`: the ledger holds the rows whose local day
(Asia/Kolkata) is <= the origin, as_of = the origin (the last complete day), so the forecast
covers origin+1 .. origin+60. Its 7/30/60-day horizons and the 30-day risk level are scored
against what the history did next. Nothing here changes with the model: improvements in the
core show up on the next run.

Two families of histories; nothing is tuned on either.
1. `gql_server.generator.synth.generate_user` with HELD-OUT job seeds (`--seeds`, default 29
   and 37). Seed 11 is the one the model was tuned on and is refused here. 720 days of history
   before the first origin.
2. `bench.histories`: an independent generator written for this bench (numpy only, eight
   income patterns of its own: late retainers, net-30/45 invoices, weekly platform payouts
   with a monsoon dip, a wedding photographer's season, a tutor's school year, salary plus
   gigs, a USD contract at a drifting rate, declining income), 600 days before the first
   origin. It uses the same `--seeds`.
`--users-per-pattern` users of each pattern per family, spread round-robin over the seeds.

Origins: the month ends ORIGINS (Jan, Apr, Jul, Oct 2025: the Indian winter, summer, monsoon
and post-monsoon), every one with 540+ days before it and 60 days after it, for every user:
with 8 users a pattern, 32 forecasts per pattern.

Peers (statsforecast, n_jobs=1, one StatsForecast call per model for all series of a
family), fitted on the same history as ours, the user's daily inflow and outflow up to the
origin, with no help from known money: AutoETS (daily, season_length 7), AutoARIMA (on weekly
sums, 7-day blocks ending on the origin, season_length 52 where two years allow it: daily
AutoARIMA took about 2.8 s a series, too slow for this bench; its 30-day sum is 4 weeks plus
2/7 of the fifth), ADIDA, CrostonSBA and TSB (alpha_d = alpha_p = 0.1), daily. Seasonal naive
(the 30 days before the origin repeated) is computed here. A peer's 30-day sums of inflow and
outflow are clipped at 0; its net is its inflow minus its outflow. A peer that fails on a
series (an exception or a non-finite forecast) falls back to seasonal naive for that series;
the fallbacks are counted and printed.

Tables, per family, per income pattern and overall:
1. MAE of the 30-day inflow, outflow and net relative to seasonal naive (MAE / naive MAE over
   the same forecasts; below 1 beats naive) for ours and each peer, and ours / the best peer
   (the peer with the lowest MAE in that row). Targets: overall ours < 0.85x naive and <= the
   best peer; no pattern worse than 1.1x its best peer. Beside ours / best, its 90% interval
   when the users are resampled (`resampled_ratio`, a cluster bootstrap: a user's origins go
   together); a missed target is red where the interval misses it too, yellow where the
   interval reaches it (eight users cannot tell that miss from the luck of the draw).
2. Coverage of the 80% intervals (actual inside [low, high]) of the 7/30/60-day inflow and net
   (and outflow when the forecast has outflow_low/outflow_high), per pattern and overall, and
   per pattern per season of the origin (7/30/60 pooled). Target 75-85% overall, 70-90% per
   pattern per season. Each pattern's cell has its 90% interval with users resampled, marked
   as in table 1.
3. The 30-day shortfall probability against whether the closing balance actually went below
   zero within those 30 days: Brier score, the Brier of always predicting the family's base
   rate, Brier skill score = 1 - Brier / base (target > 0.1), and reliability in tenths of the
   predicted probability (count, mean predicted, observed share); then both families pooled
   in bands (10-20%, 20-30%, 30-50%, 50-90%): how many of the forecasts that said so did go
   below zero (20-30% should be about a quarter).
4. The 30-day risk level against the same outcome: count and share that went short.
5. Latency: cold compute_outlook (all three horizons) per forecast in this process, p50/p95;
   then 100 users' compute_outlook in a ProcessPoolExecutor(2) (warmed first): users/s and
   seconds (target < 8 s).
`--quick` is a smoke run: 2 users a pattern (about 2 minutes). The default run took 7.7
minutes on 2 cores (9-10 minutes on the slower machine of 2026-12-07): AutoARIMA's weekly
fits about 160 s a family, AutoETS about 50 s, ours about 0.1 s a forecast. On the AMD
machine of 2026-12-08 it took 16 minutes (AutoARIMA 320-340 s a family), and the batch of
100 took 10.4 s at 0dabd89, whose batch had taken 7.0 s on the machine before (10.3 s at
f583b41): the latency targets are of the machine.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from bench import histories
from bench.recurring_detection import TIMEZONE
from gql_server.core.outlook import Surroundings, compute_outlook
from gql_server.core.series import Ledger, daily_series, local_days
from gql_server.generator.synth import PATTERNS, generate_user

TUNING_SEED = 11  # the model was tuned on this job seed: never scored here
OUTLOOK_SEED = 7
ORIGINS = (date(2025, 1, 31), date(2025, 4, 30), date(2025, 7, 31), date(2025, 10, 31))
LAST_DAY = date(2025, 12, 31)  # the last local day of every history (>= last origin + 60)
GENERATOR_DAYS_BEFORE = 720
HISTORIES_DAYS_BEFORE = 600
HORIZONS = (7, 30, 60)
HORIZON = 30
FLOWS = ("inflow", "outflow", "net")
PEERS = ("AutoETS", "AutoARIMA", "ADIDA", "CrostonSBA", "TSB")
METHODS = ("ours", "naive", *PEERS)
SEASONS = ("winter", "summer", "monsoon", "post-monsoon")
SEASON_OF_MONTH = {
    12: "winter", 1: "winter", 2: "winter", 3: "summer", 4: "summer", 5: "summer",
    6: "monsoon", 7: "monsoon", 8: "monsoon", 9: "monsoon", 10: "post-monsoon",
    11: "post-monsoon",
}  # fmt: skip
LEVELS = ("HIGH", "MEDIUM", "LOW")
BATCH_USERS = 100
# Resamples of users for the 90% intervals of the tables' figures (a cluster bootstrap: a
# user's four origins share a history, so they are resampled together, not as four draws).
RESAMPLES = 2000
console = Console(width=200)


@dataclass(frozen=True)
class Person:
    """One synthetic user's whole history, from either family."""

    family: str
    seed: int
    index: int
    pattern: str
    occurred_at: np.ndarray  # datetime64[s], UTC
    amount: np.ndarray  # rupees
    is_income: np.ndarray
    category: np.ndarray
    merchant: np.ndarray
    balance_after: np.ndarray
    opening_balance: float
    day: np.ndarray  # local day number of each row

    def ledger(self, last_day: date) -> tuple[Ledger, np.ndarray]:
        """The rows of local days <= last_day (as_of = last_day), and their merchants."""
        keep = self.day <= (last_day - date(1970, 1, 1)).days
        ledger = Ledger(
            occurred_at=self.occurred_at[keep],
            amount=self.amount[keep],
            is_income=self.is_income[keep],
            category=self.category[keep],
            source_id=np.full(int(keep.sum()), -1, dtype=np.int64),
            balance_after=self.balance_after[keep],
            opening_balance=self.opening_balance,
            timezone=TIMEZONE,
            as_of=last_day,
        )
        return ledger, self.merchant[keep]


@dataclass
class Case:
    """One forecast: a person at an origin, what each method said and what happened."""

    person: Person
    origin: date
    history_in: np.ndarray = field(repr=False)  # daily inflow up to the origin
    history_out: np.ndarray = field(repr=False)
    actual: dict[tuple[str, int], float]  # (flow, horizon) -> sum
    went_short: bool  # the closing balance went below zero within 30 days
    ours: dict[tuple[str, int], tuple[float, float | None, float | None]] = field(
        default_factory=dict
    )  # (flow, horizon) -> (expected, low, high)
    shortfall: float = math.nan
    risk: str = ""
    ms: float = math.nan
    point: dict[tuple[str, str], float] = field(default_factory=dict)  # (method, flow) 30-day

    @property
    def key(self) -> str:
        return f"{self.person.family}:{self.person.seed}:{self.person.index}:{self.origin}"

    @property
    def pattern(self) -> str:
        return self.person.pattern

    @property
    def season(self) -> str:
        return SEASON_OF_MONTH[self.origin.month]


# --- the two families ---------------------------------------------------------------------


def user_slots(patterns: tuple[str, ...], per_pattern: int, seeds: list[int]) -> list[tuple]:
    """(seed, index) of `per_pattern` users of each pattern, round-robin over the seeds; a
    generator picks the pattern as patterns[index % len(patterns)]."""
    return [
        (seeds[j % len(seeds)], p + len(patterns) * (j // len(seeds)))
        for p in range(len(patterns))
        for j in range(per_pattern)
    ]


def generator_people(per_pattern: int, seeds: list[int]) -> list[Person]:
    days = (LAST_DAY - ORIGINS[0]).days + GENERATOR_DAYS_BEFORE + 1  # + the origin itself
    end = datetime.combine(LAST_DAY + timedelta(1), datetime.min.time())
    end = end.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)
    people = []
    for seed, index in user_slots(PATTERNS, per_pattern, seeds):
        user = generate_user(seed, index, days, end, PATTERNS)
        occurred = user.occurred_at.astype("datetime64[s]")
        people.append(
            Person(
                family="generator",
                seed=seed,
                index=index,
                pattern=user.income_pattern,
                occurred_at=occurred,
                amount=user.amount_paise / 100.0,
                is_income=user.is_income,
                category=user.category,
                merchant=user.merchant,
                balance_after=user.balance_paise / 100.0,
                opening_balance=float(user.opening_balance),
                day=local_days(occurred, TIMEZONE).astype(np.int64),
            )
        )
    return people


def histories_people(per_pattern: int, seeds: list[int]) -> list[Person]:
    start = ORIGINS[0] - timedelta(HISTORIES_DAYS_BEFORE)
    people = []
    for seed, index in user_slots(histories.PATTERNS, per_pattern, seeds):
        h = histories.generate_history(seed, index, start, LAST_DAY)
        people.append(
            Person(
                family="histories",
                seed=seed,
                index=index,
                pattern=h.pattern,
                occurred_at=h.occurred_at,
                amount=h.amount,
                is_income=h.is_income,
                category=h.category,
                merchant=h.merchant,
                balance_after=h.balance_after,
                opening_balance=h.opening_balance,
                day=local_days(h.occurred_at, h.timezone).astype(np.int64),
            )
        )
    return people


# --- ours ---------------------------------------------------------------------------------


def make_case(person: Person, origin: date) -> Case:
    """The person's daily flows around `origin`: history up to it, the 60 days after."""
    end = origin + timedelta(max(HORIZONS))
    series = daily_series(person.ledger(end)[0])
    k = (origin - series.start).days  # the origin's position
    future = slice(k + 1, k + 1 + max(HORIZONS))
    inflow, outflow = series.inflow[future], series.outflow[future]
    actual = {}
    for h in HORIZONS:
        actual["inflow", h] = float(inflow[:h].sum())
        actual["outflow", h] = float(outflow[:h].sum())
        actual["net", h] = actual["inflow", h] - actual["outflow", h]
    case = Case(
        person=person,
        origin=origin,
        history_in=series.inflow[: k + 1].copy(),
        history_out=series.outflow[: k + 1].copy(),
        actual=actual,
        went_short=bool(series.closing_balance[future][:HORIZON].min() < 0),
    )
    naive_in = float(case.history_in[-HORIZON:].sum())
    naive_out = float(case.history_out[-HORIZON:].sum())
    case.point["naive", "inflow"] = naive_in
    case.point["naive", "outflow"] = naive_out
    case.point["naive", "net"] = naive_in - naive_out
    return case


def forecast_ours(case: Case) -> None:
    ledger, merchants = case.person.ledger(case.origin)
    started = time.perf_counter()
    outlook = compute_outlook(
        ledger, seed=OUTLOOK_SEED, surroundings=Surroundings(merchants=merchants)
    )
    case.ms = (time.perf_counter() - started) * 1000
    for position, h in enumerate(outlook.forecast.horizons):
        days = h.horizon_days
        case.ours["inflow", days] = (h.expected_inflow, h.inflow_low, h.inflow_high)
        case.ours["net", days] = (h.expected_net, h.net_low, h.net_high)
        case.ours["outflow", days] = (
            h.expected_outflow,
            getattr(h, "outflow_low", None),  # outflow intervals are being added in the core
            getattr(h, "outflow_high", None),
        )
        if days == HORIZON:
            case.shortfall = h.shortfall_probability
            case.risk = str(outlook.risks[position].level)
            for flow in FLOWS:
                case.point["ours", flow] = case.ours[flow, days][0]


def outlook_in_worker(work: tuple[Ledger, np.ndarray]) -> float:
    """For the batch: one user's outlook in a pool process; returns the 30-day net."""
    ledger, merchants = work
    outlook = compute_outlook(
        ledger, seed=OUTLOOK_SEED, surroundings=Surroundings(merchants=merchants)
    )
    return outlook.forecast.horizons[1].expected_net


# --- peers --------------------------------------------------------------------------------


def peer_model(name: str) -> object:
    from statsforecast.models import ADIDA, TSB, AutoARIMA, AutoETS, CrostonSBA

    factories: dict[str, Callable[[], object]] = {
        "AutoETS": lambda: AutoETS(season_length=7),
        "AutoARIMA": lambda: AutoARIMA(season_length=52),
        "ADIDA": ADIDA,
        "CrostonSBA": CrostonSBA,
        "TSB": lambda: TSB(alpha_d=0.1, alpha_p=0.1),
    }
    return factories[name]()


def weekly_sums(daily: np.ndarray) -> np.ndarray:
    """7-day blocks ending on the last day (a leading partial block is dropped)."""
    usable = len(daily) - len(daily) % 7
    return daily[len(daily) - usable :].reshape(-1, 7).sum(axis=1)


def peer_frame(series: dict[str, tuple[date, np.ndarray]], weekly: bool) -> pd.DataFrame:
    frames = []
    for uid, (last, values) in series.items():
        y = weekly_sums(values) if weekly else values
        step = 7 if weekly else 1
        ds = pd.to_datetime(last) - pd.to_timedelta(np.arange(len(y))[::-1] * step, unit="D")
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y.astype(np.float64)}))
    return pd.concat(frames, ignore_index=True)


def run_peer(name: str, frame: pd.DataFrame, weekly: bool) -> dict[str, float]:
    """30-day sums per unique_id (NaN where the model produced nothing usable)."""
    from statsforecast import StatsForecast

    h = 5 if weekly else HORIZON
    engine = StatsForecast(models=[peer_model(name)], freq="7D" if weekly else "D", n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = engine.forecast(df=frame, h=h)
    values = out.groupby("unique_id", sort=False)[out.columns[-1]].apply(list)
    weights = np.array([1, 1, 1, 1, 2 / 7]) if weekly else np.ones(HORIZON)
    return {str(uid): float(np.dot(np.asarray(v[:h]), weights)) for uid, v in values.items()}


def peer_sums(name: str, series: dict[str, tuple[date, np.ndarray]]) -> dict[str, float]:
    """One StatsForecast call for every series; if it raises, one call per series, so a
    series the model cannot handle is the only one lost."""
    weekly = name == "AutoARIMA"
    try:
        return run_peer(name, peer_frame(series, weekly), weekly)
    except Exception:  # a failing peer falls back per series below
        sums: dict[str, float] = {}
        for uid, one in series.items():
            try:
                sums.update(run_peer(name, peer_frame({uid: one}, weekly), weekly))
            except Exception:  # counted as a fallback by the caller
                sums[uid] = math.nan
        return sums


def forecast_peers(cases: list[Case]) -> tuple[Counter[str], dict[str, float]]:
    """Each peer's 30-day sums into the cases; fallbacks and seconds per peer."""
    series: dict[str, tuple[date, np.ndarray]] = {}
    for case in cases:
        series[f"{case.key}:inflow"] = (case.origin, case.history_in)
        series[f"{case.key}:outflow"] = (case.origin, case.history_out)
    fallbacks: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    for name in PEERS:
        started = time.perf_counter()
        sums = peer_sums(name, series)
        seconds[name] = time.perf_counter() - started
        for case in cases:
            for flow in ("inflow", "outflow"):
                value = sums.get(f"{case.key}:{flow}", math.nan)
                if not math.isfinite(value):
                    fallbacks[name] += 1
                    value = case.point["naive", flow]
                case.point[name, flow] = max(value, 0.0)
            case.point[name, "net"] = case.point[name, "inflow"] - case.point[name, "outflow"]
    return fallbacks, seconds


# --- tables -------------------------------------------------------------------------------


def groups(cases: list[Case], patterns: Iterable[str]) -> list[tuple[str, list[Case]]]:
    by: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by[case.pattern].append(case)
    return [(p, by[p]) for p in patterns if by[p]] + [("all", cases)]


def mae(cases: list[Case], method: str, flow: str) -> float:
    return statistics.fmean(abs(c.point[method, flow] - c.actual[flow, HORIZON]) for c in cases)


def mark(ok: bool, text: str) -> str:
    return f"[green]{text}[/]" if ok else f"[red]{text}[/]"


def resampled_ratio(
    cases: list[Case], numerator: list[float], denominator: list[float]
) -> tuple[float, float]:
    """The 90% interval of sum(numerator) / sum(denominator) (one value of each per case)
    when the users are resampled with replacement (RESAMPLES times; a fixed seed, so a rerun
    prints the same interval). How far a pattern's figure from 32 forecasts of 8 users can
    move by which 8 users happened to be drawn."""
    person: dict[tuple[str, int, int], int] = {}
    for case in cases:
        person.setdefault((case.person.family, case.person.seed, case.person.index), len(person))
    if not person:
        return math.nan, math.nan
    owner = np.array([person[c.person.family, c.person.seed, c.person.index] for c in cases])
    top = np.bincount(owner, weights=numerator, minlength=len(person))
    bottom = np.bincount(owner, weights=denominator, minlength=len(person))
    pick = np.random.default_rng(0).integers(0, len(person), size=(RESAMPLES, len(person)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = top[pick].sum(axis=1) / bottom[pick].sum(axis=1)
    low, high = np.nanpercentile(ratios, [5, 95])
    return float(low), float(high)


def judged(value: float, interval: tuple[float, float], low: float, high: float, text: str) -> str:
    """`text` green inside [low, high]; outside it, red where the 90% interval stays outside
    too, yellow where the interval reaches the target (a miss the sample cannot tell from
    chance)."""
    if low <= value <= high:
        return f"[green]{text}[/]"
    if interval[1] < low or interval[0] > high:
        return f"[red]{text}[/]"
    return f"[yellow]{text}[/]"


def ratio_table(family: str, cases: list[Case], patterns: tuple[str, ...], flow: str) -> None:
    table = Table(title=f"1. {family}: MAE of the 30-day {flow} / MAE of seasonal naive")
    names = ("pattern", "n", "naive MAE ₹", "ours", *PEERS, "best peer", "ours/best", "90% CI")
    for name in names:
        table.add_column(name, justify="left" if name in ("pattern", "best peer") else "right")
    for pattern, rows in groups(cases, patterns):
        naive = mae(rows, "naive", flow)
        errors = {m: mae(rows, m, flow) for m in ("ours", *PEERS)}
        best = min(PEERS, key=lambda m: errors[m])
        versus = errors["ours"] / errors[best] if errors[best] else math.inf
        interval = resampled_ratio(
            rows,
            [abs(c.point["ours", flow] - c.actual[flow, HORIZON]) for c in rows],
            [abs(c.point[best, flow] - c.actual[flow, HORIZON]) for c in rows],
        )
        cells = [f"{errors[m] / naive:.2f}" if naive else "-" for m in ("ours", *PEERS)]
        if pattern == "all":
            cells[0] = mark(naive > 0 and errors["ours"] / naive < 0.85, cells[0])
            best_cell = judged(versus, interval, 0.0, 1.0, f"{versus:.2f}")
        else:
            best_cell = judged(versus, interval, 0.0, 1.1, f"{versus:.2f}")
        table.add_row(
            pattern,
            str(len(rows)),
            f"{naive:,.0f}",
            *cells,
            best,
            best_cell,
            f"{interval[0]:.2f}-{interval[1]:.2f}",
            style="bold" if pattern == "all" else None,
        )
    table.caption = (
        "targets: all ours < 0.85 and ours/best <= 1.00; each pattern ours/best <= 1.10. "
        "90% CI: users resampled (best peer fixed); yellow = missed, but the CI reaches the target"
    )
    console.print(table)


def covered(case: Case, flow: str, h: int) -> bool | None:
    _, low, high = case.ours[flow, h]
    if low is None or high is None:
        return None
    return low <= case.actual[flow, h] <= high


def coverage_value(cases: list[Case], flows: tuple[str, ...], horizons: tuple[int, ...]) -> float:
    hits = [covered(c, f, h) for c in cases for f in flows for h in horizons]
    known = [x for x in hits if x is not None]
    return statistics.fmean(known) if known else math.nan


def coverage_tables(family: str, cases: list[Case], patterns: tuple[str, ...]) -> None:
    flows: tuple[str, ...] = ("inflow", "net")
    if any(covered(c, "outflow", HORIZON) is not None for c in cases):
        flows = ("inflow", "outflow", "net")
    table = Table(title=f"2. {family}: 80% interval coverage (actual inside \\[low, high])")
    table.add_column("pattern")
    table.add_column("n", justify="right")
    for flow in flows:
        for h in HORIZONS:
            table.add_column(f"{flow} {h}d", justify="right")
    for pattern, rows in groups(cases, patterns):
        cells = []
        for flow in flows:
            for h in HORIZONS:
                value = coverage_value(rows, (flow,), (h,))
                low, high = (0.75, 0.85) if pattern == "all" else (0.70, 0.90)
                known = [c for c in rows if covered(c, flow, h) is not None]
                interval = resampled_ratio(
                    known, [float(bool(covered(c, flow, h))) for c in known], [1.0] * len(known)
                )
                text = f"{value:.0%} ({100 * interval[0]:.0f}-{100 * interval[1]:.0f})"
                cells.append(judged(value, interval, low, high, text))
        table.add_row(pattern, str(len(rows)), *cells, style="bold" if pattern == "all" else None)
    table.caption = (
        "target 75-85% overall (bold row); pattern cells marked against 70-90%; in brackets "
        "the 90% CI with users resampled (yellow = missed, but the CI reaches the target)"
    )
    console.print(table)

    seasonal = Table(
        title=f"2b. {family}: coverage per pattern per season of the origin, "
        f"{' / '.join(flows)} (7/30/60 pooled), forecasts per cell"
    )
    seasonal.add_column("pattern")
    for season in SEASONS:
        seasonal.add_column(season, justify="right")
    for pattern, rows in groups(cases, patterns):
        cells = []
        for season in SEASONS:
            inside = [c for c in rows if c.season == season]
            if not inside:
                cells.append("-")
                continue
            parts = []
            for flow in flows:
                value = coverage_value(inside, (flow,), HORIZONS)
                parts.append(mark(0.70 <= value <= 0.90, f"{value:.0%}"))
            cells.append(f"{' / '.join(parts)} ({len(inside)})")
        seasonal.add_row(pattern, *cells, style="bold" if pattern == "all" else None)
    seasonal.caption = "target 70-90% in every cell"
    console.print(seasonal)


def brier(cases: list[Case], p: Callable[[Case], float]) -> float:
    return statistics.fmean((p(c) - c.went_short) ** 2 for c in cases)


def shortfall_tables(family: str, cases: list[Case], patterns: tuple[str, ...]) -> None:
    base_rate = statistics.fmean(c.went_short for c in cases)
    table = Table(
        title=f"3. {family}: 30-day shortfall probability vs the balance going below zero "
        f"(base rate {base_rate:.1%})"
    )
    for name in ("pattern", "n", "went short", "mean p", "Brier", "Brier base", "skill"):
        table.add_column(name, justify="left" if name == "pattern" else "right")
    for pattern, rows in groups(cases, patterns):
        score = brier(rows, lambda c: c.shortfall)
        base = brier(rows, lambda c: base_rate)
        skill = 1 - score / base if base else math.nan
        skill_cell = f"{skill:.2f}" if math.isfinite(skill) else "-"
        if pattern == "all":
            skill_cell = mark(skill > 0.1, skill_cell)
        table.add_row(
            pattern,
            str(len(rows)),
            f"{statistics.fmean(c.went_short for c in rows):.0%}",
            f"{statistics.fmean(c.shortfall for c in rows):.0%}",
            f"{score:.3f}",
            f"{base:.3f}",
            skill_cell,
            style="bold" if pattern == "all" else None,
        )
    table.caption = "skill = 1 - Brier / Brier of the family's base rate; target > 0.1"
    console.print(table)

    reliability = Table(title=f"3b. {family}: reliability of the 30-day shortfall probability")
    for name in ("predicted", "count", "mean predicted", "observed share"):
        reliability.add_column(name, justify="right")
    tenth = np.minimum((np.array([c.shortfall for c in cases]) * 10).astype(int), 9)
    for k in range(10):
        rows = [c for c, t in zip(cases, tenth, strict=True) if t == k]
        if not rows:
            reliability.add_row(f"{k / 10:.1f}-{(k + 1) / 10:.1f}", "0", "-", "-")
            continue
        reliability.add_row(
            f"{k / 10:.1f}-{(k + 1) / 10:.1f}",
            str(len(rows)),
            f"{statistics.fmean(c.shortfall for c in rows):.2f}",
            f"{statistics.fmean(c.went_short for c in rows):.2f}",
        )
    console.print(reliability)


SHORTFALL_BANDS = ((0.1, 0.2), (0.2, 0.3), (0.3, 0.5), (0.5, 0.9))


def shortfall_bands(cases: list[Case]) -> None:
    """Both families pooled: of the forecasts whose 30-day shortfall probability fell in a
    band, the share that did go below zero (the 20-30% band should be about a quarter)."""
    table = Table(title="3c. both families: forecasts by 30-day shortfall probability")
    for name in ("said", "count", "mean said", "went below zero"):
        table.add_column(name, justify="right")
    for low, high in SHORTFALL_BANDS:
        rows = [c for c in cases if low <= c.shortfall < high]
        went = sum(c.went_short for c in rows)
        table.add_row(
            f"{low:.0%}-{high:.0%}",
            str(len(rows)),
            f"{statistics.fmean(c.shortfall for c in rows):.0%}" if rows else "-",
            f"{went} ({went / len(rows):.0%})" if rows else "-",
        )
    console.print(table)


def risk_table(family: str, cases: list[Case]) -> None:
    table = Table(title=f"4. {family}: 30-day risk level vs going below zero in the 30 days")
    for name in ("level", "count", "share of forecasts", "went short"):
        table.add_column(name, justify="left" if name == "level" else "right")
    for level in LEVELS:
        rows = [c for c in cases if c.risk == level]
        short = f"{statistics.fmean(c.went_short for c in rows):.0%}" if rows else "-"
        table.add_row(level, str(len(rows)), f"{len(rows) / len(cases):.0%}", short)
    console.print(table)


def latency(cases_by_family: dict[str, list[Case]], batch: tuple[float, float, int]) -> None:
    table = Table(title="5. Latency of compute_outlook (all three horizons)")
    for name in ("what", "forecasts", "p50 ms", "p95 ms", "users/s", "seconds"):
        table.add_column(name, justify="left" if name == "what" else "right")
    everything = []
    for family, cases in cases_by_family.items():
        ms = [c.ms for c in cases]
        everything += ms
        p50, p95 = statistics.median(ms), float(np.percentile(ms, 95, method="nearest"))
        table.add_row(f"cold, in process: {family}", str(len(ms)), f"{p50:.0f}", f"{p95:.0f}")
    both_p95 = float(np.percentile(everything, 95, method="nearest"))
    table.add_row("cold, in process: both", str(len(everything)),
                  f"{statistics.median(everything):.0f}", f"{both_p95:.0f}",
                  "", "")  # fmt: skip
    seconds, warm_up, users = batch
    table.add_row(
        f"batch: {users} users, ProcessPoolExecutor(2), warmed",
        str(users),
        "",
        "",
        f"{users / seconds:.1f}",
        mark(seconds < 8, f"{seconds:.1f}"),
    )
    table.add_row("  (pool start-up and warm-up, not counted)", "", "", "", "", f"{warm_up:.1f}")
    table.caption = "target: the batch of 100 under 8 s"
    console.print(table)


def batch_latency(cases: list[Case]) -> tuple[float, float, int]:
    """100 users' outlooks (ledgers at the latest origin, cycling if there are fewer users)
    in a pool of 2 processes; returns (seconds, start-up seconds, users)."""
    latest: dict[tuple[str, int, int], Case] = {}
    for case in cases:
        key = (case.person.family, case.person.seed, case.person.index)
        if key not in latest or case.origin > latest[key].origin:
            latest[key] = case
    people = list(latest.values())
    work = [people[k % len(people)].person.ledger(people[k % len(people)].origin)
            for k in range(BATCH_USERS)]  # fmt: skip
    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(outlook_in_worker, work[:2]))  # start both processes and import
        warm_up = time.perf_counter() - started
        started = time.perf_counter()
        list(pool.map(outlook_in_worker, work))
        seconds = time.perf_counter() - started
    return seconds, warm_up, len(work)


def report_family(
    family: str,
    cases: list[Case],
    patterns: tuple[str, ...],
    fallbacks: Counter[str],
    seconds: dict[str, float],
) -> None:
    console.rule(f"[bold]{family}")
    fits = ", ".join(f"{name} {seconds[name]:.0f} s" for name in PEERS)
    falls = ", ".join(f"{name} {fallbacks[name]}" for name in PEERS)
    console.print(f"peers fitted on {2 * len(cases)} series: {fits}")
    console.print(f"peer fallbacks to seasonal naive (series): {falls}")
    for flow in FLOWS:
        ratio_table(family, cases, patterns, flow)
    coverage_tables(family, cases, patterns)
    shortfall_tables(family, cases, patterns)
    risk_table(family, cases)


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if TUNING_SEED in seeds:
        raise SystemExit(f"seed {TUNING_SEED} is the one the model was tuned on: not here")
    per_pattern = 2 if args.quick else args.users_per_pattern
    console.print(
        f"seeds {seeds}, {per_pattern} users per pattern per family, origins "
        f"{', '.join(str(o) for o in ORIGINS)} (forecasts cover the 60 days after each), "
        f"outlook seed {OUTLOOK_SEED}"
    )
    families = {
        "generator": (generator_people(per_pattern, seeds), PATTERNS),
        "histories": (histories_people(per_pattern, seeds), histories.PATTERNS),
    }
    cases_by_family: dict[str, list[Case]] = {}
    for family, (people, _) in families.items():
        cases = [make_case(person, origin) for person in people for origin in ORIGINS]
        for case in cases:
            forecast_ours(case)
        cases_by_family[family] = cases
        used = defaultdict(list)
        for person in people:
            used[person.seed].append(person.index)
        indexes = "; ".join(f"seed {seed}: users {sorted(found)}" for seed, found in used.items())
        console.print(f"{family}: {len(people)} users ({indexes}), {len(cases)} forecasts made")
    reports = []
    for family, cases in cases_by_family.items():
        fallbacks, seconds = forecast_peers(cases)
        reports.append((family, cases, families[family][1], fallbacks, seconds))
    for report in reports:
        report_family(*report)
    all_cases = [c for cases in cases_by_family.values() for c in cases]
    shortfall_bands(all_cases)
    latency(cases_by_family, batch_latency(all_cases))
    console.print(f"bench.forecast_accuracy took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users-per-pattern", type=int, default=8, help="per family")
    parser.add_argument("--seeds", default="29,37", help="held-out job seeds (never 11)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 users a pattern")
    main(parser.parse_args())
