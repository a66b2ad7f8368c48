"""Future paths of weekly flows, and their spreading over days.

Two weekly models produce `(paths, weeks)` arrays of simulated future weekly levels (a third,
the yearly one, is in `candidates`):

* ARIMA(p, d, q), p, q <= 2: d from a KPSS test and p, q (and, when d = 1, a drift) by AICc,
  as in Hyndman & Khandakar (2008), each order compared at its Hannan-Rissanen estimates
  (least squares, written here with numpy: statsmodels' took 2 ms a call in its own
  bookkeeping); the chosen order is refined by conditional sum of squares (Box & Jenkins).
  Paths come from the fitted recursion driven by innovations resampled in 4-week blocks from
  the model's own residuals (a residual block bootstrap, so the skew of lumpy income survives
  where Gaussian shocks would not). On the tuning seed (11) the drift was kept in 14 of 107
  differenced fits, and the 30-day errors did not move.
* mean: 4-week blocks drawn from the last year of weeks (a moving-block bootstrap), centred on
  the year's recency-weighted mean.

Why CSS and not statsmodels' SARIMAX maximum likelihood: one SARIMAX fit takes about 22 ms on
100 weekly points, and a user needs two order searches at each of six origins
(`evaluation`). On 120 generated flows the two estimators' 4-week point forecasts (same
order) differ by a median 1% of the level (90th percentile 10%).

Days get a weekly level through calendar factors (`calendar_factors`): additive day-of-week
and day-of-month effects of the history, shrunk where the history is thin and where the days
differ no more than noise would make them (`_shrunk_means`), so rent on the 1st and a
platform's Monday payout land on their days, and a client's payments on random days do not
make a calendar: on first-principles lumpy histories (`bench.lumpy_income`) such false
paydays moved each week's level by thousands of rupees, and a month without income never
came out as nothing.
"""

from __future__ import annotations

import cmath
import math
import time
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_toeplitz
from scipy.optimize import least_squares
from scipy.signal import lfilter

# statsmodels ships no type information (no stubs, no py.typed): its functions are Any here
# (pyproject's mypy section ignores its missing types).
from statsmodels.tsa.stattools import kpss

from gql_server.core.calendar import day_of_month, weekday

WEEK = 7
MEAN_WINDOW_WEEKS = 52
# The mean model's recency weighting. On the tuning seed (72 users, 360 forecasts chosen from
# five origins each) a half-life of 26 weeks against the flat year: 30-day MAE inflow 0.98,
# outflow 0.99 of it; 8 weeks: 1.01 and 0.98.
LEVEL_HALF_LIFE_WEEKS = 26.0
BLOCK_WEEKS = 4
MIN_ARIMA_WEEKS = 8
ORDERS: tuple[tuple[int, int], ...] = (
    (0, 0),
    (1, 0),
    (0, 1),
    (1, 1),
    (2, 0),
    (0, 2),
    (2, 1),
    (1, 2),
    (2, 2),
)
KPSS_ALPHA = 0.05
MAX_P = 2  # observations every candidate conditions on
MAX_ORDER = 2  # the largest p or q tried
DOW_SHRINK = 8.0  # pseudo-days of "no effect" added to each weekday's average
DOM_SHRINK = 12.0  # the same for each day of the month (about 24 observations each in 2 years)
BACKFIT_ROUNDS = 4
FACTOR_FLOOR = 0.05


@dataclass(frozen=True)
class ArimaFit:
    """A fitted ARIMA(p, d, q) in the units of the series it was fitted on."""

    order: tuple[int, int, int]
    intercept: float
    ar: np.ndarray
    ma: np.ndarray
    history: np.ndarray  # the series the model was fitted on
    residuals: np.ndarray  # one-step errors after the first MAX_P values
    aicc: float

    @property
    def label(self) -> str:
        p, d, q = self.order
        return f"arima({p},{d},{q}){' with drift' if d and self.intercept else ''}"


def _is_constant(y: np.ndarray) -> bool:
    return len(y) == 0 or float(np.ptp(y)) <= 1e-9 * max(float(np.abs(y).max()), 1.0)


