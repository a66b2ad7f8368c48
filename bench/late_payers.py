"""Income at a rhythm (`gql_server.core.known_money.rhythm`) on histories built from first
principles: the forecast with rhythms against the same forecast without them, and against an
oracle that knows how the histories were made.

    .venv/bin/python -m bench.late_payers [--users 30]

Each history is 660 days of a client's payments (of three, for two kinds), everyday spending
(two shop visits a day, log-normal amounts) and a gig now and then (5% of days), cut at an
origin 540-600 days in (the retainers: at the end of its month, day 546, 577 or 608); the 7-
and 30-day inflow forecasts of `compute_outlook` are scored against what came. Seven kinds of
client, `--users` histories each:

* due monthly, paid late: due on a random day of the month, paid min(Exp(mean), 25) days
  after it, for a mean lateness of 1 (on time: detection schedules it), 4 and 10 days;
* a renewal: each payment 30.4 +- 8 days after the last (drifting through the month);
* due monthly, lateness of mean 4, a month in ten (never two in a row) passed and paid with
  the next one;
* three clients' invoices: a project every 20-70 days each, paid 30-45 days after it (no
  rhythm: a control, where rhythms must not make the forecast worse);
* one to three retainers, each due on its own day of the month and paid 0-20 days late
  (uniform), a month in ten passed and paid with the next, cut at a month's end:
  `bench.forecast_accuracy`'s independent family has such a pattern (retainer_late, written
  here from its description only; that family is never tuned on), where the weekly
  AutoARIMA peer beat this forecast by far (ours / best 1.58, 90% interval 1.16-2.01).

"without" is the same code with rhythms switched off (`rhythm.MIN_GAP` out of reach, and no
series `paid_late`: the client is scheduled when detection finds it, else left to the weekly
model, as before rhythms). The oracle (due monthly, no month passed) knows the due day, the
lateness distribution and whether this month is paid, and forecasts the expected number of
payments in each horizon; its error is what no model can avoid, on the client alone (the gigs
add their own). These histories were written for this
bench from the description of the problem, not from `bench.histories` (the independent family
of `bench.forecast_accuracy`, never tuned on).

With the bench extra installed (statsforecast), a second table puts the 30-day inflow beside
peers fitted on the same daily inflow up to the origin, as `bench.forecast_accuracy` fits them:
seasonal naive (the 30 days before the origin again), ADIDA and AutoARIMA on weekly sums;
each as MAE over seasonal naive's, and ours over the best peer's.

What the retainers showed on 2026-12-07, 30-day inflow. Here with --users 100: MAE over
naive's ours 0.51, AutoARIMA 0.49, ADIDA 0.68 (ours / best 1.03). In scratch runs of the
same process on other seeds, 150 histories at month-end origins: ours 0.52, AutoARIMA 0.46,
ADIDA 0.68 (at origins on any day of the month, ours 0.58 and AutoARIMA 0.56): the same
direction as the held-out pattern, not as far. Of 60 of them, where every retainer was
taken as a rhythm (44) ours and AutoARIMA erred alike (25,338 / 24,550 rupees); where one
was not (16), 30,002 / 21,313: with lateness of 0-20 days, a late payment after an early
one makes a gap of 46-51 days, which `rhythm.anchored` sets aside as a month passed over,
and without those gaps the lateness looks too unsteady for a client due monthly. Counting
the gaps between payments of consecutive months instead found those clients (150
retainers: 28,608 -> 28,151) but took more renewals for clients due monthly (this bench,
--users 100: renewal 19,511 -> 20,658, all kinds' 30-day MAE summed +0.6%): not kept. Where
this month is unpaid and later than any lateness seen, the forecast gives the client a
chance of having stopped (`STOP_HAZARD`, 2% a month) that these histories, whose clients
never stop, do not share. Nor did a prior on months passed help (half a passed month added
to every client's count, and a passed month paid with the next until seen otherwise: 60
retainers 26,581 -> 27,137).

The default run takes about 2 minutes on 2 cores with the bench extra (5.5 with --users 100),
most of it AutoARIMA's fits; 30 seconds without it.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, timedelta
from unittest.mock import patch

import numpy as np
from rich.console import Console
from rich.table import Table

from gql_server.core.known_money import plan, rhythm
from gql_server.core.outlook import Surroundings, compute_outlook
from gql_server.core.series import Ledger, changed

START = date(2024, 1, 1)
DAYS = 660
HORIZONS = (7, 30)
PEER_HORIZON = 30
CAP = 25  # the latest a late payment comes, in days after its due day
GIG_CHANCE, GIG_MU, GIG_SIGMA = 0.05, 8.0, 0.5  # a gig on 5% of days, log-normal rupees
INVOICE_CLIENTS = 3
RETAINERS = "1-3 retainers, paid 0-20 days late, 1 month in 10 passed"
MAX_RETAINERS, MAX_LATE = 3, 20
PEERS = ("ADIDA", "AutoARIMA")  # beside seasonal naive, computed here
# (name, mean lateness: 0 a renewal, -1 invoices, -2 the retainers; share of months passed,
# paid with the next)
KINDS = (("due monthly, lateness mean 1", 1.0, 0.0), ("due monthly, lateness mean 4", 4.0, 0.0),
         ("due monthly, lateness mean 10", 10.0, 0.0), ("renewal, 30.4 +- 8 days", 0.0, 0.0),
         ("3 clients' invoices, net 30-45", -1.0, 0.0),
         ("due monthly, lateness mean 4, 1 month in 10 passed", 4.0, 0.1),
         (RETAINERS, -2.0, 0.1))  # fmt: skip
console = Console(width=120)


def client_days(
    rng: np.random.Generator, mean_late: float, passed: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paying days (from START), the due days they pay (empty for a renewal) and the months
    each pays: a month is passed with chance `passed` (not two in a row) and paid with the
    next one."""
    if mean_late <= 0:
        gaps = np.clip(np.round(rng.normal(30.4, 8.0, 40)), 12, 60).astype(int)
        paid = np.cumsum(np.concatenate([[int(rng.integers(0, 30))], gaps]))
        return paid, np.zeros(0, dtype=int), np.ones(len(paid), dtype=int)

    def late(months: int) -> np.ndarray:
        return np.minimum(rng.exponential(mean_late, months), CAP).astype(int)

    return due_monthly(rng, late, passed)


