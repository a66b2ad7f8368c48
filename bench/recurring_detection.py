"""Recurring-series detection scored against the generator's planted series (no database).

    .venv/bin/python -m bench.recurring_detection [--users 60] [--days 720] [--seed 11]
        [--end 2025-11-17] [--horizon 60] [--misses]

Generates users (the income patterns in turn, so 60 users are 10 per pattern) whose history
ends at midnight in India starting `--end`, plus `--horizon` days that the detector does not
see. `detect_recurring` runs on each history (as_of = its last local day) and is compared with
the ground truth:

* planted series: the generator's `recurring_key` ("rent", "emi:HDFC Bank", ...). Payouts of an
  income source the generator pays on a fixed rhythm (weekly, fortnightly or monthly platforms)
  carry no key; the bench labels them "payout:<source>" from the source's declared frequency,
  so finding one is not counted as a false positive.
* expected: a planted series whose rhythm is in the detector's range (median gap 6..36 days; a
  yearly health premium is not) that has not stopped (a row within 1.5 periods of as_of) and
  whose current run has at least 3 rows (a new loan with one EMI so far is not expected).
* a detected series matches the key that more than half of its rows carry. Series level:
  precision = detections matching an expected key (once each) / detections of the kind;
  recall = expected keys found / expected keys. Row level: precision = detected rows carrying a
  key of the kind / detected rows of the kind; recall = rows of expected keys inside some
  detection / rows of expected keys. A detection without a majority key gets its kind from
  its category.
* the schedule: for each series found, the dates `occurrences_between` expects in the horizon
  against the planted payments that came: the share of them expected on the day and within
  3 days, expected dates with no payment (a loan paid off, a plan dropped), and the median
  error of the expected amount.

Prints both tables and the time per user; --misses lists every miss and false positive.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.table import Table

from gql_server.core.known_money.detection import detect_recurring
from gql_server.core.known_money.items import RecurringSeries
from gql_server.core.known_money.schedule import occurrences_between
from gql_server.core.series import Ledger, local_days
from gql_server.generator.synth import PATTERNS, GeneratedUser, generate_user

TIMEZONE = "Asia/Kolkata"
# Mid-month by default: rent (1st-3rd) is paid, bills around the 8th-20th may or may not be,
# and series that stopped have to be told from those that are merely not due yet.
END = "2025-11-17"
ON_TIME_DAYS = 3
KINDS = ("rent", "emi", "bills", "recharge", "subscription", "insurance", "income", "payout")
KIND_OF_PREFIX = {
    "rent": "rent",
    "emi": "emi",
    "electricity": "bills",
    "broadband": "bills",
    "recharge": "recharge",
    "subscription": "subscription",
    "insurance": "insurance",
    "retainer": "income",
    "salary": "income",
    "payout": "payout",
}
KIND_OF_CATEGORY = {
    "Rent": "rent",
    "EMI": "emi",
    "Electricity": "bills",
    "Mobile & internet": "bills",
    "Subscriptions": "subscription",
    "Insurance": "insurance",
}
PAID_ON_A_RHYTHM = frozenset({"weekly", "biweekly", "monthly"})
console = Console(width=120)


@dataclass
class Score:
    """Counts of one kind over all users."""

    detected: int = 0
    true_positive: int = 0
    expected: int = 0
    found: int = 0
    rows_detected: int = 0
    rows_correct: int = 0
    rows_expected: int = 0
    rows_covered: int = 0
    future: int = 0  # planted payments in the horizon, of series found
    on_the_day: int = 0
    on_time: int = 0  # within ON_TIME_DAYS
    unpaid: int = 0  # expected dates with no payment near them
    amount_errors: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    """One user's rows up to as_of (what the detector sees) and the truth about them."""

    user: GeneratedUser
    past: np.ndarray  # mask of the rows up to as_of
    day: np.ndarray  # local day number of every row
    keys: np.ndarray  # truth key of every row ("" for none)


def truth_keys(user: GeneratedUser) -> np.ndarray:
    """The planted keys, plus "payout:<source>" for sources paid on a declared rhythm."""
    keys = user.recurring_key.copy()
    for index, source in enumerate(user.sources):
        if source.frequency in PAID_ON_A_RHYTHM:
            rows = (user.source_index == index) & (keys == "")
            keys[rows] = f"payout:{source.name}"
    return keys


