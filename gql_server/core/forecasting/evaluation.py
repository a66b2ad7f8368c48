"""Rolling-origin evaluation of the whole forecast, and the choices it makes from it: the
model of each flow and how wide its intervals must be to hold 80% of outcomes.

At each origin (the history cut 30, 60, ..., 150 days before its end, keeping at least
MIN_TRAIN_DAYS before the cut) everything is done again from the rows up to the cut, as the
live forecast would have done it on that day: recurring detection, outlier limits and the
baseline (`plan`), the ARIMA order, each candidate model's paths plus the known flows with
their stop draws. The sums of the next 7, 30 and 60 days are scored against what the user's
account really took in and paid out (not the cleaned baseline the model learns from).

Choices are prequential (Dawid 1984): at each origin a flow's model is the one with the
smallest 30-day error at the origins before it (ARIMA at the first), and its intervals are
calibrated from the errors before it; `backtest_mase`, `interval_coverage` and
`Calibration.coverage80` are what those choices scored, so every figure is out of sample. The
live forecast then makes the same choices from all the origins.

Calibration is conformal on normalised errors (split conformal with a locally weighted score,
Lei et al. 2018): an outcome above the paths' mean scores (actual - mean) / (p90 - mean), one
below (mean - actual) / (mean - p10), so a score <= 1 is inside the simulated 80% interval and
the 80th percentile of the scores is the factor that would have made 80% of them inside (taken
at 0.8 (n + 1) / n of n scores, split conformal's finite-sample correction). With a handful of
origins that percentile is noisy, so its logarithm is shrunk towards the factor pooled over
many users whose income had the same trend and volatility (POOLED, per stratum, flow and
horizon; the stratum of the history before each origin, and of the whole history for the
live forecast: `strata`) with SHRINK_ORIGINS pseudo-origins and kept within [MIN_FACTOR,
MAX_FACTOR]. The live forecast multiplies every path's deviation
from the mean of its running sum by the factor of that day (`Calibration.factor_by_day`),
cuts it at zero and scales it back to its mean (`forecast.calibrated`), so intervals, the
lowest balance, the shortfall probability and the balance fan still come from the same
paths; the coverage counted here is of those reshaped paths' intervals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from gql_server.core.calendar import day_number
from gql_server.core.forecasting.choice import (
    CONFORMAL,
    INFLOW,
    OUTFLOW,
    UNCALIBRATED,
    Calibration,
    Choice,
)
from gql_server.core.forecasting.forecast import HORIZONS, MIN_HISTORY_DAYS, calibrated
from gql_server.core.forecasting.scenarios import known_flows, scenario_baseline
from gql_server.core.forecasting.simulation import fit_arima
from gql_server.core.forecasting.strata import stratum
from gql_server.core.forecasting.weekly import (
    ARIMA,
    MEAN,
    MIN_TRAIN_DAYS,
    MODELS,
    daily_paths,
    naive_scale,
    prepare,
)
from gql_server.core.known_money.plan import KnownMoney
from gql_server.core.series import Ledger, changed, daily_series

# Each origin costs a recurring detection (~10 ms on 2026-12-07): with six, 100 users took 7.9
# s of 8 allowed before detection got faster; with five, 6.6-7.6 s on that day's machine.
ORIGINS = 5
SPACING_DAYS = 30
PATHS = 200
SELECTION_HORIZON = 30
LOW_Q, HIGH_Q = 10.0, 90.0
TARGET = 0.8
SHRINK_ORIGINS = 8.0  # on the tuning seed, 4 and 8 gave the same coverage within a point
MIN_FACTOR, MAX_FACTOR = 0.5, 3.0
FLOWS = (INFLOW, OUTFLOW)
# The factor pooled over users like them (`strata`), where each user's own is shrunk to, per
# stratum: the 80th percentile of the scores of every origin of the stratum (`Scored`), over
# generated users of the tuning job seed (11) at eight month-end origins through a year, as
# `bench.calibration_prior` prints it. The paths as simulated are too narrow: they know the
# model's noise, not that the model itself may be wrong.
POOLED: dict[str, dict[tuple[str, int], float]] = {
    "falling calm": {
        (INFLOW, 7): 1.12, (INFLOW, 30): 1.22, (INFLOW, 60): 1.25,
        (OUTFLOW, 7): 1.09, (OUTFLOW, 30): 1.21, (OUTFLOW, 60): 1.41,
    },
    "falling varied": {
        (INFLOW, 7): 1.14, (INFLOW, 30): 1.24, (INFLOW, 60): 1.24,
        (OUTFLOW, 7): 1.13, (OUTFLOW, 30): 1.17, (OUTFLOW, 60): 1.44,
    },
    "steady calm": {
        (INFLOW, 7): 1.10, (INFLOW, 30): 1.36, (INFLOW, 60): 1.35,
        (OUTFLOW, 7): 1.05, (OUTFLOW, 30): 1.36, (OUTFLOW, 60): 1.43,
    },
    "steady varied": {
        (INFLOW, 7): 1.05, (INFLOW, 30): 1.25, (INFLOW, 60): 1.25,
        (OUTFLOW, 7): 1.22, (OUTFLOW, 30): 1.52, (OUTFLOW, 60): 1.60,
    },
    "rising calm": {
        (INFLOW, 7): 1.08, (INFLOW, 30): 1.19, (INFLOW, 60): 1.22,
        (OUTFLOW, 7): 1.31, (OUTFLOW, 30): 1.76, (OUTFLOW, 60): 1.91,
    },
    "rising varied": {
        (INFLOW, 7): 1.08, (INFLOW, 30): 1.18, (INFLOW, 60): 1.21,
        (OUTFLOW, 7): 1.35, (OUTFLOW, 30): 1.78, (OUTFLOW, 60): 2.05,
    },
    "unknown": {
        (INFLOW, 7): 1.08, (INFLOW, 30): 1.25, (INFLOW, 60): 1.27,
        (OUTFLOW, 7): 1.17, (OUTFLOW, 30): 1.46, (OUTFLOW, 60): 1.58,
    },
}  # fmt: skip

# The known money of a ledger cut short: the rows kept (a mask over the full ledger's rows)
# let the caller cut its per-row inputs (merchant names, overrides) the same way.
Planner = Callable[[Ledger, np.ndarray], KnownMoney]


@dataclass(frozen=True)
class Scored:
    """One normalised error (`score`) of the evaluation: its flow and horizon, and the
    stratum of the history before its origin."""

    stratum: str
    flow: str
    horizon: int
    score: float


@dataclass(frozen=True)
class _Origin:
    """One origin's forecasts: sums[flow][model] is (paths, horizons) of each horizon's sum;
    actual[flow] the user's real sums; scale the inflow's seasonal naive in-sample MAE."""

    horizons: tuple[int, ...]
    sums: dict[str, dict[str, np.ndarray]]
    actual: dict[str, np.ndarray]
    scale: float
    stratum: str  # of the history before the cut (`strata.stratum`)


def cut_ledger(ledger: Ledger, last_day: date) -> tuple[Ledger, np.ndarray]:
    """The rows of local days up to `last_day`, as a ledger whose history ends that day, and
    the mask of those rows."""
    keep = ledger.day_numbers <= day_number(last_day)
    return changed(ledger, keep, as_of=last_day), keep


def _origin(
    ledger: Ledger,
    cut: date,
    plan: Planner,
    actual_in: np.ndarray,
    actual_out: np.ndarray,
    rng: np.random.Generator,
    deadline: float,
) -> _Origin | None:
    """The forecasts made on `cut` by every candidate model, with what happened after it
    (`actual_*`: the user's daily flows from the day after the cut)."""
    past, keep = cut_ledger(ledger, cut)
    series = daily_series(past)
    if len(series) < max(MIN_HISTORY_DAYS, MIN_TRAIN_DAYS):
        return None
    horizons = tuple(h for h in HORIZONS if h <= len(actual_in))
    known = plan(past, keep)
    base = scenario_baseline(past, known, series)
    days = max(horizons)
    known_in, known_out = known_flows(past, known, days, paths=PATHS, rng=rng)
    sums: dict[str, dict[str, np.ndarray]] = {}
    for flow, learned, scheduled in (
        (INFLOW, base.inflow, known_in),
        (OUTFLOW, base.outflow, known_out),
    ):
        prepared = prepare(learned, series.start, days)
        fit = fit_arima(prepared.weeks, deadline=deadline)
        sums[flow] = {}
        for model in (MEAN, *(m for m in MODELS if m != MEAN)):
            if model == ARIMA and fit is None:
                sums[flow][model] = sums[flow][MEAN]  # the live forecast's stand-in too
                continue
            daily, _ = daily_paths(model, prepared, days=days, paths=PATHS, rng=rng, fit=fit)
            running = np.cumsum(daily + scheduled, axis=1)
            sums[flow][model] = running[:, [h - 1 for h in horizons]]
    return _Origin(
        horizons=horizons,
        sums=sums,
        actual={
            INFLOW: np.array([actual_in[:h].sum() for h in horizons]),
            OUTFLOW: np.array([actual_out[:h].sum() for h in horizons]),
        },
        scale=naive_scale(series.inflow, SELECTION_HORIZON) or 0.0,
        stratum=stratum(series.inflow),
    )


def score(sums: np.ndarray, actual: float) -> float:
    """The normalised error of `actual` against simulated `sums` (module docstring): <= 1
    inside the paths' 80% interval."""
    mean = float(sums.mean())
    low, high = np.percentile(sums, [LOW_Q, HIGH_Q])
    tiny = 1e-9 * max(abs(mean), 1.0)
    if actual >= mean:
        return (actual - mean) / max(float(high) - mean, tiny)
    return (mean - actual) / max(mean - float(low), tiny)


def inside_interval(sums: np.ndarray, spread: float, actual: float) -> bool:
    """Whether `actual` is inside the 80% interval the live forecast would give from the
    simulated `sums` reshaped by `spread` (`forecast.calibrated`; an interval always holds
    its own mean, as `forecast` makes it)."""
    given = calibrated(sums[:, None], np.array([spread]))[:, 0]
    low, high = np.percentile(given, [LOW_Q, HIGH_Q])
    mean = float(given.mean())
    slack = 1e-9 * max(abs(mean), 1.0)
    return min(float(low), mean) - slack <= actual <= max(float(high), mean) + slack


def factor(scores: list[float], prior: float = 1.0) -> float:
    """The spread factor that makes 80% of `scores` inside, shrunk in logarithm towards
    `prior` by SHRINK_ORIGINS pseudo-origins and clipped to [MIN_FACTOR, MAX_FACTOR];
    `prior` without scores."""
    if not scores:
        return prior
    level = min(TARGET * (len(scores) + 1) / len(scores), 1.0)  # the finite-sample correction
    raw = min(max(float(np.quantile(scores, level)), MIN_FACTOR), MAX_FACTOR)
    weight = len(scores) / (len(scores) + SHRINK_ORIGINS)
    shrunk = math.exp(weight * math.log(raw) + (1.0 - weight) * math.log(prior))
    return float(min(max(shrunk, MIN_FACTOR), MAX_FACTOR))


def _best(errors: dict[str, list[float]]) -> str:
    """The model with the smallest mean error so far; ARIMA before any origin, and on ties."""
    if not errors[ARIMA]:
        return ARIMA
    return min(MODELS, key=lambda model: (float(np.mean(errors[model])), model != ARIMA))


def _calibration(
    scores: dict[tuple[str, int], list[float]], group: str
) -> dict[tuple[str, int], float]:
    """Each (flow, horizon)'s factor from the user's `scores`, shrunk towards the pooled
    factor of the stratum `group`."""
    return {key: factor(scores.get(key, []), prior) for key, prior in POOLED[group].items()}


def evaluate(
    ledger: Ledger,
    plan: Planner,
    *,
    seed: int,
    deadline: float = math.inf,
    origins: int = ORIGINS,
) -> Choice:
    """The choice of models and calibration for the live forecast from up to `origins`
    rolling origins SPACING_DAYS apart, and what such choices scored out of sample (module
    docstring). Origins stop early past `deadline` (time.perf_counter()), keeping at least
    one; with none (a short history) the choice is ARIMA, uncalibrated, unscored."""
    return evaluate_with_scores(ledger, plan, seed=seed, deadline=deadline, origins=origins)[0]


def evaluate_with_scores(
    ledger: Ledger,
    plan: Planner,
    *,
    seed: int,
    deadline: float = math.inf,
    origins: int = ORIGINS,
) -> tuple[Choice, list[Scored]]:
    """`evaluate`'s choice, with every normalised error it scored and the stratum of the
    history before its origin: what POOLED is the percentile of (`bench.calibration_prior`)."""
    full = daily_series(ledger)
    end = ledger.as_of
    cuts = [end - timedelta(days=SPACING_DAYS * k) for k in range(origins, 0, -1)]
    rng = np.random.default_rng(np.random.SeedSequence([seed % 2**32, 0xE7A1]))
    made: list[_Origin] = []
    for cut in cuts:
        if made and time.perf_counter() > deadline:
            break
        offset = (cut - full.start).days + 1
        if offset <= 0:
            continue
        record = _origin(
            ledger, cut, plan, full.inflow[offset:], full.outflow[offset:], rng, deadline
        )
        if record is not None:
            made.append(record)
    if not made:
        return Choice(inflow_model=ARIMA, outflow_model=ARIMA), []
    errors: dict[str, dict[str, list[float]]] = {f: {m: [] for m in MODELS} for f in FLOWS}
    scores: dict[tuple[str, int], list[float]] = {}
    scored: list[Scored] = []
    inside: dict[int, list[bool]] = {}
    inflow_errors, inflow_inside, scales = [], [], []
    for record in made:
        spreads = _calibration(scores, record.stratum)
        at = record.horizons.index(SELECTION_HORIZON)
        for flow in FLOWS:
            model = _best(errors[flow])
            for i, h in enumerate(record.horizons):
                sums, actual = record.sums[flow][model][:, i], float(record.actual[flow][i])
                error = score(sums, actual)
                held = inside_interval(sums, spreads.get((flow, h), 1.0), actual)
                inside.setdefault(h, []).append(held)
                if flow == INFLOW and h == SELECTION_HORIZON:
                    inflow_inside.append(held)
                    inflow_errors.append(abs(float(sums.mean()) - actual))
                scores.setdefault((flow, h), []).append(error)
                scored.append(Scored(record.stratum, flow, h, error))
            for candidate in MODELS:
                sums = record.sums[flow][candidate][:, at]
                errors[flow][candidate].append(abs(float(sums.mean()) - record.actual[flow][at]))
        scales.append(record.scale)
    scale = float(np.mean(scales))
    calibration = Calibration(
        method=CONFORMAL if scores else UNCALIBRATED,
        factors=_calibration(scores, stratum(full.inflow)),
        coverage80={h: float(np.mean(held)) for h, held in inside.items()},
        sample_size={h: len(held) for h, held in inside.items()},
    )
    choice = Choice(
        inflow_model=_best(errors[INFLOW]),
        outflow_model=_best(errors[OUTFLOW]),
        calibration=calibration,
        backtest_mase=float(np.mean(inflow_errors)) / scale if scale > 0 else None,
        interval_coverage=float(np.mean(inflow_inside)),
        origins=len(made),
    )
    return choice, scored
