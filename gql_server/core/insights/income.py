"""Insight rules about where income is heading: its trend and its seasons.

"Income" here is earnings (see `months.EARNINGS_CATEGORIES`): a loan disbursed in a lean
month is cash in but would otherwise hide a falling income. Every statistic across months uses
complete calendar months only.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import statsmodels.api as sm  # statsmodels ships no types: Any here

from gql_server.core.calendar import month_end, to_date
from gql_server.core.features import seasonal_strength
from gql_server.core.insights.months import Months, month_set_label, month_span
from gql_server.core.insights.records import Insight, InsightContext, Metric, Severity, make_insight
from gql_server.core.insights.wording import money, pct, percent, rupees
from gql_server.core.stats import finite_or_none

TREND_MIN_MONTHS = 6  # three recent months and three to compare them with
TREND_YEAR_MONTHS = 15  # from here the recent months are compared with the same months a year ago
TREND_FIT_MONTHS = 24
TREND_MIN_CHANGE = 0.10
TREND_MAX_PVALUE = 0.05
STEEP_DECLINE = 0.30
THIN_RUNWAY_MONTHS = 1.0
SEASON_MIN_MONTHS = 24  # every month of the year seen twice
SEASON_MIN_STRENGTH = 0.4
SEASON_MONTH_GAP = 0.15  # a month named best or leanest is at least 15% off the usual level
SEASON_NAMED_MONTHS = 3


def fitted_slope(values: np.ndarray) -> tuple[float, float] | None:
    """OLS slope of `values` on the month number (statsmodels) and its two-sided p-value; a
    perfect straight line has p = 0, a constant p = 1. None with fewer than 3 values."""
    y = np.asarray(values, dtype=np.float64)
    if len(y) < 3 or not np.all(np.isfinite(y)):
        return None
    design = sm.add_constant(np.arange(len(y), dtype=np.float64))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = sm.OLS(y, design).fit()
    slope, pvalue = float(fit.params[1]), float(fit.pvalues[1])
    if not math.isfinite(pvalue):  # no residual: an exact line or a constant
        scale = max(float(np.abs(y).max()), 1.0)
        pvalue = 1.0 if abs(slope) <= 1e-9 * scale else 0.0
    return slope, pvalue


def income_trend(context: InsightContext, months: Months) -> list[Insight]:
    """Income up or down, told only when the data carries it: the mean of the last 3 complete
    months differs from its comparison by at least 10% AND the OLS slope over the last (up to
    24) complete months is significant (p < 0.05) in the same direction. Down 30% or more with
    less than a month of essentials in the bank is CRITICAL, any other fall a WARNING.

    The comparison is the same 3 months a year earlier once 15 complete months exist, else the
    3 months before. Measured on generated users (720 days, 23 complete months, 200 a pattern,
    job seed 7), the 3-before comparison cannot carry a real trend: a grower's income rises 86%
    over two years, yet their last 3 months beat the 3 before by a median 7% (35% by 15%, and
    declining earners -8%), while noise and seasons move it by themselves (moderate earners
    -21%..+41%, 10th-90th percentile; seasonal +99% from Jul-Sep to Oct-Dec). Year on year sees
    the trend (median +34% growing, -32% declining) and is fair to seasonal earners (-19%..
    +20%). The slope test keeps lucky or seasonal quarters out (alone it passes 5.5% of
    moderate, 0.5% of volatile, 0% of seasonal earners); the 10% floor keeps a tiny but steady
    drift quiet and lies outside steady earners' year-on-year spread (-4%..+5%). A 15% floor
    would miss growers whose last quarter was soft: over jobs 1, 7 and 2026 (100 users a
    pattern each) it tells 74-86% of growers against 81-91% at 10%, while declining earners
    (95-97%) and stable ones (0%) do not move: once the slope says the change is real, a tenth
    of one's income is worth saying. (Averaging 6 months instead of 3 would tell 92%; the
    3-month window is kept because it is what a person checks against their own statements.)
    """
    index = months.complete_index
    earnings = months.earnings[index]
    n = len(earnings)
    if n < TREND_MIN_MONTHS or earnings.sum() <= 0:
        return []
    yearly = n >= TREND_YEAR_MONTHS
    before = slice(n - 15, n - 12) if yearly else slice(n - 6, n - 3)
    recent, previous = float(earnings[-3:].mean()), float(earnings[before].mean())
    fit = fitted_slope(earnings[-TREND_FIT_MONTHS:])
    if previous <= 0 or fit is None:
        return []
    change, (slope, pvalue) = recent / previous - 1, fit
    if abs(change) < TREND_MIN_CHANGE or pvalue >= TREND_MAX_PVALUE or change * slope <= 0:
        return []
    first_recent, last = months.start[index[-3]], months.start[index[-1]]
    runway = finite_or_none(context.features.get("runway_months"))
    rising = change > 0
    thin = runway is not None and runway < THIN_RUNWAY_MONTHS
    if rising:
        severity = Severity.POSITIVE
    else:
        steep = change <= -STEEP_DECLINE and thin
        severity = Severity.CRITICAL if steep else Severity.WARNING
    metrics: dict[str, Metric] = {
        "change_pct": pct(change),
        "slope_per_month": rupees(slope),
        "p_value": round(pvalue, 4),
        "recent_mean": rupees(recent),
        "previous_mean": rupees(previous),
        "months": min(n, TREND_FIT_MONTHS),
        "window_months": 3,
        "baseline": "same_months_last_year" if yearly else "previous_3_months",
        "recent_months": month_span(first_recent, last),
        "runway_months": None if runway is None else round(runway, 1),
    }
    return [
        make_insight(
            "income_trend",
            severity,
            _trend_title(metrics, yearly),
            _trend_message(metrics, yearly, severity),
            metrics,
            effect=abs(change),
            period=(to_date(months.start[index[before.start]]), month_end(last)),
        )
    ]


def _trend_title(metrics: dict[str, Metric], yearly: bool) -> str:
    change = float(metrics["change_pct"] or 0.0)
    direction = "up" if change > 0 else "down"
    if yearly:
        return f"Income {direction} {percent(change)} on a year ago"
    return f"Income {direction} {percent(change)} over the last {metrics['window_months']} months"


def _trend_message(metrics: dict[str, Metric], yearly: bool, severity: Severity) -> str:
    change = float(metrics["change_pct"] or 0.0)
    more = "more" if change > 0 else "less"
    compared = "in the same months a year earlier" if yearly else "in the 3 months before"
    slope = float(metrics["slope_per_month"] or 0.0)
    moving = "rising" if slope > 0 else "falling"
    text = (
        f"You earned {money(float(metrics['recent_mean'] or 0.0))} a month in "
        f"{metrics['recent_months']}, {percent(change)} {more} than {compared} "
        f"({money(float(metrics['previous_mean'] or 0.0))} a month); over "
        f"{metrics['months']} months your income has been {moving} by about "
        f"{money(abs(slope))} a month."
    )
    if severity is Severity.POSITIVE:
        return text + " A good time to add to your buffer."
    if severity is Severity.CRITICAL:
        return text + " With less than a month of essentials in the bank, cut what can wait now."
    return text + " Plan your spending on the lower level and line up new work early."


def _seasonal_index(earnings: np.ndarray, first_month: int) -> np.ndarray:
    """Each month of the year's average ratio to the income's straight-line level, minus 1
    (index 0 = January); `first_month` (1..12) is the month of `earnings[0]`."""
    t = np.arange(len(earnings), dtype=np.float64)
    slope, intercept = np.polyfit(t, earnings, 1)
    level = intercept + slope * t
    if np.any(level <= 0):
        level = np.full_like(earnings, earnings.mean())
    ratio = earnings / level
    month_of_year = (first_month - 1 + np.arange(len(earnings))) % 12
    return (
        np.bincount(month_of_year, weights=ratio, minlength=12)
        / np.bincount(month_of_year, minlength=12)
        - 1
    )


def seasonality(context: InsightContext, months: Months) -> list[Insight]:
    """Best and leanest months of the year, named only with at least 24 complete months (each
    month of the year seen twice) and a seasonal strength (Hyndman's F_S, as the features
    compute it, on earnings) of at least 0.4; the named months are the up-to-3 months whose
    average ratio to the trend line is at least 15% above or below it. On generated users with
    2 years, 0.4 separates seasonal earners (median 0.67, 97% >= 0.4) from the rest (<= 13%)."""
    index = months.complete_index
    earnings = months.earnings[index]
    if len(earnings) < SEASON_MIN_MONTHS or earnings.mean() <= 0:
        return []
    strength = seasonal_strength(earnings)
    if strength is None or strength < SEASON_MIN_STRENGTH:
        return []
    first_month = int(np.datetime64(months.start[index[0]], "M").astype(np.int64)) % 12 + 1
    season = _seasonal_index(earnings, first_month)
    order = np.argsort(season)
    lean = [int(m) for m in order[:SEASON_NAMED_MONTHS] if season[m] <= -SEASON_MONTH_GAP]
    best = [int(m) for m in order[::-1][:SEASON_NAMED_MONTHS] if season[m] >= SEASON_MONTH_GAP]
    if not best or not lean:
        return []
    best_pct, lean_pct = pct(float(season[best].mean())), pct(float(season[lean].mean()))
    metrics: dict[str, Metric] = {
        "seasonality_strength": round(strength, 2),
        "best_months": month_set_label([m + 1 for m in best]),
        "lean_months": month_set_label([m + 1 for m in lean]),
        "best_pct": best_pct,
        "lean_pct": lean_pct,
        "months": len(earnings),
    }
    message = (
        f"{metrics['best_months']} are your best months, about {percent(best_pct)} "
        f"above your usual income, and {metrics['lean_months']} the leanest, about "
        f"{percent(lean_pct)} below. Set part of the good months aside for the lean "
        "ones."
    )
    return [
        make_insight(
            "seasonality",
            Severity.INFO,
            f"{metrics['lean_months']} are your lean months",
            message,
            metrics,
            effect=strength,
            period=(to_date(months.start[index[0]]), month_end(months.start[index[-1]])),
        )
    ]


__all__ = ["fitted_slope", "income_trend", "seasonality"]
