"""Known money ahead and the baseline behind the rest: what lands on a date (recurring items,
detected or declared by the user) and which history rows the statistical model learns from.

The forecast is known flows plus an uncertain rest. Only series with a fixed amount and a
confidence of at least MIN_SCHEDULED_CONFIDENCE are scheduled: a payout or a metered bill
whose amount wanders is better left to the model, which keeps its spread (scheduling payouts
at their latest level made forecasts of volatile earners worse, bench/known_money.py). Rows
of a scheduled series are taken out of the history, or the model would count the rent twice:
once on its date and once smeared over the month. A scheduled item is not certain either: in
each simulated path a detected series may stop with a small hazard per month, counted from its
first due date, that grows as its confidence falls (a loan repaid, a plan dropped;
`continuation`).

Income that keeps a rhythm but not a date or an amount (a client paying monthly but late) is
forecast per counterparty from its own gaps and amounts (`rhythm`); its rows leave the
baseline too. A client who pays whenever a project ends stays in the baseline, its rows
counted at the chance that it still pays after its present silence (`silence`): a client gone
quiet for three times its usual gaps no longer holds up the learned level.

One-off shocks (`outliers.outliers`, a ₹60,000 laptop, a one-time windfall) are clipped to
the largest amount that would not be an outlier in their category (winsorised): the model
learns that purchases happen, not that a laptop comes every month. Removing them outright
biased the baseline low, since some shock or other comes most months. The user overrides the
rule per row (`overrides`: 1 keeps a row out entirely, 0 keeps it whole).

The user's word wins over detection: a declared item schedules what it says, and blocks any
detected series of the same counterparty (same direction, and its merchant among the series'
rows' merchants, or its category being the category a series was found by). A dismissed
detection, or a dismissed declared item, blocks the counterparty's detection and schedules
nothing; its rows stay in the baseline as ordinary spending or income.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from gql_server.core.known_money.ahead import RowsAhead, rows_ahead
from gql_server.core.known_money.detection import detect_recurring
from gql_server.core.known_money.items import Declared, RecurringSeries, counterparty
from gql_server.core.known_money.outliers import outlier_limits
from gql_server.core.known_money.rhythm import (
    Rhythm,
    find_rhythms,
    income_keys,
    paid_late,
    rhythm_rows,
)
from gql_server.core.known_money.silence import client_weights
from gql_server.core.series import DailySeries, Ledger, changed, daily_series

EXCLUDE, INCLUDE, AUTOMATIC = 1, 0, -1  # values of a row's override
MIN_SCHEDULED_CONFIDENCE = 0.5
# The chance that a detected series stops in any one month (a loan repaid, a plan dropped, a
# client gone): a floor for the most regular, more for the less sure. Per month, whatever the
# cadence: per payment, a weekly series was charged four times as often as a monthly one.
# Confidence is not itself a chance of continuing; taken as one, it dropped a salary from a
# third of the paths and biased stable earners' forecasts low (bench/known_money.py).
BASE_HAZARD = 0.02
CONFIDENCE_HAZARD = 0.15


def continuation(confidence: float) -> float:
    """The chance that a detected series with this confidence is still paying a month on."""
    return 1.0 - (BASE_HAZARD + CONFIDENCE_HAZARD * (1.0 - min(max(confidence, 0.0), 1.0)))


@dataclass(frozen=True)
class KnownMoney:
    detected: tuple[RecurringSeries, ...]  # detections nothing blocks (what gets stored)
    detected_sources: tuple[int, ...]  # income source of each detection, -1 for none
    schedule: tuple[RecurringSeries, ...]  # what lands on its dates: active declared + detected
    schedule_sources: tuple[int, ...]  # income source of each scheduled item, -1 for none
    baseline: np.ndarray  # bool per row: the rows the statistical model learns from
    excluded: np.ndarray  # bool per row: one-offs, clipped by the rule or kept out by the user
    baseline_amount: np.ndarray | None = None  # per row: what the model learns (clipped)
    schedule_certainty: tuple[float, ...] = ()  # per scheduled item: chance of continuing
    flagged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # by the rule
    ahead: RowsAhead = field(default_factory=RowsAhead)  # rows dated after the history
    rhythms: tuple[Rhythm, ...] = ()  # income at a rhythm, forecast per source (`rhythm`)


def _rows_of(ledger: Ledger, series: Sequence[RecurringSeries]) -> np.ndarray:
    mask = np.zeros(len(ledger), dtype=bool)
    for s in series:
        mask[list(s.row_indexes)] = True
    return mask


def _source_of(ledger: Ledger, s: RecurringSeries) -> int:
    """The income source of a series' latest row (-1 when it has none)."""
    if not s.row_indexes:
        return -1
    return int(np.asarray(ledger.source_id)[max(s.row_indexes)])