def differencing_order(y: np.ndarray) -> int:
    """d = 1 when the KPSS test (Kwiatkowski et al. 1992) rejects level stationarity at 5%."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # result_object=False: the tuple, which statsmodels 0.16 stops returning by default
            _, pvalue, *_ = kpss(y, regression="c", nlags="auto", result_object=False)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
            return 0
    return 1 if pvalue < KPSS_ALPHA else 0


def _css_residuals(params: np.ndarray, w: np.ndarray, p: int, q: int, mean: bool) -> np.ndarray:
    """e_t of the ARMA(p, q) recursion on w (minus its mean), zero before the sample."""
    m = int(mean)
    ar = np.ones(p + 1)
    ar[1:] = -params[m : m + p]
    ma = np.ones(q + 1)
    ma[1:] = params[m + p :]
    return lfilter(ar, ma, w - params[0] if mean else w)


def _css_jacobian(params: np.ndarray, w: np.ndarray, p: int, q: int, mean: bool) -> np.ndarray:
    """d e_t / d params, exact for the zero-presample recursion: with theta(B) e = phi(B)(w - mu),
    de/dphi_i = -B^i (w - mu) / theta(B), de/dtheta_j = -B^j e / theta(B), and
    de/dmu = -phi(B) 1 / theta(B)."""
    m = int(mean)
    ar = np.ones(p + 1)
    ar[1:] = -params[m : m + p]
    ma = np.ones(q + 1)
    ma[1:] = params[m + p :]
    x = w - params[0] if mean else w
    e = lfilter(ar, ma, x)
    n = len(w)
    lagged = np.zeros((m + p + q, n))
    if mean:
        lagged[0] = ar.sum()
        lagged[0, :p] = np.cumsum(ar)[:p]
    for i in range(1, p + 1):
        lagged[m + i - 1, i:] = x[:-i]
    for j in range(1, q + 1):
        lagged[m + p + j - 1, j:] = e[:-j]
    return -lfilter([1.0], ma, lagged, axis=1).T


def _smallest_root(coefficients: list[float]) -> float:
    """The smallest modulus of the roots of c0 + c1 z + c2 z^2 + ... (c0 = 1): by formula up
    to degree 2 (np.roots, an eigenvalue problem, was 40% of an order search), else numpy."""
    while len(coefficients) > 1 and coefficients[-1] == 0.0:
        coefficients = coefficients[:-1]
    if len(coefficients) == 1:
        return math.inf
    if len(coefficients) == 2:
        return abs(coefficients[0] / coefficients[1])
    if len(coefficients) == 3:
        c, b, a = coefficients
        root = cmath.sqrt(b * b - 4 * a * c)
        q = -(b + root) / 2 if abs(b + root) >= abs(b - root) else -(b - root) / 2
        return math.inf if q == 0 else min(abs(q / a), abs(c / q))
    return float(np.abs(np.roots(coefficients[::-1])).min())


def _admissible(ar: np.ndarray, ma: np.ndarray) -> bool:
    """Stationary AR and invertible MA: all roots of both polynomials outside the unit circle."""
    for poly in ([1.0, *(-ar).tolist()], [1.0, *ma.tolist()]):
        if _smallest_root(poly) <= 1.0 + 1e-3:
            return False
    return True


def _long_ar_residuals(x: np.ndarray) -> np.ndarray | None:
    """Step 1 of Hannan & Rissanen (1982): the residuals of a long autoregression fitted by
    Yule-Walker to the demeaned `x`, of order max(floor(log(n)^2), 2 * MAX_ORDER) as
    statsmodels chooses it, at most a third of the sample; aligned so that index i is time
    n - len(residuals) + i. None when the sample is too short for it."""
    n = len(x)
    m = min(max(int(math.log(n) ** 2), 2 * MAX_ORDER), (n - 1) // 3)
    if m < MAX_ORDER:
        return None
    acov = np.array([x[: n - k] @ x[k:] for k in range(m + 1)]) / n
    if acov[0] <= 0:
        return None
    try:
        phi = solve_toeplitz(acov[:m], acov[1:])
    except np.linalg.LinAlgError:
        return None
    lags = np.column_stack([x[m - k : n - k] for k in range(1, m + 1)])
    residuals: NDArray[np.float64] = x[m:] - lags @ phi
    return residuals


def _hannan_rissanen(x: np.ndarray, p: int, q: int, long: np.ndarray | None) -> np.ndarray | None:
    """Step 2 of Hannan & Rissanen: AR and MA coefficients of the demeaned `x` by least
    squares on its own lags and the long autoregression's lagged residuals (`long`, from
    `_long_ar_residuals`); plain least squares on lags when q = 0. The bias correction of
    step 3 is left to the conditional-sum-of-squares refinement. None when it cannot be done."""
    n = len(x)
    if q == 0:
        if n - p < p + 2:
            return None
        target, columns = x[p:], [x[p - k : n - k] for k in range(1, p + 1)]
    else:
        if long is None:
            return None
        offset = n - len(long)  # the time of long[0]
        first = offset + q
        if first < p or n - first < p + q + 2:
            return None
        target = x[first:]
        columns = [x[first - k : n - k] for k in range(1, p + 1)]
        columns += [long[first - offset - k : len(long) - k] for k in range(1, q + 1)]
    if not columns:
        return np.zeros(0)
    design = np.column_stack(columns)
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coefficients if np.all(np.isfinite(coefficients)) else None


def _start(w: np.ndarray, p: int, q: int, mean: bool, long: np.ndarray | None) -> np.ndarray:
    """Starting parameters (the mean first when estimated): Hannan-Rissanen when they are
    stationary and invertible, else zeros."""
    start = np.zeros(int(mean) + p + q)
    if mean:
        start[0] = w.mean()
    guess = _hannan_rissanen(w - w.mean(), p, q, long) if p or q else None
    if guess is not None and _admissible(guess[:p], guess[p:]):
        start[int(mean) :] = guess
    return start


def _css_variance(params: np.ndarray, w: np.ndarray, p: int, q: int, mean: bool) -> float | None:
    """The residual variance of `params`, or None when they are not stationary and
    invertible."""
    ar, ma = params[int(mean) : int(mean) + p], params[int(mean) + p :]
    if not (np.all(np.isfinite(params)) and _admissible(ar, ma)):
        return None
    residuals = _css_residuals(params, w, p, q, mean)[MAX_P:]
    return float(residuals @ residuals) / len(residuals)


def _fit_css(
    w: np.ndarray, p: int, q: int, mean: bool, start: np.ndarray
) -> tuple[np.ndarray, float] | None:
    """Conditional-sum-of-squares estimates (Box & Jenkins) from `start`, and the residual
    variance; every order is conditioned on the same first MAX_P values so that their AICc
    compare."""

    def objective(params: np.ndarray) -> np.ndarray:
        return _css_residuals(params, w, p, q, mean)[MAX_P:]

    def jacobian(params: np.ndarray) -> np.ndarray:
        return _css_jacobian(params, w, p, q, mean)[MAX_P:]

    if len(start) == 0:
        return start, float(w[MAX_P:] @ w[MAX_P:]) / len(w[MAX_P:])
    try:
        solution = least_squares(
            objective, start, jac=jacobian, method="lm", xtol=1e-6, ftol=1e-6,
            max_nfev=50 * (len(start) + 1),
        )  # fmt: skip
    except (ValueError, np.linalg.LinAlgError):
        return None
    variance = _css_variance(solution.x, w, p, q, mean)
    return None if variance is None else (solution.x, variance)


def _aicc(sigma2: float, n: int, k: int) -> float:
    """AICc of a Gaussian model with `k` estimated parameters (variance included)."""
    if sigma2 <= 0 or n - k - 1 <= 0:
        return math.inf
    loglik = -n / 2 * (math.log(2 * math.pi * sigma2) + 1)
    return -2 * loglik + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def fit_arima(
    y: np.ndarray, *, deadline: float, order: tuple[int, int, int] | None = None
) -> ArimaFit | None:
    """The AICc-best ARIMA(p, d, q), p, q <= 2, estimated by conditional sum of squares, d from
    KPSS, with or without a drift when d = 1; candidates in a fixed order until `deadline`
    (time.perf_counter()), or just `order`. None when the series is too short or constant or no
    candidate is stationary and invertible. Fitted on the series scaled to unit variance."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < MIN_ARIMA_WEEKS or _is_constant(y):
        return None
    scale = float(np.std(y)) or 1.0
    z = y / scale
    d = order[1] if order else differencing_order(z)
    w = np.diff(z) if d else z
    long = _long_ar_residuals(w - w.mean())
    # Orders are compared at their Hannan-Rissanen estimates (cheap: least squares) and only
    # the best is refined by conditional sum of squares, the costly step: refining all nine
    # took about 30 ms a search, most of an outlook's time once the evaluation redid it at
    # every origin. An order whose estimates are not admissible is refined to be compared.
    # A differenced series may keep a constant (a drift), as auto.arima allows, when AICc
    # says the trend is worth its parameter.
    best: tuple[float, int, int, bool, np.ndarray] | None = None
    constants = (True,) if d == 0 else (False, True)
    for p, q in [(order[0], order[2])] if order else ORDERS:
        if best is not None and time.perf_counter() > deadline:
            break
        for mean in constants:
            k = int(mean) + p + q + 1
            if len(w) - MAX_P - k - 1 < MIN_ARIMA_WEEKS // 2:
                continue
            params = _start(w, p, q, mean, long)
            variance = _css_variance(params, w, p, q, mean)
            if variance is None:
                fitted = _fit_css(w, p, q, mean, params)
                if fitted is None:
                    continue
                params, variance = fitted
            aicc = _aicc(variance, len(w) - MAX_P, k)
            if best is None or aicc < best[0]:
                best = (aicc, p, q, mean, params)
    if best is None or not math.isfinite(best[0]):
        return None
    aicc, p, q, mean, params = best
    refined = _fit_css(w, p, q, mean, params)
    if refined is not None:
        params, aicc = refined[0], _aicc(refined[1], len(w) - MAX_P, int(mean) + p + q + 1)
    residuals = _css_residuals(params, w, p, q, mean)[MAX_P:] * scale
    mu = float(params[0]) if mean else 0.0
    ar, ma = params[int(mean) : int(mean) + p], params[int(mean) + p :]
    return ArimaFit(
        order=(p, d, q),
        intercept=mu * (1.0 - float(ar.sum())) * scale,
        ar=np.asarray(ar, dtype=np.float64),
        ma=np.asarray(ma, dtype=np.float64),
        history=y,
        residuals=residuals,
        aicc=aicc,
    )


