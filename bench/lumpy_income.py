"""Lumpy, drifting and stopping income on histories built from first principles: the 30-day
inflow forecast of `compute_outlook` against seasonal naive and statsforecast's ADIDA, TSB and
AutoETS fitted on the same daily inflow, and how often its 80% intervals of the 30-day inflow
and net (inflow less spending) held.

    .venv/bin/python -m bench.lumpy_income [--users 20]

(needs the `bench` extra for the peers.) Each history is 660 days (`bench.late_payers`'
frame: everyday spending, two shop visits a day) with one kind of income, cut at an origin
540-600 days in (but see the seasonal kinds); `--users` histories of each kind:

* shrinking clientele: six clients, each with a project every 20-70 days paid 30-45 days
  after it (log-normal, about 25,000), each leaving for good after an exponential time of
  mean 900 days (about half gone by the origin, none replaced);
* platform rate cut / growth: a weekly payout whose level falls by 30-60% or rises by
  30-80% over the history (log-normal noise, sd 0.3);
* rare big projects: a payment of about 80,000 (log-normal, sd 0.6) after exponential gaps
  of mean 40 days, so about half of all 30-day windows bring nothing;
* client stops: a monthly retainer (due day + 0-3 days) that stops for good somewhere in
  days 420-640, beside small gigs on 8% of days;
* school-year tutor: eight students' fees (about 3,000 each, on days 1-10 of the month) from
  July to March, nothing from April to June; each July 30% of the students are new;
* wedding season: shoots paid about 40,000 each, four a month from November to February and
  0.4 a month otherwise, each by a new client;
* wedding, advances, spending follows: the same shoots, each paid as a 30% advance 20-60 days
  before it and the balance 0-10 days after; on about half the days a purchase that spends
  SPENT_SHARE of the last 30 days' income (beside the everyday shopping), so the busy
  season's spending follows its income.
The three seasonal kinds have 900 days of history and origins spread over a whole year (days
540-870), so that forecasts are made going into and out of their seasons.

"net held" counts a forecast whose 30-day net interval held the income less all spending of
those days. Where a 30-day window often brings no income at all (rare big projects, a
clientele that leaves), it holds less often than the inflow's: an inflow interval from 0
holds every empty window, and the net's low end then depends on how often the paths say a
window is empty (2026-12-07: rare big projects inflow 85%, net 65%).

These were written for this bench from the description of each problem, not from
`bench.histories` (the independent family of `bench.forecast_accuracy`, never tuned on); they
are for tuning, so their figures are not evidence of held-out accuracy.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from bench.late_payers import DAYS, START, cut, ledger_of
from gql_server.core.outlook import Surroundings, compute_outlook
from gql_server.core.series import Ledger

KINDS = ("shrinking clientele", "platform rate cut", "platform growth", "rare big projects",
         "client stops", "school-year tutor", "wedding season",
         "wedding, advances, spending follows")  # fmt: skip
SEASONAL = ("school-year tutor", "wedding season", "wedding, advances, spending follows")
FOLLOWS = ("wedding, advances, spending follows",)
SPENT_SHARE = 0.4  # of the last 30 days' income, spent over the next days where it follows
SEASONAL_DAYS = 900  # two and a half years, so that origins spread over a whole year
SCHOOL_MONTHS = (7, 8, 9, 10, 11, 12, 1, 2, 3)  # fees from July to March
WEDDING_MONTHS = (11, 12, 1, 2)
PEERS = ("ADIDA", "TSB", "AutoETS")
HORIZON = 30
console = Console(width=160)


def income(kind: str, rng: np.random.Generator, days: int) -> list[tuple[int, float, str]]:
    """(day, rupees, payer) of one kind of income over `days` days (module docstring)."""
    rows: list[tuple[int, float, str]] = []
    months = np.datetime64(START, "M") + np.arange(days // 28 + 2)
    firsts = (months.astype("datetime64[D]") - np.datetime64(START, "D")).astype(int)
    month_of_year = months.astype(int) % 12 + 1
    if kind == "shrinking clientele":
        for client in range(6):
            leaves = rng.exponential(900)
            done = int(rng.integers(0, 40))
            while done < days:
                paid = done + int(rng.integers(30, 46))
                if paid < days and done < leaves:
                    rows.append((paid, float(rng.lognormal(10.0, 0.5)), f"Client {client}"))
                done += int(rng.integers(20, 71))
    elif kind in ("platform rate cut", "platform growth"):
        change = -rng.uniform(0.3, 0.6) if kind == "platform rate cut" else rng.uniform(0.3, 0.8)
        start = 15_000.0 if change < 0 else 10_000.0
        for day in range(int(rng.integers(0, 7)), days, 7):
            level = start * (1 + change * day / days)
            rows.append((day, float(level * rng.lognormal(0, 0.3)), "Platform"))
    elif kind == "rare big projects":
        day = int(rng.integers(0, 40))
        while day < days:
            rows.append((day, float(rng.lognormal(11.3, 0.6)), f"Studio {rng.integers(30)}"))
            day += int(rng.exponential(40)) + 1
    elif kind == "client stops":
        due, stop = int(rng.integers(1, 28)), int(rng.integers(420, 640))
        amount = float(rng.uniform(30_000, 80_000))
        for month in range(days // 30 + 1):
            day = month * 30 + due + int(rng.integers(0, 4))
            if day < min(days, stop):
                rows.append((day, amount, "Acme Retainer"))
        for day in range(days):
            if rng.random() < 0.08:
                rows.append((day, float(rng.lognormal(8.5, 0.5)), f"Gig {rng.integers(20)}"))
    elif kind == "school-year tutor":
        students = [f"Parent {i}" for i in range(8)]
        for first, month in zip(firsts.tolist(), month_of_year.tolist(), strict=True):
            if month == 7:  # a new school year: some students leave, new ones come
                students = [
                    name if rng.random() > 0.3 else f"Parent {rng.integers(10_000)}"
                    for name in students
                ]
            if month not in SCHOOL_MONTHS:
                continue
            for name in students:
                day = first + int(rng.integers(0, 10))
                if 0 <= day < days:
                    rows.append((day, float(rng.lognormal(8.0, 0.2)), name))
    elif kind == "wedding season":
        for first, month in zip(firsts.tolist(), month_of_year.tolist(), strict=True):
            rate = 4.0 if month in WEDDING_MONTHS else 0.4
            for _ in range(rng.poisson(rate)):
                day = first + int(rng.integers(0, 28))
                if 0 <= day < days:
                    rows.append(
                        (day, float(rng.lognormal(10.5, 0.5)), f"Couple {rng.integers(10_000)}")
                    )
    elif kind == "wedding, advances, spending follows":
        for first, month in zip(firsts.tolist(), month_of_year.tolist(), strict=True):
            rate = 4.0 if month in WEDDING_MONTHS else 0.4
            for _ in range(rng.poisson(rate)):
                shoot = first + int(rng.integers(0, 28))
                fee, couple = float(rng.lognormal(10.5, 0.5)), f"Couple {rng.integers(10_000)}"
                for day, share in (
                    (shoot - int(rng.integers(20, 61)), 0.3),
                    (shoot + int(rng.integers(0, 11)), 0.7),
                ):
                    if 0 <= day < days:
                        rows.append((day, round(fee * share, 2), couple))
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return rows


def following(
    paid: list[tuple[int, float, str]], rng: np.random.Generator, days: int
) -> list[tuple[int, float, str]]:
    """Discretionary spending that follows income: on about half the days a purchase whose
    mean is SPENT_SHARE of the last 30 days' income spread over those days, so a busy month
    is followed by a spending month and a lean one by a thrifty one."""
    daily = np.zeros(days)
    for day, amount, _ in paid:
        daily[day] += amount
    last30 = np.convolve(daily, np.ones(30))[:days]
    rows = []
    for day in range(1, days):
        if rng.random() < 0.5 and last30[day - 1] > 0:
            mean = 2 * SPENT_SHARE * last30[day - 1] / 30
            rows.append((day, round(float(mean * rng.lognormal(-0.125, 0.5)), 2), "Mall"))
    return rows


def history(kind: str, seed: int) -> tuple[Ledger, np.ndarray]:
    """The whole history as a ledger (as_of its last day) and its merchants."""
    rng = np.random.default_rng(seed)
    days = SEASONAL_DAYS if kind in SEASONAL else DAYS
    paid = income(kind, rng, days)
    rows = [(d, amount, True, "Freelance", payer) for d, amount, payer in paid]
    if kind in FOLLOWS:
        rows += [
            (d, amount, False, "Shopping", shop) for d, amount, shop in following(paid, rng, days)
        ]
    for day in range(days):
        for _ in range(rng.poisson(2)):
            shop = f"Shop {rng.integers(8)}"
            rows.append((day, float(rng.lognormal(6, 0.8)), False, "Food", shop))
    return ledger_of(rows, 300_000.0, days)


@dataclass
class Case:
    kind: str
    actual: float
    naive: float
    ours: float
    inside: bool
    net_inside: bool
    model: str
    daily: np.ndarray  # the inflow up to the origin, for the peers


def make_case(kind: str, k: int) -> Case:
    ledger, merchants = history(kind, 7919 * k + KINDS.index(kind))
    origin = 540 + (67 * k) % 330 if kind in SEASONAL else 540 + (7 * k) % 60
    past, names = cut(ledger, merchants, origin)
    after = ledger.day_numbers - ledger.day_numbers.min()
    came = (after > origin) & (after <= origin + HORIZON) & ledger.is_income
    income = past.is_income
    day = past.day_numbers[income] - ledger.day_numbers.min()
    daily = np.bincount(day, weights=past.amount[income], minlength=origin + 1)
    outlook = compute_outlook(past, seed=7, surroundings=Surroundings(merchants=names))
    h = next(f for f in outlook.forecast.horizons if f.horizon_days == HORIZON)
    actual = float(ledger.amount[came].sum())
    spent = (after > origin) & (after <= origin + HORIZON) & ~ledger.is_income
    net = actual - float(ledger.amount[spent].sum())
    return Case(
        kind=kind,
        actual=actual,
        naive=float(daily[-HORIZON:].sum()),
        ours=h.expected_inflow,
        inside=h.inflow_low <= actual <= h.inflow_high,
        net_inside=h.net_low <= net <= h.net_high,
        model=outlook.forecast.model.split("(")[0].replace(" weekly", ""),
        daily=daily,
    )


def peer_sums(cases: list[Case]) -> dict[str, list[float]]:
    """Each peer's 30-day inflow sum per case, clipped at 0 (one call per peer)."""
    from statsforecast import StatsForecast
    from statsforecast.models import ADIDA, TSB, AutoETS

    frame = pd.concat(
        pd.DataFrame(
            {"unique_id": i, "ds": pd.date_range("2020-01-01", periods=len(c.daily)), "y": c.daily}
        )
        for i, c in enumerate(cases)
    )
    models = {"ADIDA": ADIDA(), "TSB": TSB(alpha_d=0.1, alpha_p=0.1), "AutoETS": AutoETS(7)}
    sums = {}
    for name in PEERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = StatsForecast(models=[models[name]], freq="D", n_jobs=1).forecast(
                df=frame, h=HORIZON
            )
        by_case = out.groupby("unique_id")[out.columns[-1]].sum().clip(lower=0)
        sums[name] = [float(by_case[i]) for i in range(len(cases))]
    return sums


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    cases = [make_case(kind, k) for kind in KINDS for k in range(args.users)]
    peers = peer_sums(cases)
    table = Table(title=f"30-day inflow, {args.users} histories per kind: MAE / naive MAE")
    for column in (
        "income",
        "naive MAE ₹",
        "ours",
        *PEERS,
        "ours/best",
        "80% held",
        "net held",
        "models",
    ):
        table.add_column(column, justify="left" if column in ("income", "models") else "right")
    for kind in (*KINDS, "all"):
        rows = [i for i, c in enumerate(cases) if kind in ("all", c.kind)]
        naive = float(np.mean([abs(cases[i].naive - cases[i].actual) for i in rows]))
        ours = float(np.mean([abs(cases[i].ours - cases[i].actual) for i in rows]))
        theirs = {
            p: float(np.mean([abs(peers[p][i] - cases[i].actual) for i in rows])) for p in PEERS
        }
        models = Counter(cases[i].model for i in rows)
        table.add_row(
            kind,
            f"{naive:,.0f}",
            f"{ours / naive:.2f}",
            *(f"{theirs[p] / naive:.2f}" for p in PEERS),
            f"{ours / min(theirs.values()):.2f}",
            f"{np.mean([cases[i].inside for i in rows]):.0%}",
            f"{np.mean([cases[i].net_inside for i in rows]):.0%}",
            ", ".join(f"{m} {n}" for m, n in models.most_common()),
        )
    console.print(table)
    console.print(f"bench.lumpy_income took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20, help="histories per kind of income")
    main(parser.parse_args())
