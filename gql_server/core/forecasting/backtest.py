"""Rolling-origin evaluation of the weekly models on 30-day sums of a daily flow.

At each origin (the last 30, 60, ..., 180 days of history cut off in turn, keeping at least
12 weeks to learn from) every model is refitted on what came before, forecasts the next 30
days by simulation exactly as the live forecast does, and is scored against what happened: the
absolute error of the mean of its paths, and whether the actual sum fell inside the paths'
10th-90th percentile. MASE (Hyndman & Koehler 2006) divides the mean absolute error by the
mean over origins of the in-sample error of the seasonal naive 30-day sum.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from gql_server.core.forecasting.simulation import (
    WEEK,
    ArimaFit,
    calendar_factors,
    fit_arima,
    simulate_arima,
    simulate_mean,
    simulate_seasonal_naive,
    spread_over_days,
)

BACKTEST_HORIZON = 30
BACKTEST_ORIGINS = 6
BACKTEST_PATHS = 200
MIN_TRAIN_DAYS = 84
MAX_WEEKS = 104
ARIMA, SEASONAL_NAIVE, MEAN = "arima", "seasonal_naive", "mean"
MODELS = (ARIMA, SEASONAL_NAIVE, MEAN)
LOW_Q, HIGH_Q = 10.0, 90.0

WeeklySimulator = Callable[[np.ndarray, int, int, np.random.Generator], np.ndarray]
BASELINES: dict[str, WeeklySimulator] = {
    SEASONAL_NAIVE: simulate_seasonal_naive,
    MEAN: simulate_mean,
}


@dataclass(frozen=True)
class Score:
    """How one model did over the origins."""

    mae: float  # mean absolute error of the 30-day sum, rupees
    mase: float | None  # mae / in-sample MAE of the seasonal naive 30-day sum
    coverage: float  # share of origins whose actual sum fell in the 80% interval
    origins: int


def complete_weeks(flow: np.ndarray) -> np.ndarray:
    """Sums of the 7-day blocks that end on the last day (a leading remainder is dropped),
    at most the last MAX_WEEKS of them."""
    n = len(flow) // WEEK * WEEK
    weeks = np.asarray(flow[len(flow) - n :], dtype=np.float64).reshape(-1, WEEK).sum(axis=1)
    recent: NDArray[np.float64] = weeks[-MAX_WEEKS:]
    return recent


def naive_scale(flow: np.ndarray, horizon: int = BACKTEST_HORIZON) -> float | None:
    """In-sample MAE of the seasonal naive for `horizon`-day sums: each sum forecast by the
    sum of the `horizon` days before it (the scale of MASE, Hyndman & Koehler 2006)."""
    if len(flow) < 2 * horizon:
        return None
    cumulative = np.concatenate([[0.0], np.cumsum(flow)])
    sums = cumulative[horizon:] - cumulative[:-horizon]
    return float(np.mean(np.abs(sums[horizon:] - sums[:-horizon])))


def daily_paths(
    model: str,
    flow: np.ndarray,
    start: date,
    *,
    days: int,
    paths: int,
    rng: np.random.Generator,
    order: tuple[int, int, int] | None = None,
    fit: ArimaFit | None = None,
    deadline: float = math.inf,
) -> tuple[np.ndarray, str]:
    """`(paths, days)` simulated days after `flow` ends under `model`, and the name of what
    was used. The model runs on the calendar-adjusted complete weeks (`adjusted_weeks`) and
    its weekly paths are spread over days by the calendar factors ahead. ARIMA uses `fit`
    if given, else is fitted with `order`; when it cannot be fitted the mean model stands in."""
    if fit is None and model == ARIMA:
        fit = fit_arima(adjusted_weeks(flow, start), deadline=deadline, order=order)
    steps = -(-days // WEEK)
    if model == ARIMA and fit is not None:
        weekly, used = simulate_arima(fit, steps, paths, rng), fit.label
    else:
        used = MEAN if model == ARIMA else model
        weekly = BASELINES[used](adjusted_weeks(flow, start), steps, paths, rng)
    _, ahead = calendar_factors(flow, start, days)
    return spread_over_days(weekly, ahead), used


def adjusted_weeks(flow: np.ndarray, start: date) -> np.ndarray:
    """Complete weekly sums (see `complete_weeks`) with the calendar's share taken out
    additively: a week whose days have mean factor F loses 7 * mean daily flow * (F - 1), so
    a week holding a monthly payday and one without it compare as levels."""
    weeks = complete_weeks(flow)
    past, _ = calendar_factors(flow, start, 0)
    factor = past[len(past) - len(weeks) * WEEK :].reshape(-1, WEEK).mean(axis=1)
    adjusted: NDArray[np.float64] = weeks - WEEK * float(np.mean(flow)) * (factor - 1.0)
    return adjusted


def backtest(
    flow: np.ndarray,
    start: date,
    *,
    order: tuple[int, int, int] | None,
    rng: np.random.Generator,
    deadline: float,
    origins: int = BACKTEST_ORIGINS,
    horizon: int = BACKTEST_HORIZON,
    paths: int = BACKTEST_PATHS,
    models: tuple[str, ...] = MODELS,
) -> dict[str, Score]:
    """Scores of each of `models` over up to `origins` rolling origins, `horizon` days
    apart, each with at least MIN_TRAIN_DAYS of training; ARIMA keeps `order` (chosen once on
    the full history) and is refitted at each origin. Empty when no origin fits."""
    flow = np.asarray(flow, dtype=np.float64)
    cuts = [len(flow) - k * horizon for k in range(1, origins + 1)]
    cuts = [cut for cut in cuts if cut >= MIN_TRAIN_DAYS]
    errors: dict[str, list[float]] = {model: [] for model in models}
    covered: dict[str, list[bool]] = {model: [] for model in models}
    scales: list[float] = []
    for cut in cuts:
        if scales and time.perf_counter() > deadline:
            break
        train, actual = flow[:cut], float(flow[cut : cut + horizon].sum())
        scales.append(naive_scale(train, horizon) or 0.0)
        for model in models:
            sums = daily_paths(
                model, train, start, days=horizon, paths=paths, rng=rng, order=order,
                deadline=deadline,
            )[0].sum(axis=1)  # fmt: skip
            low, high = np.percentile(sums, [LOW_Q, HIGH_Q])
            errors[model].append(abs(float(sums.mean()) - actual))
            covered[model].append(bool(low - 1e-6 <= actual <= high + 1e-6))
    if not scales:
        return {}
    scale = float(np.mean(scales))
    return {
        model: Score(
            mae=float(np.mean(errors[model])),
            mase=float(np.mean(errors[model])) / scale if scale > 0 else None,
            coverage=float(np.mean(covered[model])),
            origins=len(scales),
        )
        for model in models
    }
