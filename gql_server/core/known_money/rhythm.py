"""Income that keeps a rhythm but not a date or an amount: a platform's payouts that wander, a
client who pays every month but late, invoices settled a few weeks apart. Such a source is not
known money (`detection` wants a usual day and, to be scheduled, a fixed amount), yet it is
more than noise in weekly sums: how long ago it last paid says when it will pay next.

Each such counterparty is forecast on its own, in one of two ways, whichever its history fits:

* due monthly and paid late: every payment falls some days after the same day of the month (a
  retainer invoiced on the 1st, paid when the client gets round to it). Each month's payment
  comes that day plus a lateness drawn from its own past lateness; a month not yet paid will
  be, later than it already is. One late payment says nothing about the next month's, so the
  gaps between payments vary more than the lateness does (by about the square root of two).
  Now and then a month may pass without its payment, with the chance its recent months had
  (`Rhythm.skip`), and be paid with the next one when its payments after such months came
  about twice the usual (`catch_up`): a month later than its lateness explains has then
  probably passed, rather than stopped the client. bench.late_payers --users 100, 30-day
  inflow MAE against the same code without this: lateness mean 4 with a month in ten passed
  21,365 -> 20,713 (7-day 12,290 -> 11,162), lateness mean 4 13,624 -> 13,131, mean 10
  20,279 -> 18,906, renewal 19,589 -> 19,464, invoices 38,808 -> 38,912. A month passed
  is not counted against the gaps' spread in telling due monthly from a renewal, or from a
  client paid whenever a project ends (`anchored`).
* a renewal process (Cox 1962), where the gaps vary less than the lateness (payments follow
  the last one, not a day of the month, and drift through the month) and are steady: the
  next payment comes a gap after the last, the gap drawn from its own recent gaps and longer
  than it has already been silent, and later ones follow at gaps drawn the same way.

Clients who pay whenever a project ends are neither, and stay with the weekly model.

Lateness and gaps are smoothed by a Gaussian kernel with an exponential tail (`_smoothed`);
amounts are drawn from its own recent payments. A source that has waited longer than its
lateness or gaps explain has probably stopped: the chance that it still pays is Bayes' rule
between a small prior hazard of stopping per month and the share of its lateness or gaps that
are this long.

A detected monthly income series is scheduled on its day (`plan`) unless its payments stray
beyond detection's window of the day (`paid_late`): then it is a rhythm due monthly, and a
payment not yet come this month is still expected, where the schedule would skip it as missed
and the model would learn the late ones as extra income. Its rows
leave the baseline (the weekly model would count them twice), and its simulated payments join
the known flows of each path (`forecasting.scenarios.known_flows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from gql_server.core.calendar import clipped_days, day_number, month_numbers
from gql_server.core.known_money.cadence import MONTHLY_WINDOW
from gql_server.core.known_money.items import Cadence, RecurringSeries, counterparty
from gql_server.core.series import DAYS_PER_MONTH, Ledger
from gql_server.core.stats import positions_by_value, short_median

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
# A renewal needs steady gaps: the more they vary, the less the days since the last payment
# say about the next, and one source's dozen gaps and six amounts are noisier than the weekly
# model of all income. bench.late_payers (30-day inflow MAE with / without rhythms): a limit on
# the gaps' coefficient of variation of 0.3 took clients invoicing every 20-70 days as
# renewals (37,546 / 36,409) while a renewal of 30.4 +- 8 days gained (24,847 / 27,235); 0.2
# leaves the invoices alone (36,541) and keeps part of the gain (26,266, and 7-day 14,964 /
# 18,627).
RENEWAL_SPREAD = 0.2
# Due monthly: the median gap within this many days of a month (a late payment lengthens one
# gap and shortens the next).
MONTH_GAP_SLACK = 6.0
# ... and a payment in this share of its months: a client who now and then lets a month pass
# and pays it with the next is still due monthly (`Rhythm.skip`), one paid every six weeks or
# so has a payment in two months of three.
DUE_COVERAGE = 0.75
# ... but under this share, only where the passed months were paid with the next: a client
# paid whenever a project ends (gaps of 3-10 weeks) has a month without a payment now and
# then too, and never pays double after it (bench.lumpy_income, shrinking clientele: 30-day
# inflow MAE / naive 0.74 before passed months, 0.79 with them, 0.75 with this).
MADE_UP_COVERAGE = 0.9
# Due monthly when the lateness varies less than this share of the gaps' spread: 1/sqrt(2) for
# lateness drawn afresh each month, more than 1 for a renewal, whose lateness drifts.
ANCHORED_SPREAD = 0.9
TAIL_SCALES = 8  # how far past the longest wait its tail goes, in spreads (e^-8: nothing)
STOP_HAZARD = 0.02  # a month's prior chance that a source stops (as `plan.BASE_HAZARD`)


@dataclass(frozen=True)
class Rhythm:
    """One income counterparty paid at a rhythm: its recent gaps between paying days and the
    amounts of those days, and how many days before the forecast's first day it last paid (1:
    on the history's last day; 0: today, and today's rows hold that payment). Due monthly
    when `anchor` is set (then its lateness says when), else a renewal (its gaps do)."""

    merchant: str
    source_id: int
    gaps: np.ndarray  # days, >= 1
    amounts: np.ndarray  # rupees per paying day
    silent: int
    rows: np.ndarray  # ledger row indexes of the counterparty's income
    # Due monthly and paid late: the day of the month it is due (the earliest it has paid),
    # the lateness of its recent payments, the current cycle (months since 1970-01 of its due
    # day), the forecast's first day as a day of that cycle (0: the due day), and whether
    # that cycle has its payment already.
    anchor: int | None = None
    lateness: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cycle: int = 0
    into_cycle: int = 0
    cycle_paid: bool = False
    # The chance that a month passes without its payment (months without one over the months
    # its recent payments span, and those since the last), whether such a month is paid with
    # the next one (the payment after a passed month came about twice the usual), and how
    # many months have passed unpaid since the last payment.
    skip: float = 0.0
    catch_up: bool = False
    owed: int = 0

    @property
    def may_pass(self) -> bool:
        """Due monthly, this month not paid yet, and months pass now and then: the silence
        may be a month passed over rather than a late payment."""
        return self.anchor is not None and not self.cycle_paid and self.skip > 0

    def waits(self) -> tuple[np.ndarray, np.ndarray, int]:
        """The smoothed distribution of the wait for a payment (days and their chances: the
        lateness after a due day, or the gap after a payment) and how long the pending
        payment has been waited for already."""
        if self.anchor is not None:
            lengths, weights = _smoothed(self.lateness, first=0)
            return lengths, weights, 0 if self.cycle_paid else self.into_cycle
        lengths, weights = _smoothed(self.gaps, first=1)
        return lengths, weights, self.silent


def _smoothed(values: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Whole days from `first` on and their chances: a Gaussian kernel on each value but the
    longest, and an exponential tail from the longest on.

    The kernel is Silverman's robust rule of thumb wide (0.9 min(sd, IQR / 1.34) n^-1/5, at
    least half a day) and reflected at `first` (Silverman 1986, 2.10): the part of a kernel
    that falls before the first possible day comes back on the days after it. Cut off and
    renormalised instead (and a day wide at least), a client usually paid on its due day lost
    much of those days' weight to later ones, and next month's payment was expected later
    than it comes.

    The tail: whatever the distribution, the next of n waits is longer than all of them with
    chance 1 / (n + 1), so the longest seen stands for the tail: its 1/n share falls off
    exponentially from it at the waits' own spread (the exponential is the widest tail a
    positive wait of known spread has). A Gaussian kernel's tail falls off far faster: a
    client paid a few days later than ever before was taken to have stopped, and both its
    pending and its next payment left the forecast.

    Measured on first-principles histories (one client due monthly, lateness Exp(4) capped at
    25 days, 60 clients at 9 origins each; the oracle knows the distribution): payments
    expected in the next 30 days where the month is paid 0.88 -> 0.90 (oracle 0.92), where
    it is not yet 1.09 -> 1.16 (oracle 1.36). `bench.late_payers --users 100`, 30-day inflow
    MAE: lateness mean 4 14,234 -> 13,624, renewal 19,769 -> 19,589, mean 10 and invoices
    unchanged.
    """
    n = len(values)
    q1, q3 = np.percentile(values, [25, 75])
    sd = float(values.std())
    width = max(0.9 * (min(sd, float(q3 - q1) / 1.34) or sd) * n**-0.2, 0.5)
    longest = float(values.max())
    scale = max(sd, 1.0)
    lengths = np.arange(first, int(longest + 4 * width + TAIL_SCALES * scale) + 2)
    body = np.sort(values)[:-1] if n > 1 else values
    mirrored = np.concatenate([body, 2 * first - 1 - body])  # reflected about first - 1/2
    kernel = np.exp(-0.5 * ((lengths[:, None] - mirrored[None, :]) / width) ** 2).sum(axis=1)
    tail = np.where(lengths >= longest, np.exp(-(lengths - longest) / scale), 0.0)
    share = 1 / n if n > 1 else 0.0
    weights = (1 - share) * kernel / kernel.sum() + share * tail / tail.sum()
    return lengths, weights


