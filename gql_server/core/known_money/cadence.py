"""The timing of a counterparty's payments: monthly on a usual day of the month, weekly, or every
N days (7..35), fitted on local day numbers (rules in `detection`'s docstring)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gql_server.core.calendar import WEEK, clipped_days, month_numbers
from gql_server.core.known_money.items import Cadence
from gql_server.core.series import DAYS_PER_MONTH

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


def with_others(fit: CadenceFit, n: int) -> CadenceFit:
    """Count the events from the run's start on that are not hits (`n` events in all)."""
    others = n - int(fit.hits[0]) - len(fit.hits) if len(fit.hits) else 0
    return replace(fit, others=others)


def _usual_day(off: np.ndarray, days: np.ndarray) -> int:
    """The anchor (row of `off`, days off per anchor and payment) that the recent payments fit
    best: the fewest outside the window, then the fewest days off, later payments weighing
    more. Payments before a silence of more than two months belong to an older run."""
    silences = np.flatnonzero(np.diff(days) > 2 * DAYS_PER_MONTH + MONTHLY_WINDOW)
    start = max(len(days) - RECENT, int(silences[-1]) + 1 if len(silences) else 0)
    recent = np.abs(off[:, start:])
    weight = np.arange(1, recent.shape[1] + 1)
    outside = recent > MONTHLY_WINDOW
    missed = (outside * weight).sum(axis=1)
    days_off = (np.where(outside, 0, recent) * weight).sum(axis=1)
    return int(np.argmin(missed * (MONTHLY_WINDOW + 1) * weight.sum() + days_off))


def monthly_fit(days: np.ndarray) -> CadenceFit:
    """The usual day (see _usual_day) and the latest run of payments within the window of it,
    one per month."""
    nearby = month_numbers(days)[:, None] + np.array([-1, 0, 1])  # the 31st may pay the 1st's due
    anchors = np.arange(1, 32)[:, None, None]
    off = days[None, :, None] - clipped_days(nearby[None], anchors)
    nearest = np.abs(off).argmin(axis=2)[..., None]
    off = np.take_along_axis(off, nearest, axis=2)[..., 0]
    best = _usual_day(off, days)
    deviation = off[best]
    cycle = np.take_along_axis(nearby, nearest[best], axis=1)[:, 0]
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
    fit = CadenceFit(
        cadence=Cadence.MONTHLY,
        interval=None,
        anchor=best + 1,
        hits=hits,
        deviation=deviation[hits],
        periods=run[-1] - run[0] + 1 if run else 0,
        others=0,
        tolerance=MONTHLY_WINDOW,
        last_cycle=run[-1] if run else None,
    )
    return with_others(fit, len(days))


def _interval_run(days: np.ndarray, end: int, interval: int, tolerance: int) -> CadenceFit:
    """Walk back from payment `end`: the previous payment is the one closest to N days earlier
    (2N when that one was missed), within the tolerance; payments passed over count as others."""
    current = end
    hits, deviation, periods = [end], [0], 1
    while current > 0:
        for steps in (1, 2):
            target = int(days[current]) - steps * interval
            lo, hi = np.searchsorted(days[:current], [target - tolerance, target + tolerance + 1])
            if hi > lo:
                j = int(lo + np.argmin(np.abs(days[lo:hi] - target)))
                break
        else:
            break
        hits.append(j)
        deviation.append(int(days[current] - days[j]) - steps * interval)
        periods += steps
        current = j
    fit = CadenceFit(
        cadence=Cadence.WEEKLY if interval == WEEK else Cadence.EVERY_N_DAYS,
        interval=interval,
        anchor=None,
        hits=np.array(hits[::-1], dtype=np.int64),
        deviation=np.array(deviation[::-1], dtype=np.int64),
        periods=periods,
        others=0,
        tolerance=tolerance,
    )
    return with_others(fit, len(days))


def interval_fit(days: np.ndarray) -> CadenceFit | None:
    """Every N days, N the median recent gap: the longest run ending on one of the latest
    RUN_STARTS payments (an extra top-up after the last renewal does not hide the series)."""
    gaps = np.diff(days)
    interval = round(float(np.median(gaps[-RECENT:]))) if len(gaps) else 0
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        return None
    tolerance = 1 if interval <= 2 * WEEK else 2
    ends = range(len(days) - 1, max(len(days) - 1 - RUN_STARTS, -1), -1)
    runs = [_interval_run(days, end, interval, tolerance) for end in ends]
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
