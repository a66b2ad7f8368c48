"""What-if scenarios over the known-money forecast: lose a client, earn more or less, take on a
monthly cost, make a one-off purchase. Computed on the fly from the same plan and seed as the
stored forecast, so an empty scenario reproduces it exactly.

* dropping an income source takes its rows out of the baseline (the model never learns that
  money) and its scheduled items and rhythms (`known_money.rhythm`) off the known flows;
* an income change scales the simulated inflow and the scheduled income alike;
* an extra monthly expense is spread evenly over the days (x 12 / 365.25 a day): it has no date
  to land on, and spreading it does not invent one;
* a one-off expense lands on its day in every path;
* paying advance tax early moves every instalment due after that day to it.

Dues (advance-tax instalments, `Surroundings.dues`) are certain: they land on their day in
every path, with no chance of stopping.

Dropping a source also drops items scheduled from it, so its draws of stops are skipped: the
other items keep theirs only because each item draws in a fixed order (see `known_flows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from gql_server.core.forecasting.choice import Choice
from gql_server.core.forecasting.forecast import HORIZONS, ForecastResult, forecast
from gql_server.core.known_money.plan import KnownMoney, baseline_series, first_day
from gql_server.core.known_money.rhythm import rhythm_paths
from gql_server.core.known_money.schedule import occurrences_between
from gql_server.core.series import DAYS_PER_MONTH, DailySeries, Ledger

MIN_CHANGE_PCT, MAX_CHANGE_PCT = -100.0, 500.0
RHYTHM_PATHS = 500  # paths averaged for a rhythm's expected flows (`known_flows` without paths)


@dataclass(frozen=True)
class Scenario:
    drop_source_ids: frozenset[int] = frozenset()
    income_change_pct: float = 0.0
    extra_monthly_expense: float = 0.0  # rupees a month, >= 0
    one_offs: tuple[tuple[date, float], ...] = ()  # (day, rupees > 0)
    dues_paid_on: date | None = None  # every due after this day paid on it instead

    def __post_init__(self) -> None:
        if not MIN_CHANGE_PCT <= self.income_change_pct <= MAX_CHANGE_PCT:
            raise ValueError("income_change_pct must be within -100..500")
        if self.extra_monthly_expense < 0 or any(a <= 0 for _, a in self.one_offs):
            raise ValueError("amounts must be positive")


def known_flows(
    ledger: Ledger,
    known: KnownMoney,
    days: int,
    scenario: Scenario | None = None,
    *,
    paths: int | None = None,
    rng: np.random.Generator | None = None,
    dues: tuple[tuple[date, float], ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Known inflow and outflow of each day from the day after the history, under `scenario`.

    Rows dated after the history (today's so far) are on their days in every path, and a
    payment due today that they already hold is not scheduled again (`known_money.ahead`).
    Without `paths`: every scheduled occurrence, as one row of days. With `paths` (and `rng`):
    one row per simulated path, where each scheduled item may stop with a hazard per month,
    one minus its certainty (`KnownMoney.schedule_certainty`, a chance of paying on a month
    later), counted from its first due date in the forecast (due once, it is paid): the same
    draw for all its occurrences in a path. Charged per payment instead, a weekly payout at
    confidence 0.5 vanished from a third of the paths within 30 days. Income at a rhythm
    (`KnownMoney.rhythms`) is drawn per path (`rhythm.rhythm_paths`), or averaged over
    RHYTHM_PATHS paths without `paths`. `dues` (day, rupees)
    land on their day (or the scenario's `dues_paid_on`, when earlier) in every path; those
    after the days are left out. A one-off outside the days is an error: the caller checks
    dates before asking."""
    scenario = scenario or Scenario()
    start = first_day(ledger)
    end = start + timedelta(days=max(days, 1) - 1)
    shape = (days,) if paths is None else (paths, days)
    inflow, outflow = np.zeros(shape), np.zeros(shape)
    certainty = known.schedule_certainty or (1.0,) * len(known.schedule)
    generator = rng if rng is not None else np.random.default_rng(0)
    # Each rhythm draws from a stream of its own (spawned: the generator's own stream does not
    # move), so dropping a source or a scheduled item leaves the other rhythms' paths as they
    # were and a what-if differs from the forecast only where it changes the flows.
    rhythm_streams = generator.spawn(len(known.rhythms))
    for item, source, sure in zip(known.schedule, known.schedule_sources, certainty, strict=True):
        if source >= 0 and source in scenario.drop_source_ids:
            continue
        index = np.array([(d - start).days for d in occurrences_between(item, start, end)])
        if len(index) and index[0] == 0 and known.ahead.settles(item, 0):
            index = index[1:]  # paid today already: today's rows hold it
        if len(index) == 0:
            continue
        target = inflow if item.is_income else outflow
        if paths is None:
            np.add.at(target, index, item.amount)
            continue
        draw = generator.random(paths)[:, None]
        months = (index - index[0]) / DAYS_PER_MONTH
        paid = draw < sure ** months[None, :]
        target[:, index] += paid * item.amount
    for rhythm, stream in zip(known.rhythms, rhythm_streams, strict=True):
        if rhythm.source_id >= 0 and rhythm.source_id in scenario.drop_source_ids:
            continue
        drawn = rhythm_paths(rhythm, days, paths or RHYTHM_PATHS, stream)
        inflow = inflow + (drawn if paths is not None else drawn.mean(axis=0))
    inflow = inflow * (1.0 + scenario.income_change_pct / 100.0)
    outflow = outflow + scenario.extra_monthly_expense / DAYS_PER_MONTH
    moved_in, moved_out = known.ahead.flows(days)  # money moved already: no scenario undoes it
    inflow, outflow = inflow + moved_in, outflow + moved_out
    for day, amount in scenario.one_offs:
        offset = (day - start).days
        if not 0 <= offset < days:
            raise ValueError(f"a one-off on {day} is outside the {days} days from {start}")
        outflow[..., offset] += amount
    for day, amount in dues:
        paid_on = scenario.dues_paid_on
        offset = ((day if paid_on is None else min(day, paid_on)) - start).days
        if 0 <= offset < days:
            outflow[..., offset] += amount
    return inflow, outflow


