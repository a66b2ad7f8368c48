"""The timing of a counterparty's payments: monthly on a usual day of the month, weekly, or every
N days (7..35), fitted on local day numbers (rules in `detection`'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gql_server.core.calendar import WEEK, clipped_days, month_numbers
from gql_server.core.known_money.items import Cadence
from gql_server.core.series import DAYS_PER_MONTH
from gql_server.core.stats import short_median

MIN_INTERVAL, MAX_INTERVAL = 7, 35  # days between payments of an every-N-days series
MONTHLY_WINDOW = 3  # days either side of the usual day of the month
RECENT = 12  # payments that set the usual day, the interval and the amount's variation
RUN_STARTS = 3  # latest payments an every-N-days run may end on (a top-up may come after)
STOP_PERIODS = 1.5  # a series silent for this many periods before as_of has stopped
LIVE_DAYS = STOP_PERIODS * MAX_INTERVAL + MONTHLY_WINDOW  # the longest silence of a live series


@dataclass(frozen=True)
class CadenceFit:
    """A cadence fitted to one counterparty's payment days (its "events")."""

    cadence: Cadence
    interval: int | None
    anchor: int | None  # MONTHLY: the usual day
    hits: np.ndarray  # events of the run that fit, ascending
    deviation: np.ndarray  # days each hit is off its expected date
    periods: int  # periods the run spans
    others: int  # events from the run's start on that are not hits
    tolerance: int  # days a payment may be off
    last_cycle: int | None = None  # MONTHLY: the month (since 1970-01) the latest hit paid

    @property
    def period(self) -> float:
        return DAYS_PER_MONTH if self.interval is None else float(self.interval)

    @property
    def coverage(self) -> float:
        return len(self.hits) / max(self.periods, 1)

    @property
    def timing(self) -> float:
        """1 for a payment every period on the expected day, less for misses and jitter."""
        jitter = float(np.mean(np.abs(self.deviation))) / (2 * (self.tolerance + 1))
        return min(self.coverage, 1.0) * (1.0 - jitter)


def others_of(hits: np.ndarray, n: int) -> int:
    """The events from the run's first hit on that are not hits (`n` events in all)."""
    return n - int(hits[0]) - len(hits) if len(hits) else 0


def with_others(fit: CadenceFit, n: int) -> CadenceFit:
    """The fit with its `others` counted again (`others_of`), after its hits changed."""
    return replace(fit, others=others_of(fit.hits, n))


def _recent_start(days: np.ndarray) -> int:
    """The first of the payments that set the usual day: the last RECENT, none before a
    silence of more than two months (those belong to an older run)."""
    silences = np.flatnonzero(np.diff(days) > 2 * DAYS_PER_MONTH + MONTHLY_WINDOW)
    return max(len(days) - RECENT, int(silences[-1]) + 1 if len(silences) else 0)