def _cycles(days: np.ndarray, anchor: np.ndarray | int) -> np.ndarray:
    """The cycle each day falls in (months since 1970-01 of the latest due day on or before
    it), per anchor when `anchor` is a column of them."""
    months = month_numbers(days)
    cycles: np.ndarray = months - (days < clipped_days(months, anchor))
    return cycles


def anchored(paid: np.ndarray) -> tuple[int, np.ndarray, np.ndarray] | None:
    """The day of the month payments on days `paid` are due, their lateness and cycles, when
    they fit "due monthly, paid late" better than a renewal: the gaps under a month and a
    half (not those around a month passed over) of about a month, at most one payment per
    cycle and one in DUE_COVERAGE of them, and lateness that varies less than ANCHORED_SPREAD
    of those gaps. The due day is the one of those giving one payment per cycle that makes the
    lateness vary least, the least late on near ties (so the earliest payment is on time)."""
    gaps = np.diff(paid)
    gaps = gaps[gaps < 1.5 * DAYS_PER_MONTH]  # not those of a month passed over (two months)
    if len(gaps) < 2 or abs(short_median(gaps) - DAYS_PER_MONTH) > MONTH_GAP_SLACK:
        return None  # paid every six weeks, say: one payment a cycle, but not due monthly
    anchors = np.arange(1, 32)[:, None]
    cycles = _cycles(paid[None, :], anchors)
    lateness = paid[None, :] - clipped_days(cycles, anchors)
    spanned = cycles[:, -1] - cycles[:, 0] + 1
    # One payment per cycle, and in three cycles of four: a client due monthly pays monthly,
    # however late (passing a month now and then), while one paid every six weeks or so has a
    # payment in two cycles of three.
    once = (np.diff(cycles, axis=1) >= 1).all(axis=1) & (len(paid) >= DUE_COVERAGE * spanned)
    if not once.any():
        return None  # no due day gives each month one payment
    # Due days a few apart give the same spread but for short months (the 29th is the 28th in
    # February): of those within half a day of the least spread, the least late.
    spread = lateness.std(axis=1)
    near = once & (spread <= spread[once].min() + 0.5)
    best = int(np.argmin(np.where(near, lateness.mean(axis=1), np.inf)))
    # Against the spread of the month-long gaps alone: the two-month gap of a month passed
    # over would make any lateness look steady, and a client paid whenever a project ends
    # (gaps of 3 to 10 weeks) look due monthly with months passed.
    if float(lateness[best].std()) >= ANCHORED_SPREAD * float(gaps.std()):
        return None
    return best + 1, lateness[best].astype(np.float64), cycles[best]


