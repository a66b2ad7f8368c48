"""The weekly models' plumbing: their names, the complete weekly sums they are fitted on (with
the calendar's share taken out), their simulated paths spread over days, and the scale of
MASE. Which model a user gets, and how it scored, is `evaluation`'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from gql_server.core.forecasting.candidates import simulate_yearly
from gql_server.core.forecasting.simulation import (
    WEEK,
    ArimaFit,
    calendar_factors,
    simulate_arima,
    simulate_mean,
    spread_over_days,
)

MIN_TRAIN_DAYS = 84
MAX_WEEKS = 104
ARIMA, MEAN, YEARLY = "arima", "mean", "yearly"
MODELS = (ARIMA, MEAN, YEARLY)

WeeklySimulator = Callable[[np.ndarray, int, int, np.random.Generator], np.ndarray]
BASELINES: dict[str, WeeklySimulator] = {
    MEAN: simulate_mean,
    YEARLY: simulate_yearly,
}


def complete_weeks(flow: np.ndarray) -> np.ndarray:
    """Sums of the 7-day blocks that end on the last day (a leading remainder is dropped),
    at most the last MAX_WEEKS of them."""
    n = len(flow) // WEEK * WEEK
    weeks = np.asarray(flow[len(flow) - n :], dtype=np.float64).reshape(-1, WEEK).sum(axis=1)
    recent: NDArray[np.float64] = weeks[-MAX_WEEKS:]
    return recent


def naive_scale(flow: np.ndarray, horizon: int = 30) -> float | None:
    """In-sample MAE of the seasonal naive for `horizon`-day sums: each sum forecast by the
    sum of the `horizon` days before it (the scale of MASE, Hyndman & Koehler 2006)."""
    if len(flow) < 2 * horizon:
        return None
    cumulative = np.concatenate([[0.0], np.cumsum(flow)])
    sums = cumulative[horizon:] - cumulative[:-horizon]
    return float(np.mean(np.abs(sums[horizon:] - sums[:-horizon])))


@dataclass(frozen=True)
class Prepared:
    """A flow made ready for the weekly models once (`prepare`): the calendar factors of the
    days after it and its calendar-adjusted complete weeks. An outlook runs several models on
    each flow at each backtest origin; computing these per model took a tenth of its time."""

    ahead: np.ndarray  # the calendar factor of each day after the flow
    weeks: np.ndarray  # `adjusted_weeks`


def prepare(flow: np.ndarray, start: date, days: int) -> Prepared:
    """`flow` (daily, from `start`) ready for `daily_paths` of up to `days` days."""
    past, ahead = calendar_factors(flow, start, days)
    return Prepared(ahead=ahead, weeks=_adjusted(flow, past))


def daily_paths(
    model: str,
    prepared: Prepared,
    *,
    days: int,
    paths: int,
    rng: np.random.Generator,
    fit: ArimaFit | None = None,
) -> tuple[np.ndarray, str]:
    """`(paths, days)` simulated days after the prepared flow ends under `model`, and the
    name of what was used. The model runs on the calendar-adjusted complete weeks
    (`adjusted_weeks`) and its weekly paths are spread over days by the calendar factors
    ahead. ARIMA is the caller's `fit` (`simulation.fit_arima`); without one (it could not be
    fitted) the mean model stands in."""
    if days > len(prepared.ahead):
        raise ValueError("the flow was prepared for fewer days")
    steps = -(-days // WEEK)
    if model == ARIMA and fit is not None:
        weekly, used = simulate_arima(fit, steps, paths, rng), fit.label
    else:
        used = MEAN if model == ARIMA else model
        weekly = BASELINES[used](prepared.weeks, steps, paths, rng)
    return spread_over_days(weekly, prepared.ahead[:days]), used


def adjusted_weeks(flow: np.ndarray, start: date) -> np.ndarray:
    """Complete weekly sums (see `complete_weeks`) with the calendar's share taken out
    additively: a week whose days have mean factor F loses 7 * mean daily flow * (F - 1), so
    a week holding a monthly payday and one without it compare as levels."""
    past, _ = calendar_factors(flow, start, 0)
    return _adjusted(flow, past)


def _adjusted(flow: np.ndarray, past: np.ndarray) -> np.ndarray:
    weeks = complete_weeks(flow)
    factor = past[len(past) - len(weeks) * WEEK :].reshape(-1, WEEK).mean(axis=1)
    adjusted: NDArray[np.float64] = weeks - WEEK * float(np.mean(flow)) * (factor - 1.0)
    return adjusted