def _offsets(days: np.ndarray, nearby: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Days each payment is off each anchor's date in the nearest of its `nearby` months:
    (anchors, payments, 2) of (days off, index into nearby)."""
    off = days[None, :, None] - clipped_days(nearby[None], anchors[:, None, None])
    nearest = np.abs(off).argmin(axis=2)
    picked = off.reshape(-1, off.shape[2])[np.arange(nearest.size), nearest.ravel()]
    return np.stack([picked.reshape(nearest.shape), nearest], axis=2)


def _usual_day(off: np.ndarray) -> int:
    """The anchor (row of `off`, days off per anchor and recent payment) that the recent
    payments fit best: the fewest outside the window, then the fewest days off, later
    payments weighing more."""
    recent = np.abs(off)
    weight = np.arange(1, recent.shape[1] + 1)
    outside = recent > MONTHLY_WINDOW
    missed = (outside * weight).sum(axis=1)
    days_off = (np.where(outside, 0, recent) * weight).sum(axis=1)
    return int(np.argmin(missed * (MONTHLY_WINDOW + 1) * weight.sum() + days_off))


def monthly_fit(days: np.ndarray) -> CadenceFit:
    """The usual day (see _usual_day) and the latest run of payments within the window of it,
    one per month. The usual day is chosen on the recent payments alone, so only those are
    compared with all 31 days (a daily spender's 300 payments made this the detection's
    costliest step)."""
    nearby = month_numbers(days)[:, None] + np.array([-1, 0, 1])  # the 31st may pay the 1st's due
    start = _recent_start(days)
    best = _usual_day(_offsets(days[start:], nearby[start:], np.arange(1, 32))[..., 0])
    fitted = _offsets(days, nearby, np.array([best + 1]))[0]
    deviation = fitted[:, 0]
    cycle = nearby[np.arange(len(days)), fitted[:, 1]]
    chosen: dict[int, int] = {}  # month -> the payment closest to its date (earlier on ties)
    for i in np.flatnonzero(np.abs(deviation) <= MONTHLY_WINDOW).tolist():
        month = int(cycle[i])
        if month not in chosen or abs(deviation[i]) < abs(deviation[chosen[month]]):
            chosen[month] = i
    months = sorted(chosen)
    run = months[-1:]
    for earlier in reversed(months[:-1]):
        if run[0] - earlier > 2:  # more than one month missing: an older, separate run
            break
        run.insert(0, earlier)
    hits = np.array([chosen[m] for m in run], dtype=np.int64)
    # The day it is expected on is the median day of the recent payments in the window, not
    # the window's edge: an on-time retainer paid late once or twice was expected 2-3 days
    # after its day, past the end of a 30-day forecast that then missed it entirely
    # (`bench.late_payers`, due monthly with lateness of mean 1: 30-day inflow MAE 0.87 ->
    # 0.44 of naive's). The payments the window holds are chosen as before.
    anchor = best + 1
    if len(hits):
        anchor += int(np.round(short_median(deviation[hits][-RECENT:])))
        anchor = min(max(anchor, 1), 31)
    return CadenceFit(
        cadence=Cadence.MONTHLY,
        interval=None,
        anchor=anchor,
        hits=hits,
        deviation=deviation[hits],
        periods=run[-1] - run[0] + 1 if run else 0,
        others=others_of(hits, len(days)),
        tolerance=MONTHLY_WINDOW,
        last_cycle=run[-1] if run else None,
    )


def _links(
    days: np.ndarray, interval: int, tolerance: int
) -> tuple[list[int], list[int], list[int]]:
    """For each payment, the one a walk back from it steps to: the payment closest to N days
    earlier within the tolerance (the earlier one on a tie), else the one closest to 2N days
    earlier (that one was missed), else none (-1); with the periods stepped and the days off.
    Computed for all payments at once: walking with a search per step made interval fits the
    detection's costliest step."""
    n = len(days)
    index = np.arange(n)
    previous, periods, off = np.full(n, -1), np.zeros(n, dtype=np.int64), np.zeros(n, np.int64)
    for steps in (2, 1):  # one period back wins where both find a payment
        target = days - steps * interval
        after = np.searchsorted(days, target)  # the first payment on or after the target
        before = after - 1
        far = np.iinfo(np.int64).max
        gap_before = np.where(before >= 0, target - days[np.maximum(before, 0)], far)
        gap_after = np.where(after < index, days[np.minimum(after, n - 1)] - target, far)
        pick = np.where(gap_before <= gap_after, before, after)
        found = np.minimum(gap_before, gap_after) <= tolerance
        previous = np.where(found, pick, previous)
        periods = np.where(found, steps, periods)
        off = np.where(found, days - days[np.maximum(pick, 0)] - steps * interval, off)
    return previous.tolist(), periods.tolist(), off.tolist()


def _interval_run(
    end: int, interval: int, tolerance: int, links: tuple[list[int], list[int], list[int]], n: int
) -> CadenceFit:
    """Walk back from payment `end` along `links` (see _links); payments passed over count as
    others."""
    previous, steps, off = links
    current = end
    hits, deviation, periods = [end], [0], 1
    while previous[current] >= 0:
        hits.append(previous[current])
        deviation.append(off[current])
        periods += steps[current]
        current = previous[current]
    ordered = np.array(hits[::-1], dtype=np.int64)
    return CadenceFit(
        cadence=Cadence.WEEKLY if interval == WEEK else Cadence.EVERY_N_DAYS,
        interval=interval,
        anchor=None,
        hits=ordered,
        deviation=np.array(deviation[::-1], dtype=np.int64),
        periods=periods,
        others=others_of(ordered, n),
        tolerance=tolerance,
    )


def interval_fit(days: np.ndarray) -> CadenceFit | None:
    """Every N days, N the median recent gap: the longest run ending on one of the latest
    RUN_STARTS payments (an extra top-up after the last renewal does not hide the series)."""
    gaps = np.diff(days)
    interval = round(short_median(gaps[-RECENT:])) if len(gaps) else 0
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        return None
    tolerance = 1 if interval <= 2 * WEEK else 2
    links = _links(np.asarray(days, dtype=np.int64), interval, tolerance)
    ends = range(len(days) - 1, max(len(days) - 1 - RUN_STARTS, -1), -1)
    runs = [_interval_run(end, interval, tolerance, links, len(days)) for end in ends]
    return max(runs, key=lambda run: len(run.hits))  # the latest end among the longest


def next_due(fit: CadenceFit, last: int, as_of: int) -> int:
    """The first expected day after `as_of`. A payment due at most `tolerance` days ago that has
    not come yet is expected tomorrow; one missed by more is skipped."""
    if fit.cadence is Cadence.MONTHLY and fit.last_cycle is not None:
        month = fit.last_cycle + 1
        due = int(clipped_days(np.array([month]), fit.anchor or 1)[0])
        while due <= as_of - fit.tolerance:
            month += 1
            due = int(clipped_days(np.array([month]), fit.anchor or 1)[0])
        return max(due, as_of + 1)
    step = int(fit.interval or MIN_INTERVAL)
    due = last + step
    while due <= as_of - fit.tolerance:
        due += step
    return max(due, as_of + 1)