def income_keys(ledger: Ledger, names: np.ndarray | None) -> np.ndarray | None:
    """The counterparty key of each income row ("" for spending), None without names: what
    `paid_late` and `find_rhythms` group by, made once per plan."""
    if names is None:
        return None
    keys = np.full(len(ledger), "", dtype=object)
    income = np.flatnonzero(np.asarray(ledger.is_income, dtype=bool))
    keys[income] = [counterparty(n) for n in np.asarray(names, dtype=object)[income].tolist()]
    return keys


def paid_late(ledger: Ledger, keys: np.ndarray | None, series: RecurringSeries) -> bool:
    """Whether a monthly income series' counterparty pays it late: its recent payments fit
    "due monthly" (`anchored`) and some came further from its due day than detection's window
    either side of the usual day allows. `keys` are `income_keys`."""
    if keys is None or not series.is_income or series.cadence is not Cadence.MONTHLY:
        return False
    mine = keys == counterparty(series.merchant)
    paid = np.unique(ledger.day_numbers[mine])[-(RECENT + 1) :]
    fit = anchored(paid)
    return fit is not None and float(np.ptp(fit[1])) > 2 * MONTHLY_WINDOW


def find_rhythms(
    ledger: Ledger,
    names: np.ndarray | None,
    taken: np.ndarray,
    dismissed: frozenset[tuple[str, bool]] = frozenset(),
    keys: np.ndarray | None = None,
) -> tuple[Rhythm, ...]:
    """The income counterparties (by merchant name; none without names) whose rows are not
    `taken` (scheduled, declared or blocked) and not dismissed, with MIN_PAYMENTS paying days or
    more in the last LOOKBACK_DAYS, a median gap within [MIN_GAP, MAX_GAP] and gaps that vary
    by at most MAX_GAP_SPREAD of their mean: due monthly where they fit it (`anchored`), else
    a renewal where the gaps vary by at most RENEWAL_SPREAD of their mean, else left to the
    weekly model. Today's rows count as a payment. `keys` are `income_keys` when the caller
    has them."""
    if names is None or len(ledger) == 0:
        return ()
    keys = income_keys(ledger, names) if keys is None else keys
    days = ledger.day_numbers
    today = day_number(ledger.as_of) + 1
    income = np.asarray(ledger.is_income, dtype=bool) & ~taken & (days <= today)
    rows = np.flatnonzero(income & (np.asarray(ledger.amount) > 0))
    if len(rows) == 0 or keys is None:
        return ()
    found = []
    unique, positions = positions_by_value(keys[rows].astype(str))
    for key, where in zip(unique.tolist(), positions, strict=True):
        if (key, True) in dismissed:
            continue
        mine = rows[where]
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
        rhythm = Rhythm(
            merchant=str(np.asarray(names, dtype=object)[mine[first[-1]]]),
            source_id=int(np.asarray(ledger.source_id)[mine[-1]]),
            gaps=gaps,
            amounts=totals[-RECENT_AMOUNTS:],
            silent=int(today - paid[-1]),
            rows=mine,
        )
        due = anchored(paid[-(RECENT + 1) :])
        if due is not None:
            anchor, lateness, cycles = due
            current = int(_cycles(np.array([today]), anchor)[0])
            skip, catch_up, owed, per_month = _months_passed(cycles, current, totals)
            spanned = int(cycles[-1] - cycles[0]) + 1
            if len(cycles) < MADE_UP_COVERAGE * spanned and not catch_up:
                due = None  # months passed and not paid later: a project client, not a retainer
        if due is None and float(gaps.std()) > RENEWAL_SPREAD * float(gaps.mean()):
            continue
        if due is not None:
            rhythm = replace(
                rhythm,
                anchor=anchor,
                lateness=lateness,
                cycle=current,
                into_cycle=int(today - clipped_days(np.array([current]), anchor)[0]),
                cycle_paid=bool(cycles[-1] == current),
                skip=skip,
                catch_up=catch_up,
                owed=owed,
                amounts=per_month,
            )
        found.append(rhythm)
    return tuple(found)