def simulate_arima(fit: ArimaFit, steps: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    """`(paths, steps)` future values from the ARMA recursion on the (differenced) series with
    bootstrapped residuals as innovations, integrated back when d = 1, clipped at 0."""
    p, d, q = fit.order
    w = np.diff(fit.history) if d == 1 else fit.history
    shocks = block_bootstrap(fit.residuals - fit.residuals.mean(), steps, paths, rng)
    past_w = np.tile(w[len(w) - p :] if p else np.zeros(0), (paths, 1))
    past_e = np.tile(fit.residuals[len(fit.residuals) - q :] if q else np.zeros(0), (paths, 1))
    values = np.empty((paths, steps))
    for step in range(steps):
        value = fit.intercept + shocks[:, step]
        for i in range(p):
            value = value + fit.ar[i] * past_w[:, p - 1 - i]
        for j in range(q):
            value = value + fit.ma[j] * past_e[:, q - 1 - j]
        values[:, step] = value
        if p:
            past_w = np.column_stack([past_w[:, 1:], value])
        if q:
            past_e = np.column_stack([past_e[:, 1:], shocks[:, step]])
    if d == 1:
        values = fit.history[-1] + np.cumsum(values, axis=1)
    return np.maximum(values, 0.0)


def simulate_mean(y: np.ndarray, steps: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    """The mean model as a bootstrap: future weeks are blocks of weeks drawn from the last
    year, moved so that they centre on the year's recency-weighted mean (weights halving
    every LEVEL_HALF_LIFE_WEEKS), never below 0: a year's spread, this half-year's level."""
    recent = np.asarray(y, dtype=np.float64)[-MEAN_WINDOW_WEEKS:]
    if len(recent) == 0:
        return np.zeros((paths, steps))
    weights = 0.5 ** (np.arange(len(recent))[::-1] / LEVEL_HALF_LIFE_WEEKS)
    level = float(weights @ recent / weights.sum())
    drawn = block_bootstrap(recent, steps, paths, rng) + (level - float(recent.mean()))
    floored: NDArray[np.float64] = np.maximum(drawn, 0.0)
    return floored


def block_bootstrap(
    values: np.ndarray, steps: int, paths: int, rng: np.random.Generator
) -> np.ndarray:
    """`(paths, steps)` made of runs of BLOCK_WEEKS consecutive values starting at random
    places (a moving-block bootstrap, Kunsch 1989), so a good or lean month stays together."""
    n = len(values)
    block = min(BLOCK_WEEKS, n)
    blocks = -(-steps // block)
    starts = rng.integers(0, n - block + 1, size=(paths, blocks, 1))
    index = (starts + np.arange(block)).reshape(paths, blocks * block)[:, :steps]
    drawn: NDArray[np.float64] = values[index]
    return drawn


def calendar_factors(
    history: np.ndarray, history_start: date, days_ahead: int
) -> tuple[np.ndarray, np.ndarray]:
    """Factors for each day of the history and of the `days_ahead` days after it: 1 plus an
    additive day-of-week effect plus an additive day-of-month effect on the flow relative to
    its mean, fitted by backfitting (alternating shrunk group means, as in a two-way ANOVA),
    floored at FACTOR_FLOOR and normalised to average 1 over the history."""
    history = np.asarray(history, dtype=np.float64)
    days = np.datetime64(history_start, "D") + np.arange(len(history) + days_ahead)
    dow, dom = weekday(days), day_of_month(days) - 1
    overall = float(history.mean()) if len(history) else 0.0
    if overall <= 0:
        return np.ones(len(history)), np.ones(days_ahead)
    n = len(history)
    ratio = history / overall - 1.0
    dow_effect, dom_effect = np.zeros(WEEK), np.zeros(31)
    for _ in range(BACKFIT_ROUNDS):
        dow_effect = _shrunk_means(ratio - dom_effect[dom[:n]], dow[:n], WEEK, DOW_SHRINK)
        dom_effect = _shrunk_means(ratio - dow_effect[dow[:n]], dom[:n], 31, DOM_SHRINK)
    factor = np.maximum(1.0 + dow_effect[dow] + dom_effect[dom], FACTOR_FLOOR)
    factor = factor / float(factor[:n].mean())
    return factor[:n], factor[n:]


def _shrunk_means(values: np.ndarray, groups: np.ndarray, size: int, shrink: float) -> np.ndarray:
    """Each group's mean shrunk towards 0 by at least `shrink` pseudo-observations, and by
    more where the groups' means differ no more than their noise explains (empirical Bayes:
    pseudo-observations = within-group variance / between-group variance of the true
    effects, as in James-Stein): random paydays of lumpy income are not a calendar."""
    counts = np.bincount(groups, minlength=size).astype(np.float64)
    sums = np.bincount(groups, weights=values, minlength=size)
    seen = counts > 0
    if not seen.any():
        return np.zeros(size)
    means = np.where(seen, sums / np.where(seen, counts, 1.0), 0.0)
    within = float(np.sum((values - means[groups]) ** 2)) / max(len(values) - int(seen.sum()), 1)
    between = float(np.var(means[seen])) - float(np.mean(within / counts[seen]))
    if between <= 0:
        return np.zeros(size)  # the groups differ no more than noise would make them
    return sums / (counts + max(shrink, within / between))


def spread_over_days(weekly_paths: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Daily paths: day t gets a seventh of its week's level times its calendar factor, and
    never less than 0."""
    days = len(profile)
    week_of_day = np.arange(days) // WEEK
    daily: NDArray[np.float64] = np.maximum(weekly_paths[:, week_of_day] / WEEK * profile, 0.0)
    return daily