def due_monthly(
    rng: np.random.Generator, late: Callable[[int], np.ndarray], passed: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A client due on a random day of the month (1-28), each month paid `late(months)` days
    after it; paying days, the due days they pay and the months each pays (see
    `client_days`)."""
    due = int(rng.integers(1, 29))
    months = np.datetime64(START, "M") + np.arange(DAYS // 28 + 2)
    due_days = (months.astype("datetime64[D]") - np.datetime64(START, "D")).astype(int) + due - 1
    lateness = late(len(due_days))
    skipped = np.zeros(len(due_days), dtype=bool)
    if passed > 0:  # (no draw otherwise: the other kinds' histories stay as they were)
        skipped = rng.random(len(due_days)) < passed
    skipped[1:] &= ~skipped[:-1]  # not two in a row
    skipped[-1] = False
    covers = 1 + np.concatenate([[0], skipped[:-1]]).astype(int)
    return (due_days + lateness)[~skipped], due_days[~skipped], covers[~skipped]


def invoices(rng: np.random.Generator) -> list[tuple[int, float, bool, str, str]]:
    """INVOICE_CLIENTS clients, each with a project every 20-70 days (uniform), invoiced at
    the end of it (log-normal, about 36,000) and paid 30-45 days later: no day of the month
    and no steady gap, the kind of income rhythms must leave alone."""
    rows = []
    for client in range(INVOICE_CLIENTS):
        done = int(rng.integers(0, 40))
        while done < DAYS:
            paid = done + int(rng.integers(30, 46))
            if paid < DAYS:
                rows.append((paid, float(rng.lognormal(10.5, 0.5)), True, "Freelance",
                             f"Client {client}"))  # fmt: skip
            done += int(rng.integers(20, 71))
    return rows


def retainers(rng: np.random.Generator, passed: float) -> list[tuple[int, float, bool, str, str]]:
    """One to MAX_RETAINERS clients, each due on its own day of the month (1-28), paid 0 to
    MAX_LATE days late (uniform), each month passed with chance `passed` (never two in a
    row) and paid with the next one, at its own amount (20,000-70,000)."""
    rows = []
    for client in range(int(rng.integers(1, MAX_RETAINERS + 1))):
        paid, _, covers = due_monthly(rng, lambda n: rng.integers(0, MAX_LATE + 1, n), passed)
        amount = float(rng.uniform(20_000, 70_000))
        for day, months_paid in zip(paid, covers, strict=True):
            if day < DAYS:
                rows.append((int(day), amount * int(months_paid), True, "Freelance",
                             f"Client {client} Retainer"))  # fmt: skip
    return rows


def history(
    seed: int, mean_late: float, passed: float = 0.0
) -> tuple[Ledger, np.ndarray, np.ndarray, np.ndarray, float]:
    """The whole history as a ledger (as_of its last day), its merchants, the client's paying
    days and the due days they pay (empty for a renewal), and its amount."""
    rng = np.random.default_rng(seed)
    if mean_late == -2:
        rows = retainers(rng, passed)
        paid, due, amount = np.zeros(0, dtype=int), np.zeros(0, dtype=int), 0.0
    elif mean_late < 0:
        rows = invoices(rng)
        paid, due, amount = np.zeros(0, dtype=int), np.zeros(0, dtype=int), 0.0
    else:
        paid, due, covers = client_days(rng, mean_late, passed)
        inside = paid < DAYS
        due, paid = (due[inside] if len(due) else due), paid[inside]
        amount = float(rng.uniform(30_000, 90_000))
        rows = [(int(d), amount * int(c), True, "Freelance", "Acme Retainer")
                for d, c in zip(paid, covers[inside], strict=True)]  # fmt: skip
    for day in range(DAYS):
        for _ in range(rng.poisson(2)):
            rows.append(
                (day, float(rng.lognormal(6, 0.8)), False, "Food", f"Shop {rng.integers(8)}")
            )
        if rng.random() < GIG_CHANCE:
            gig = float(rng.lognormal(GIG_MU, GIG_SIGMA))
            rows.append((day, gig, True, "Gig", f"Gig {rng.integers(20)}"))
    ledger, merchants = ledger_of(rows, 100_000.0, DAYS)
    return ledger, merchants, paid, due, amount


def ledger_of(
    rows: list[tuple[int, float, bool, str, str]], opening: float, days: int
) -> tuple[Ledger, np.ndarray]:
    """Rows of (day from START, rupees, is income, category, counterparty) as a ledger whose
    history ends on day `days - 1`, each at 06:00 local time, and their counterparties."""
    rows = sorted(rows, key=lambda r: r[0])
    offsets = np.array([r[0] for r in rows])
    signed = np.array([r[1] if r[2] else -r[1] for r in rows])
    ledger = Ledger(
        occurred_at=np.datetime64(START, "s") + (offsets * 86_400 + 6 * 3_600).astype("m8[s]"),
        amount=np.abs(signed),
        is_income=signed > 0,
        category=np.array([r[3] for r in rows], dtype=object),
        source_id=np.full(len(rows), -1, dtype=np.int64),
        balance_after=opening + np.cumsum(signed),
        opening_balance=opening,
        timezone="Asia/Kolkata",
        as_of=START + timedelta(days - 1),
    )
    return ledger, np.array([r[4] for r in rows], dtype=object)


def cut(ledger: Ledger, merchants: np.ndarray, origin: int) -> tuple[Ledger, np.ndarray]:
    """The history up to day `origin` (its last day), and its merchants."""
    keep = ledger.day_numbers <= ledger.day_numbers.min() + origin
    return changed(ledger, keep, as_of=START + timedelta(origin)), merchants[keep]


def oracle(
    paid: np.ndarray, due: np.ndarray, amount: float, origin: int, lateness: np.ndarray
) -> list[float]:
    """The expected inflow of each horizon after `origin` for one who knows the due days, the
    lateness distribution (`lateness`, a large sample of it) and which months are paid: each
    unpaid month's payment comes in the horizon with the chance that its lateness lands there
    given that it has not come yet; the gigs at their mean."""
    gigs = GIG_CHANCE * np.exp(GIG_MU + GIG_SIGMA**2 / 2)
    expected = []
    for h in HORIZONS:
        count = 0.0
        for d, p in zip(due.tolist(), paid.tolist(), strict=True):
            if p <= origin or d > origin + h:
                continue  # paid already, or due after the horizon
            pending = lateness[d + lateness > origin]
            if len(pending):
                count += float(np.mean(d + pending <= origin + h))
        expected.append(count * amount + gigs * h)
    return expected


def month_end(day: int) -> int:
    """The last day of the month that day `day` (from START) falls in, as a day from START."""
    following = np.datetime64(START + timedelta(day), "M") + 1
    return int((following.astype("datetime64[D]") - np.datetime64(START, "D")).astype(int)) - 1


def _never_late(*_: object) -> bool:
    """`plan.paid_late` before rhythms: no detected series was handed to them."""
    return False


Errors = dict[str, dict[str, dict[int, list[float]]]]  # kind -> method -> horizon -> errors
# kind -> per history: the daily inflow up to the origin, the 30-day inflow that came and
# ours (with rhythms), for the peers
Cases = dict[str, list[tuple[np.ndarray, float, float]]]


def run(users: int) -> tuple[Errors, Cases]:
    """Absolute errors of the 7- and 30-day inflow per kind of client and method, and what
    the peers need."""
    errors: Errors = {}
    cases: Cases = {}
    for name, mean_late, passed in KINDS:
        errors[name] = {m: {h: [] for h in HORIZONS} for m in ("with", "without", "oracle")}
        cases[name] = []
        lateness = np.random.default_rng(1).exponential(max(mean_late, 1.0), 50_000)
        sample = np.minimum(lateness, CAP)
        kind = int(mean_late * 10) if mean_late >= 0 else 7 * int(-mean_late)  # its own seeds
        kind += 3 if passed else 0
        for k in range(users):
            ledger, merchants, paid, due, amount = history(1_000 * k + kind, mean_late, passed)
            origin = 540 + (7 * k) % 60
            if name == RETAINERS:  # at a month's end, as bench.forecast_accuracy's origins
                origin = month_end(origin)
            past, names = cut(ledger, merchants, origin)
            after = ledger.day_numbers - ledger.day_numbers.min()
            actual = {}
            for h in HORIZONS:
                came = (after > origin) & (after <= origin + h) & ledger.is_income
                actual[h] = float(ledger.amount[came].sum())
            ours = float("nan")  # (every outlook has the 30-day horizon)
            for method, on in (("with", True), ("without", False)):
                with ExitStack() as switches:
                    if not on:  # the code as it was before rhythms
                        switches.enter_context(patch.object(rhythm, "MIN_GAP", float("inf")))
                        switches.enter_context(patch.object(plan, "paid_late", _never_late))
                    outlook = compute_outlook(
                        past, seed=7, surroundings=Surroundings(merchants=names)
                    )
                for f in outlook.forecast.horizons:
                    if f.horizon_days in HORIZONS:
                        error = abs(f.expected_inflow - actual[f.horizon_days])
                        errors[name][method][f.horizon_days].append(error)
                    if on and f.horizon_days == PEER_HORIZON:
                        ours = f.expected_inflow
            income = past.is_income
            day = past.day_numbers[income] - ledger.day_numbers.min()
            daily = np.bincount(day, weights=past.amount[income], minlength=origin + 1)
            cases[name].append((daily, actual[PEER_HORIZON], ours))
            if len(due) and not passed:  # (the oracle knows no passed months)
                known = oracle(paid, due, amount, origin, sample.astype(int))
                for h, value in zip(HORIZONS, known, strict=True):
                    errors[name]["oracle"][h].append(abs(value - actual[h]))
    return errors, cases


def peer_table(cases: Cases) -> Table | None:
    """The 30-day inflow of ours and each peer as MAE over seasonal naive's, per kind (None
    without statsforecast, the bench extra)."""
    if importlib.util.find_spec("statsforecast") is None:
        return None
    from bench.forecast_accuracy import peer_sums

    series = {
        f"{name}:{k}": (START + timedelta(len(daily) - 1), daily)
        for name, rows in cases.items()
        for k, (daily, _, _) in enumerate(rows)
    }
    fitted = {peer: peer_sums(peer, series) for peer in PEERS}
    table = Table(title="30-day inflow: MAE / seasonal naive's, peers fitted on the same history")
    for column in ("client", "naive MAE", "ours", *PEERS, "ours / best peer"):
        table.add_column(column, justify="right")
    for name, rows in cases.items():
        naive = np.mean([abs(daily[-PEER_HORIZON:].sum() - came) for daily, came, _ in rows])
        ours = np.mean([abs(mine - came) for _, came, mine in rows]) / naive
        peers = {
            peer: np.mean(
                [abs(max(sums[f"{name}:{k}"], 0.0) - came) for k, (_, came, _) in enumerate(rows)]
            )
            / naive
            for peer, sums in fitted.items()
        }
        best = min(1.0, *peers.values())
        table.add_row(
            name, f"{naive:,.0f}", f"{ours:.2f}", *(f"{peers[p]:.2f}" for p in PEERS),
            f"{ours / best:.2f}",
        )  # fmt: skip
    table.caption = (
        "naive (a peer too): the 30 days before the origin again; AutoARIMA on weekly sums"
    )
    return table


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    errors, cases = run(args.users)
    table = Table(title=f"Inflow MAE in rupees, {args.users} histories per kind of client")
    table.add_column("client")
    for h in HORIZONS:
        for method in ("with", "without", "oracle"):
            table.add_column(f"{h} days {method}", justify="right")
    for name, _, _ in KINDS:
        cells = []
        for h in HORIZONS:
            for method in ("with", "without", "oracle"):
                values = errors[name][method][h]
                cells.append(f"{float(np.mean(values)):,.0f}" if values else "-")
        table.add_row(name, *cells)
    table.caption = (
        "with / without rhythms (known_money.rhythm); the oracle knows the due days, the "
        "lateness distribution and which months are paid (due monthly only)"
    )
    console.print(table)
    peers = peer_table(cases)
    console.print(peers if peers is not None else "(peers: install the bench extra)")
    console.print(f"bench.late_payers took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=30, help="histories per kind of client")
    main(parser.parse_args())