def _passed_over(rhythm: Rhythm, survival: float) -> float:
    """Due monthly, this month not paid yet and waited for with `survival` the share of
    lateness at least this long: the chance that it is passed over (Bayes on `skip`)."""
    if not rhythm.may_pass:
        return 0.0
    return rhythm.skip / (rhythm.skip + (1 - rhythm.skip) * survival)


def _months_passed(
    cycles: np.ndarray, current: int, totals: np.ndarray
) -> tuple[float, bool, int, np.ndarray]:
    """`skip`, `catch_up`, `owed` and the recent amounts per month of a source due monthly
    whose latest payments paid `cycles` (`totals`: all its payments, the latest last),
    `current` being this month's (see Rhythm)."""
    amounts = totals[-len(cycles) :]
    owed = max(current - int(cycles[-1]) - 1, 0)
    spanned = int(cycles[-1] - cycles[0]) + 1
    skip = (spanned - len(cycles) + owed) / (spanned + owed)
    covers = np.diff(cycles, prepend=cycles[0] - 1)  # months each payment came after
    usual = amounts[covers == 1]
    after_gap = amounts[covers > 1]
    catch_up = bool(
        len(after_gap) and len(usual) and short_median(after_gap / short_median(usual)) > 2**0.5
    )
    per_month = amounts / covers if catch_up else amounts
    return skip, catch_up, owed, per_month[-RECENT_AMOUNTS:]