def ledger_of(user: GeneratedUser, past: np.ndarray, as_of: date) -> Ledger:
    return Ledger(
        occurred_at=user.occurred_at[past].astype("datetime64[s]"),
        amount=user.amount_paise[past] / 100.0,
        is_income=user.is_income[past],
        category=user.category[past],
        source_id=np.full(int(past.sum()), -1, dtype=np.int64),
        balance_after=user.balance_paise[past] / 100.0,
        opening_balance=float(user.opening_balance),
        timezone=TIMEZONE,
        as_of=as_of,
    )


def kind_of_key(key: str) -> str:
    return KIND_OF_PREFIX.get(key.split(":", 1)[0], "other")


def expected_keys(keys: np.ndarray, day: np.ndarray, as_of: int) -> dict[str, str]:
    """Every planted key of the history: "" when the detector should report it, else why not.
    The current run of a key is its rows after the last silence of 2.5 periods (a loan from
    the same lender taken again a year later restarts it)."""
    verdict: dict[str, str] = {}
    for key in sorted(set(keys.tolist()) - {""}):
        days = np.unique(day[keys == key])
        gap = float(np.median(np.diff(days))) if len(days) > 1 else 0.0
        silences = np.flatnonzero(np.diff(days) > 2.5 * gap)
        current = len(days) - (int(silences[-1]) + 1 if len(silences) else 0)
        if len(days) < 3:
            verdict[key] = "fewer than 3 rows"
        elif not 6 <= gap <= 36:
            verdict[key] = f"out of range (every {gap:.0f} days)"
        elif as_of - days[-1] > 1.5 * gap + 3:
            verdict[key] = "stopped"
        elif current < 3:
            verdict[key] = "current run has fewer than 3 rows"
        else:
            verdict[key] = ""
    return verdict


def detection_kind(series: RecurringSeries, key: str) -> str:
    if key:
        return kind_of_key(key)
    if series.is_income:
        return "income"
    if series.category == "Mobile & internet" and series.interval_days == 28:
        return "recharge"
    return KIND_OF_CATEGORY.get(series.category, "other")


def score_user(
    history: History, as_of: date, horizon: int, scores: dict[str, Score], timings: list[float]
) -> None:
    user, past = history.user, history.past
    keys, day = history.keys[past], history.day[past]
    ledger = ledger_of(user, past, as_of)
    started = time.perf_counter()
    found = detect_recurring(ledger, merchant=user.merchant[past])
    timings.append((time.perf_counter() - started) * 1000)

    verdict = expected_keys(keys, day, (as_of - date(1970, 1, 1)).days)
    covered = np.zeros(len(keys), dtype=bool)
    matched: set[str] = set()
    for series in found:
        rows = np.array(series.row_indexes, dtype=np.int64)
        covered[rows] = True
        key, count = Counter(keys[rows].tolist()).most_common(1)[0]
        key = key if key and count * 2 > len(rows) else ""
        kind = detection_kind(series, key)
        s = scores[kind]
        s.detected += 1
        s.rows_detected += len(rows)
        s.rows_correct += sum(kind_of_key(k) == kind for k in keys[rows].tolist() if k)
        if key and verdict.get(key) == "" and key not in matched:
            matched.add(key)
            s.true_positive += 1
            score_schedule(series, history, key, as_of, horizon, s)
        else:
            why = f"matches {key} ({verdict.get(key) or 'twice'})" if key else "no planted key"
            s.notes.append(f"FP user {user.index}: {describe(series)} - {why}")
    for key, why in verdict.items():
        if why:
            continue
        s = scores[kind_of_key(key)]
        rows = keys == key
        s.expected += 1
        s.rows_expected += int(rows.sum())
        s.rows_covered += int((rows & covered).sum())
        if key in matched:
            s.found += 1
        else:
            s.notes.append(f"miss user {user.index}: {key} {planted(history, key)}")


def score_schedule(
    series: RecurringSeries, history: History, key: str, as_of: date, horizon: int, s: Score
) -> None:
    """Expected dates against the payments of the key that came in the horizon (greedy, each
    payment matched once, nearest first). Dates and payments up to ON_TIME_DAYS past the
    horizon may match ones inside it, but only those inside count."""
    first = (as_of - date(1970, 1, 1)).days + 1
    end = first + horizon  # exclusive
    came = (~history.past) & (history.keys == key) & (history.day < end + ON_TIME_DAYS)
    paid_days = history.day[came].tolist()
    paid_amounts = (history.user.amount_paise[came] / 100.0).tolist()
    last = as_of + timedelta(horizon + ON_TIME_DAYS)
    expected = occurrences_between(series, as_of + timedelta(days=1), last)
    s.future += sum(d < end for d in paid_days)
    free = set(range(len(paid_days)))
    for when in expected:
        number = (when - date(1970, 1, 1)).days
        near = [i for i in free if abs(paid_days[i] - number) <= ON_TIME_DAYS]
        if not near:
            s.unpaid += number < end
            continue
        i = min(near, key=lambda i: (abs(paid_days[i] - number), i))
        free.discard(i)
        if paid_days[i] < end:
            s.on_time += 1
            s.on_the_day += paid_days[i] == number
            s.amount_errors.append(abs(series.amount - paid_amounts[i]) / paid_amounts[i])