def _blocks(d: Declared, s: RecurringSeries, names: np.ndarray | None) -> bool:
    if d.series.is_income != s.is_income:
        return False
    key = counterparty(d.series.merchant)
    if key == counterparty(s.merchant):
        return True
    rows = list(s.row_indexes)
    if names is not None and rows and key in {counterparty(n) for n in names[rows].tolist()}:
        return True
    return s.merchant == s.category and counterparty(d.series.category) == counterparty(s.category)


def plan_known_money(
    ledger: Ledger,
    *,
    merchants: np.ndarray | None = None,
    declared: Sequence[Declared] = (),
    dismissed: frozenset[tuple[str, bool]] = frozenset(),
    overrides: np.ndarray | None = None,
) -> KnownMoney:
    """Detect, apply the user's word (module docstring) and mark the baseline. `dismissed`
    holds (counterparty key, is_income) of dismissed detections; `overrides` is one of
    EXCLUDE, INCLUDE or AUTOMATIC per row."""
    n = len(ledger)
    names = None if merchants is None else np.asarray(merchants, dtype=object)
    found = detect_recurring(ledger, merchant=names)
    detected = tuple(
        s
        for s in found
        if (counterparty(s.merchant), s.is_income) not in dismissed
        and not any(_blocks(d, s, names) for d in declared)
    )
    active = [d for d in declared if d.active]
    keyed = income_keys(ledger, names)
    scheduled = tuple(
        s
        for s in detected
        if s.fixed_amount
        and s.confidence >= MIN_SCHEDULED_CONFIDENCE
        and not paid_late(ledger, keyed, s)
    )
    recurring = _rows_of(ledger, scheduled)
    if names is not None and active:
        income = np.asarray(ledger.is_income, dtype=bool)
        keys = np.array([counterparty(m) for m in names.tolist()], dtype=object)
        for d in active:
            same = (keys == counterparty(d.series.merchant)) & (income == d.series.is_income)
            recurring |= same
            blocked = [s for s in found if _blocks(d, s, names)]
            recurring |= _rows_of(ledger, blocked)
    override = np.full(n, AUTOMATIC, dtype=np.int8) if overrides is None else np.asarray(overrides)
    if len(override) != n:
        raise ValueError("overrides must be parallel to the ledger")
    rhythms = find_rhythms(ledger, names, recurring | (override == EXCLUDE), dismissed, keyed)
    recurring = recurring | rhythm_rows(rhythms, n)
    amount = np.asarray(ledger.amount, dtype=np.float64)
    limits = outlier_limits(ledger, exclude=recurring)
    flagged = (amount > limits) & (override != INCLUDE) & ~recurring
    dropped = recurring | ((override == EXCLUDE) & ~recurring)
    learned = np.where(flagged, np.minimum(amount, limits), amount)
    learned = learned * client_weights(ledger, keyed, ~dropped)  # clients gone quiet
    schedule = (*(d.series for d in active), *scheduled)
    certainty = (
        *(1.0 for _ in active),
        *(continuation(s.confidence) for s in scheduled),
    )
    sources = (*(d.source_id for d in active), *(_source_of(ledger, s) for s in scheduled))
    return KnownMoney(
        detected=detected,
        detected_sources=tuple(_source_of(ledger, s) for s in detected),
        schedule=schedule,
        schedule_sources=sources,
        baseline=~dropped,
        excluded=(flagged | (override == EXCLUDE)) & ~recurring,
        baseline_amount=np.where(dropped, 0.0, learned),
        schedule_certainty=certainty,
        flagged=flagged,
        ahead=rows_ahead(ledger, names),
        rhythms=rhythms,
    )


def subset(ledger: Ledger, rows: np.ndarray) -> Ledger:
    """The ledger's rows where `rows` (a boolean mask) is true."""
    return changed(ledger, rows)


def baseline_series(
    ledger: Ledger,
    rows: np.ndarray,
    full: DailySeries | None = None,
    amounts: np.ndarray | None = None,
) -> DailySeries:
    """Daily flows of the baseline rows (at `amounts`, clipped, when given) over the whole
    history, with the real balances (the forecast starts from the balance the user has,
    whatever the model learns from)."""
    full = full if full is not None else daily_series(ledger)
    source = ledger if amounts is None else changed(ledger, amount=np.asarray(amounts, float))
    part = daily_series(subset(source, rows & (source.amount > 0)), start=full.start)
    return replace(full, inflow=part.inflow, outflow=part.outflow)


def first_day(ledger: Ledger) -> date:
    """The first day a forecast covers: the day after the history's last."""
    return date.fromordinal(ledger.as_of.toordinal() + 1)
