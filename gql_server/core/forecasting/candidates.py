"""The yearly weekly model, beside ARIMA and the mean (`simulation`): it takes the
calendar-adjusted weekly sums (`weekly.adjusted_weeks`) and returns `(paths, steps)`
simulated future weeks, never below 0; the rolling-origin evaluation decides per user and
flow whether it is used (`evaluation`).

The last year's mean times a seasonal index of each week ahead: how the nine weeks around the
same week a year earlier compare with a straight line through such means (one late payment is
not a season, and growth is not a season either), shrunk towards 1 by the measured seasonal
strength (`seasonal_index`). A tutor's lean summer and a wedding photographer's season come
back; a flow without a yearly pattern gets about the mean model. Needs YEARLY_MIN_WEEKS of
history (13+ months and a window either side); paths multiply each week's point by the rule's
own ratios (actual over rule) over the last year, resampled in 4-week blocks: a lean week
keeps a lean week's spread. Added errors, cut at zero, gave the lean weeks of a wedding
photographer the spread of the busy ones and lifted their mean above the year's
(bench.lumpy_income, wedding season: 30-day inflow MAE/naive 1.09 -> 1.06; the tuning seed
unchanged).

Measured on the tuning job seed (11), 72 users, 360 forecasts each made from the five
origins before it (offline, with `evaluation`'s own origin records), the 30-day MAE against
choosing among ARIMA, 4-week seasonal naive and mean: choosing among ARIMA, mean and yearly
inflow 0.93, outflow 0.93 (seasonal earners' inflow 0.75 with yearly alone). Also tried, and
left out because they did not pay: seasonal naive (dropping it alone gave outflow 0.92);
damped-trend / simple exponential smoothing chosen by AICc (with it 0.94 / 0.96: one more
candidate to choose among on five origins costs more than it adds); last year's three weeks
scaled by the recent level (1.37 as a single model: one lumpy year is too noisy).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gql_server.core.forecasting.simulation import block_bootstrap, simulate_mean

YEAR = 52
REPEAT_WEEKS = 26  # overlap of two years needed to check that a season repeats
WINDOW_WEEKS = 9  # weeks averaged around a week of last year: one late payment is not a season
YEARLY_MIN_WEEKS = YEAR + 2 * WINDOW_WEEKS
# The rule's ratios (actual over rule) that the paths resample are taken in weeks where it
# expects at least this share of the year's mean week: a ratio to almost nothing (a tutor's
# summer) is a division by noise, and one such ratio drawn into a January path tripled it.
FLOOR = 0.5


def _window_means(y: np.ndarray) -> np.ndarray:
    """The mean of the WINDOW_WEEKS-week window centred on each week (shorter at the ends)."""
    cumulative = np.concatenate([[0.0], np.cumsum(y)])
    half = WINDOW_WEEKS // 2
    lo = np.clip(np.arange(len(y)) - half, 0, len(y))
    hi = np.clip(np.arange(len(y)) + half + 1, 0, len(y))
    means: NDArray[np.float64] = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    return means


def seasonal_index(y: np.ndarray) -> np.ndarray:
    """Entry t is the seasonal index of week t + YEAR (a week of the history, or one after it
    for the last YEAR entries): the mean of the weeks around week t over a straight line
    fitted to those means (a ratio: the season, not the growth), shrunk towards 1 by the
    seasonal strength.

    Strength, with half a year or more of two years' overlap: the correlation of each week's
    window with the window a year before it, both off the line. That is the test-retest
    reliability of one year's windows as a measure of the season, the share of their
    variation that repeats, which is the weight one year's season deserves. Without the
    overlap: the share of the window means' variation around the line that weekly noise
    cannot explain (after Wang, Smith & Hyndman 2006; noise averages down by the window's
    length). That share assumes independent weeks; project income comes in lumps, and it
    called seasons that repeated year on year at a correlation of 0.6-0.96 noise (strength 0),
    so the yearly model forecast a seasonal earner's lean July at the year's mean. Measured on
    the generator's users of job seeds 5, 13 and 17 (10 a pattern, 240 forecasts, origins as
    bench.forecast_accuracy's; seeds taken up for tuning, the held-out 29 and 37 untouched),
    30-day MAE / seasonal naive's, the lesser of the two before -> this: inflow 0.601 ->
    0.567, net 0.590 -> 0.564, seasonal earners' inflow 1.51 -> 0.98; it costs the
    non-seasonal a little, where a chance correlation now and then passes for a season
    (moderate 0.435 -> 0.465, volatile 0.575 -> 0.582). Tuning seed 11: inflow 0.691 ->
    0.684, net 0.571 -> 0.565. bench.lumpy_income: school-year tutor 0.77 -> 0.70, wedding
    season 1.06 -> 1.06, all 0.87 -> 0.87 (with FLOOR)."""
    n = len(y)
    windows = _window_means(y)
    weeks = np.arange(n, dtype=np.float64)
    slope, intercept = np.polyfit(weeks, windows, 1)
    line = intercept + slope * weeks
    if float(line.min()) <= 0:
        line = np.full(n, float(y.mean()))
    if float(line.min()) <= 0:
        return np.ones(n)
    later, earlier = windows[YEAR:] - line[YEAR:], windows[:-YEAR] - line[:-YEAR]
    if len(later) >= REPEAT_WEEKS and np.std(later) > 0 and np.std(earlier) > 0:
        strength = max(float(np.corrcoef(later, earlier)[0, 1]), 0.0)
    else:
        season = float(np.var(windows - line))
        noise = float(np.var(y - windows)) / WINDOW_WEEKS
        strength = min(max(1.0 - noise / season, 0.0), 1.0) if season > 0 else 0.0
    index: NDArray[np.float64] = 1.0 + strength * (windows / line - 1.0)
    return index


def simulate_yearly(y: np.ndarray, steps: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    """The last year's mean times the seasonal index of each week ahead (module docstring),
    times the rule's ratios over the last year resampled in blocks (scaled to average 1; taken
    in the weeks where it expected FLOOR of a mean week or more, the bare point without any).
    The mean model where the history is shorter than YEARLY_MIN_WEEKS."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < YEARLY_MIN_WEEKS:
        return simulate_mean(y, steps, paths, rng)
    level = float(y[-YEAR:].mean())
    index = seasonal_index(y)  # week t + YEAR's index is index[t]
    point = level * index[len(y) - YEAR + np.arange(steps) % YEAR]
    since = max(len(y) - YEAR, YEAR)  # the rule in sample, over the last year's weeks
    fitted = level * index[since - YEAR : len(y) - YEAR]
    held = fitted > FLOOR * level
    ratios = y[since:][held] / fitted[held]
    if len(ratios) == 0 or ratios.mean() <= 0:
        return np.tile(point, (paths, 1))
    noise = block_bootstrap(ratios / ratios.mean(), steps, paths, rng)
    scaled: NDArray[np.float64] = point[None, :] * noise
    return scaled
