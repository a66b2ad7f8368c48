"""Income that keeps a rhythm but not a date or an amount: a platform's payouts that wander, a
client who pays every month but late, invoices settled a few weeks apart. Such a source is not
known money (`detection` wants a usual day and, to be scheduled, a fixed amount), yet it is
more than noise in weekly sums: how long ago it last paid says when it will pay next.

Each such counterparty is forecast on its own as a renewal process (Cox 1962): its next payment
comes a gap after its last one, the gap drawn from its own recent gaps, smoothed by a kernel and
conditioned on the days it has already been silent; later payments follow at gaps drawn the
same way; amounts are drawn from its own recent payments. A source silent for longer than its
gaps explain has probably stopped: the chance that it still pays is Bayes' rule between a
small prior hazard of stopping per month and the share of its gaps that are this long. Its rows
leave the baseline (the weekly model would count them twice), and its simulated payments join
the known flows of each path (`forecasting.scenarios.known_flows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gql_server.core.calendar import day_number
from gql_server.core.known_money.items import counterparty
from gql_server.core.series import DAYS_PER_MONTH, Ledger
from gql_server.core.stats import short_median

LOOKBACK_DAYS = 365  # payments that make a rhythm: those of the last year
MIN_PAYMENTS = 6  # days paid in that year: fewer say too little about the gaps
RECENT = 12  # the latest gaps and
RECENT_AMOUNTS = 6  # amounts that are drawn from
# The median gap, in days. Weekly and fortnightly payouts are smooth in weekly sums, where the
# weekly models also see their season and growth, which a source's last six amounts do not: on
# the tuning seed (11) taking them per source made seasonal earners' 30-day inflow error 0.99
# of seasonal naive's from 5 days on, 0.81 from 12, against 0.75 without (0.77 from 20). A
# quarterly fee says too little in a year.
MIN_GAP = 20.0
MAX_GAP = 62.0
MAX_GAP_SPREAD = 0.6  # gaps' coefficient of variation: invoices whenever are not a rhythm
KERNEL_SHARE = 0.1  # the gaps' kernel: this share of the median gap (at least a day)
STOP_HAZARD = 0.02  # a month's prior chance that a source stops (as `plan.BASE_HAZARD`)


@dataclass(frozen=True)
class Rhythm:
    """One income counterparty paid at a rhythm: its recent gaps between paying days and the
    amounts of those days, and how many days before the forecast's first day it last paid (1:
    on the history's last day; 0: today, and today's rows hold that payment)."""

    merchant: str
    source_id: int
    gaps: np.ndarray  # days, >= 1
    amounts: np.ndarray  # rupees per paying day
    silent: int
    rows: np.ndarray  # ledger row indexes of the counterparty's income

    def gap_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The gaps' smoothed distribution: lengths 1.. in days and their probabilities (a
        Gaussian kernel on each observed gap, a share of the median gap wide)."""
        width = max(KERNEL_SHARE * short_median(self.gaps), 1.0)
        lengths = np.arange(1, int(self.gaps.max() + 4 * width) + 2)
        density = np.exp(-0.5 * ((lengths[:, None] - self.gaps[None, :]) / width) ** 2).sum(axis=1)
        return lengths, density / density.sum()


def find_rhythms(
    ledger: Ledger,
    names: np.ndarray | None,
    taken: np.ndarray,
    dismissed: frozenset[tuple[str, bool]] = frozenset(),
) -> tuple[Rhythm, ...]:
    """The income counterparties (by merchant name; none without names) whose rows are not
    `taken` (scheduled, declared or blocked) and not dismissed, with MIN_PAYMENTS paying days or
    more in the last LOOKBACK_DAYS, a median gap within [MIN_GAP, MAX_GAP] and gaps that vary
    by at most MAX_GAP_SPREAD of their mean. Today's rows count as a payment."""
    if names is None or len(ledger) == 0:
        return ()
    days = ledger.day_numbers
    today = day_number(ledger.as_of) + 1
    income = np.asarray(ledger.is_income, dtype=bool) & ~taken & (days <= today)
    rows = np.flatnonzero(income & (np.asarray(ledger.amount) > 0))
    if len(rows) == 0:
        return ()
    keys = np.array([counterparty(n) for n in np.asarray(names, dtype=object)[rows].tolist()])
    found = []
    for key in sorted(set(keys.tolist())):
        if (key, True) in dismissed:
            continue
        mine = rows[keys == key]
        paid, first = np.unique(days[mine], return_index=True)
        if len(paid[paid > today - LOOKBACK_DAYS]) < MIN_PAYMENTS:
            continue
        gaps = np.diff(paid)[-RECENT:].astype(np.float64)
        if not MIN_GAP <= short_median(gaps) <= MAX_GAP:
            continue
        if float(gaps.std()) > MAX_GAP_SPREAD * float(gaps.mean()):
            continue
        totals = np.bincount(
            np.searchsorted(paid, days[mine]), weights=np.asarray(ledger.amount)[mine]
        )
        found.append(
            Rhythm(
                merchant=str(np.asarray(names, dtype=object)[mine[first[-1]]]),
                source_id=int(np.asarray(ledger.source_id)[mine[-1]]),
                gaps=gaps,
                amounts=totals[-RECENT_AMOUNTS:],
                silent=int(today - paid[-1]),
                rows=mine,
            )
        )
    return tuple(found)


def still_paying(rhythm: Rhythm, lengths: np.ndarray, weights: np.ndarray) -> float:
    """The chance that the source has not stopped, given `rhythm.silent` days without a
    payment: a prior hazard of STOP_HAZARD a month against the share of gaps at least that
    long (its survival)."""
    survival = float(weights[lengths >= rhythm.silent].sum())
    stopped = 1.0 - (1.0 - STOP_HAZARD) ** (max(rhythm.silent, 0) / DAYS_PER_MONTH)
    return survival * (1 - stopped) / (survival * (1 - stopped) + stopped) if survival else 0.0


def rhythm_paths(rhythm: Rhythm, days: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    """(paths, days) of the source's payments from the forecast's first day: each path draws
    whether the source still pays (`still_paying`), a first gap longer than its silence, later
    gaps, amounts, and a month it stops in (STOP_HAZARD a month)."""
    lengths, weights = rhythm.gap_weights()
    flows = np.zeros((paths, days))
    alive = still_paying(rhythm, lengths, weights)
    if alive <= 0 or days <= 0:
        return flows
    tail = np.where(lengths >= max(rhythm.silent, 1), weights, 0.0)
    first = rng.choice(lengths, size=paths, p=tail / tail.sum())
    count = int(days // max(lengths[weights > 1e-6].min(), 1)) + 2
    later = rng.choice(lengths, size=(paths, count - 1), p=weights)
    offsets = np.cumsum(np.column_stack([first, later]), axis=1) - rhythm.silent
    amounts = rng.choice(rhythm.amounts, size=offsets.shape)
    stop_month = rng.geometric(STOP_HAZARD, size=(paths, 1))  # stops in its k-th month on
    paying = (rng.random((paths, 1)) < alive) & (offsets < days)
    paying &= offsets / DAYS_PER_MONTH < stop_month
    row = np.broadcast_to(np.arange(paths)[:, None], offsets.shape)
    np.add.at(flows, (row[paying], offsets[paying]), amounts[paying])
    return flows


def rhythm_rows(rhythms: Sequence[Rhythm], n: int) -> np.ndarray:
    """Boolean per ledger row: the rows of the rhythms' counterparties."""
    mask = np.zeros(n, dtype=bool)
    for rhythm in rhythms:
        mask[rhythm.rows] = True
    return mask
