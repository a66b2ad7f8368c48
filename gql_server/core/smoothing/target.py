"""The buffer's target (months of essential spending, more for a volatile income), the runway
and the months to reach the target, and how far the buffer leaves the user at risk."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal

from gql_server.core.forecasting.risk import SAFE_RUNWAY_MONTHS
from gql_server.core.smoothing.months import (
    MonthFlow,
    mean_amount,
    money,
    months_figure,
    recent_months,
)
from gql_server.core.stats import coefficient_of_variation, finite_or_none

MIN_MONTHS_CV = 3  # same as the features: fewer months say nothing about spread
CALM_TARGET_MONTHS = 3.0  # steady income: the usual 3-month emergency fund
VOLATILE_TARGET_MONTHS = 6.0  # very volatile income: the 6 months advised for irregular earners
FULL_VOLATILITY_CV = 1.0  # a CV at which income counts as fully volatile
UNKNOWN_TARGET_MONTHS = (CALM_TARGET_MONTHS + VOLATILE_TARGET_MONTHS) / 2
GAP_WEIGHT = 0.6
VOLATILITY_WEIGHT = 0.2
RUNWAY_WEIGHT = 0.2
UNKNOWN = 0.5  # a risk component the history cannot tell counts half (as in core.forecasting.risk)


def decimal_cv(values: Sequence[Decimal]) -> float | None:
    """Coefficient of variation of amounts (`stats.coefficient_of_variation`, ddof=1 as the
    `income_cv` feature); None with fewer than MIN_MONTHS_CV of them."""
    return coefficient_of_variation([float(v) for v in values], min_count=MIN_MONTHS_CV)


def income_cv(months: Sequence[MonthFlow]) -> float | None:
    """Coefficient of variation of monthly income over the months given: sample standard
    deviation (ddof=1, as the `income_cv` feature) over the mean. None with fewer than 3 months
    (too few to say anything about spread) or a zero mean (undefined)."""
    return decimal_cv([m.income for m in months])


def target_months(income_cv: float | None) -> float:
    """Months of essential spending the buffer should hold: 3 at CV 0 (the usual emergency fund
    for a steady income), rising linearly to 6 at CV >= 1 (the 6 months commonly advised for
    irregular earners: a CV of 1 means a typical month misses the mean by the mean itself).
    An unknown or non-finite CV gives the midpoint, 4.5 months."""
    if income_cv is None or not math.isfinite(income_cv):
        return UNKNOWN_TARGET_MONTHS
    volatility = min(max(income_cv, 0.0) / FULL_VOLATILITY_CV, 1.0)
    return CALM_TARGET_MONTHS + (VOLATILE_TARGET_MONTHS - CALM_TARGET_MONTHS) * volatility


def essential_monthly(months: Sequence[MonthFlow]) -> Decimal:
    """Mean essential spending of the last 12 months (fewer: of what there is), to the paisa;
    ₹0 with no history."""
    return money(mean_amount([m.essential_spending for m in recent_months(months)]))


def buffer_target(months: Sequence[MonthFlow], *, months_override: float | None = None) -> Decimal:
    """Target = target_months(CV of the last 12 months' income), or the override, x the mean
    essential spending of the last 12 months, to the paisa. The buffer exists to cover the
    essentials in lean months, so it is sized in months of essentials, not of income."""
    recent = recent_months(months)
    if months_override is None:
        held = target_months(income_cv(recent))
    else:
        held = months_figure(months_override, "months_override")
    return money(Decimal(held) * essential_monthly(recent))


def runway_months(balance: Decimal, essential_monthly: Decimal) -> float | None:
    """How many months the balance pays the essentials with no income: balance / essential
    spending per month. None when there is no essential spending (no runway to measure)."""
    balance = money(balance, "balance")
    spending = money(essential_monthly, "essential_monthly")
    if spending == 0:
        return None
    return float(balance / spending)


def months_to_target(
    balance: Decimal, target: Decimal, expected_monthly_surplus: Decimal
) -> int | None:
    """Whole months until the balance reaches the target at the expected surplus a month:
    ceil((target - balance) / surplus). 0 when already there; None when no surplus is expected
    (the target is never reached at this rate)."""
    balance = money(balance, "balance")
    target = money(target, "target")
    surplus = money(expected_monthly_surplus, "expected_monthly_surplus", non_negative=False)
    if balance >= target:
        return 0
    if surplus <= 0:
        return None
    return int(((target - balance) / surplus).to_integral_value(rounding=ROUND_CEILING))


def buffer_risk_score(
    balance: Decimal, target: Decimal, income_cv: float | None, runway: float | None
) -> float:
    """Score in [0, 1], 0 = safe:
    0.6 x (1 - min(balance / target, 1))          how far the buffer is from its target
    + 0.2 x min(income CV / 1, 1)                 volatile income (full at CV 1, as the target)
    + 0.2 x (1 - min(runway / 6 months, 1))       thin runway in absolute terms,
    with an unknown CV or runway counting 0.5 and a zero target counting as reached. The gap to
    the target weighs most because the target already grows with volatility; the runway term
    adds the absolute view (6 months is the usual advice for irregular income, as in
    forecasting.risk), so a full 3-month buffer on a steady income still scores a little above
    0. Every term falls or stays as the balance (and with it the runway) grows, so more balance
    never raises it.
    """
    balance = money(balance, "balance")
    target = money(target, "target")
    cv, months = finite_or_none(income_cv), finite_or_none(runway)
    gap = 0.0 if target == 0 else 1.0 - min(float(balance / target), 1.0)
    volatile = UNKNOWN if cv is None else min(max(cv, 0.0) / FULL_VOLATILITY_CV, 1.0)
    thin = UNKNOWN if months is None else 1.0 - min(max(months, 0.0) / SAFE_RUNWAY_MONTHS, 1.0)
    score = GAP_WEIGHT * gap + VOLATILITY_WEIGHT * volatile + RUNWAY_WEIGHT * thin
    return min(1.0, max(0.0, score))