def describe(series: RecurringSeries) -> str:
    rhythm = series.day_of_month if series.interval_days is None else f"/{series.interval_days}d"
    return (
        f"{series.merchant!r} {series.cadence.value} {rhythm} ₹{series.amount:,.0f} "
        f"x{series.occurrences} conf {series.confidence:.2f}"
    )


def planted(history: History, key: str) -> str:
    rows = history.past & (history.keys == key)
    day = history.day[rows][-8:].astype("datetime64[D]").astype(str).tolist()
    amounts = (history.user.amount_paise[rows][-8:] / 100).round().astype(int).tolist()
    return f"({int(rows.sum())} rows) last: {list(zip(day, amounts, strict=True))}"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.1%}" if denominator else "-"


def report(scores: dict[str, Score], title: str, timings: list[float], horizon: int) -> None:
    detection = Table(title=title)
    columns = ("expected", "detected", "series P", "series R", "row P", "row R")
    schedule = Table(title=f"The schedule of the series found, next {horizon} days")
    schedule_columns = ("payments", "on the day", "±3 days", "expected, unpaid", "amount error")
    for table, names in ((detection, columns), (schedule, schedule_columns)):
        table.add_column("kind")
        for name in names:
            table.add_column(name, justify="right")
    total = Score()
    for kind in (*KINDS, "other"):
        s = scores[kind]
        if not (s.detected or s.expected):
            continue
        for name, value in vars(s).items():
            if name != "notes":
                setattr(total, name, getattr(total, name) + value)
        label = "payout (derived)" if kind == "payout" else kind
        detection.add_row(label, *detection_cells(s))
        schedule.add_row(label, *schedule_cells(s))
    detection.add_row("all", *detection_cells(total), style="bold")
    schedule.add_row("all", *schedule_cells(total), style="bold")
    console.print(detection)
    console.print(schedule)
    ordered = sorted(timings)
    console.print(
        f"detect_recurring per user: mean {statistics.mean(timings):.1f} ms, "
        f"median {statistics.median(timings):.1f} ms, "
        f"p95 {ordered[round(0.95 * (len(ordered) - 1))]:.1f} ms, max {ordered[-1]:.1f} ms"
    )


def detection_cells(s: Score) -> list[str]:
    return [
        str(s.expected),
        str(s.detected),
        ratio(s.true_positive, s.detected),
        ratio(s.found, s.expected),
        ratio(s.rows_correct, s.rows_detected),
        ratio(s.rows_covered, s.rows_expected),
    ]


def schedule_cells(s: Score) -> list[str]:
    error = f"{statistics.median(s.amount_errors):.1%}" if s.amount_errors else "-"
    return [
        str(s.future),
        ratio(s.on_the_day, s.future),
        ratio(s.on_time, s.future),
        str(s.unpaid),
        error,
    ]


def main(args: argparse.Namespace) -> None:
    first_after = date.fromisoformat(args.end)
    as_of = first_after - timedelta(days=1)  # the history's last local day
    future = args.horizon + ON_TIME_DAYS  # a payment due on the horizon's last day may be late
    end = datetime.combine(first_after + timedelta(future), datetime.min.time())
    end = end.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)
    as_of_number = (as_of - date(1970, 1, 1)).days
    scores: dict[str, Score] = defaultdict(Score)
    timings: list[float] = []
    for index in range(args.users):
        user = generate_user(args.seed, index, args.days + future, end, PATTERNS)
        day = local_days(user.occurred_at.astype("datetime64[s]"), TIMEZONE).astype(np.int64)
        history = History(user, day <= as_of_number, day, truth_keys(user))
        score_user(history, as_of, args.horizon, scores, timings)
    title = (
        f"Recurring series of {args.users} generated users "
        f"(seed {args.seed}, {args.days} days to {as_of}): precision P and recall R"
    )
    report(scores, title, timings, args.horizon)
    if args.misses:
        for kind in (*KINDS, "other"):
            for note in scores[kind].notes:
                print(f"[{kind}] {note}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--days", type=int, default=720)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--end", default=END, help="the local day after the history")
    parser.add_argument("--horizon", type=int, default=60, help="days after it, for the schedule")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    main(parser.parse_args())