def scenario_baseline(
    ledger: Ledger, known: KnownMoney, full: DailySeries, scenario: Scenario | None = None
) -> DailySeries:
    """The flows the model learns from, without the dropped sources' rows."""
    rows = known.baseline
    if scenario is not None and scenario.drop_source_ids:
        dropped = np.isin(np.asarray(ledger.source_id), list(scenario.drop_source_ids))
        rows = rows & ~dropped
    return baseline_series(ledger, rows, full, known.baseline_amount)


def forecast_known(
    ledger: Ledger,
    known: KnownMoney,
    full: DailySeries,
    *,
    seed: int,
    scenario: Scenario | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    paths: int = 1000,
    choice: Choice | None = None,
    time_budget_s: float = 2.0,
    dues: tuple[tuple[date, float], ...] = (),
) -> ForecastResult:
    """Known flows (and `dues`) on their dates plus the model of the rest, under `scenario`
    (none: as is),
    with `choice`'s models and calibration (`evaluation.evaluate`). The items' stops are drawn
    from their own stream of the seed, so a scenario changes the paths only where it changes
    the flows."""
    days = max(horizons)
    stops = np.random.default_rng(np.random.SeedSequence([seed % 2**32, 0x5ED]))
    inflow, outflow = known_flows(ledger, known, days, scenario, paths=paths, rng=stops, dues=dues)
    change = scenario.income_change_pct if scenario is not None else 0.0
    return forecast(
        scenario_baseline(ledger, known, full, scenario),
        seed=seed,
        horizons=horizons,
        paths=paths,
        scheduled_inflow=inflow,
        scheduled_outflow=outflow,
        income_factor=1.0 + change / 100.0,
        choice=choice,
        time_budget_s=time_budget_s,
    )