def still_paying(rhythm: Rhythm, lengths: np.ndarray, weights: np.ndarray, waited: int) -> float:
    """The chance that the source has not stopped, after `rhythm.silent` days without a
    payment: a prior hazard of STOP_HAZARD a month against the chance of that silence from a
    source still paying: that a payment waited for `waited` days is still on its way (the
    share of waits at least that long) or, due monthly, that this month and the `owed` ones
    before it were passed over."""
    survival = float(weights[lengths >= waited].sum())
    if rhythm.may_pass:
        survival = rhythm.skip**rhythm.owed * (rhythm.skip + (1 - rhythm.skip) * survival)
    stopped = 1.0 - (1.0 - STOP_HAZARD) ** (max(rhythm.silent, 0) / DAYS_PER_MONTH)
    return survival * (1 - stopped) / (survival * (1 - stopped) + stopped) if survival else 0.0


def _due_offsets(
    rhythm: Rhythm, days: int, paths: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(paths, cycles) day offsets from the forecast's first day of each month's payment: the
    current month's (unless paid) later than it already is, then each month's due day plus a
    lateness drawn from the source's own; -1 for the current month when it is paid. With
    them, the months each payment pays (0: passed over, with chance `skip`; more than 1 when
    it catches up on passed ones)."""
    lengths, weights, waited = rhythm.waits()
    survival = float(weights[lengths >= waited].sum())  # of the pending month's payment
    cycles = rhythm.cycle + np.arange(int(days // 28) + 3)
    due = clipped_days(cycles, rhythm.anchor or 1)
    due = due - due[0] - rhythm.into_cycle
    offsets: np.ndarray = due[None, :] + rng.choice(lengths, size=(paths, len(cycles)), p=weights)
    if rhythm.cycle_paid:
        offsets[:, 0] = -1
    else:
        tail = np.where(lengths >= waited, weights, 0.0)
        if survival > 0:
            offsets[:, 0] = due[0] + rng.choice(lengths, size=paths, p=tail / tail.sum())
        else:
            offsets[:, 0] = -1  # later than any lateness: passed over (a source still paying)
    months = np.ones(offsets.shape, dtype=np.int64)
    if rhythm.skip <= 0:
        return offsets, months  # (and draws nothing more: paths stay as they were)
    passed = rng.random(offsets.shape) < rhythm.skip
    passed[:, 0] = rng.random(paths) < _passed_over(rhythm, survival)  # 0 when paid
    carry = np.full(paths, rhythm.owed if rhythm.catch_up else 0, dtype=np.int64)
    for c in range(offsets.shape[1]):
        if c == 0 and rhythm.cycle_paid:
            continue  # paid already, and nothing is owed after it
        months[:, c] = np.where(passed[:, c], 0, 1 + carry)
        carry = np.where(passed[:, c] & rhythm.catch_up, carry + 1, 0)
    return offsets, months


def _renewal_offsets(rhythm: Rhythm, days: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    """(paths, payments) day offsets from the forecast's first day: a first gap after the
    last payment longer than its silence, then gaps drawn from its own."""
    lengths, weights, waited = rhythm.waits()
    tail = np.where(lengths >= max(waited, 1), weights, 0.0)
    first = rng.choice(lengths, size=paths, p=tail / tail.sum())
    count = int(days // max(lengths[weights > 1e-6].min(), 1)) + 2
    later = rng.choice(lengths, size=(paths, count - 1), p=weights)
    offsets: np.ndarray = np.cumsum(np.column_stack([first, later]), axis=1) - rhythm.silent
    return offsets


def rhythm_paths(rhythm: Rhythm, days: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    """(paths, days) of the source's payments from the forecast's first day: each path draws
    whether the source still pays (`still_paying`), when its payments come (due monthly or a
    renewal), their amounts, and a month it stops in (STOP_HAZARD a month)."""
    lengths, weights, waited = rhythm.waits()
    flows = np.zeros((paths, days))
    alive = still_paying(rhythm, lengths, weights, waited)
    if alive <= 0 or days <= 0:
        return flows
    if rhythm.anchor is not None:
        offsets, months = _due_offsets(rhythm, days, paths, rng)
    else:
        offsets = _renewal_offsets(rhythm, days, paths, rng)
        months = np.ones(offsets.shape, dtype=np.int64)
    amounts = rng.choice(rhythm.amounts, size=offsets.shape) * months
    stop_month = rng.geometric(STOP_HAZARD, size=(paths, 1))  # stops in its k-th month on
    paying = (rng.random((paths, 1)) < alive) & (offsets >= 0) & (offsets < days) & (months > 0)
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
