"""Cash-flow risk: how likely and how badly a user runs short, as a score and a level."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from gql_server.core.stats import finite_or_none

SHORTFALL_WEIGHT = 0.45
RUNWAY_WEIGHT = 0.25
VOLATILITY_WEIGHT = 0.20
TREND_WEIGHT = 0.10
SAFE_RUNWAY_MONTHS = 6.0  # the usual emergency-fund advice for irregular income
VOLATILE_CV = 0.8  # monthly income CV at which volatility counts in full
DECLINE_PER_MONTH = 0.03  # income falling 3% of its mean a month (about a third a year)
UNKNOWN = 0.5  # a component the history cannot tell counts half
MEDIUM_FROM = 0.20
HIGH_FROM = 0.45
HIGH_SHORTFALL = 0.5  # more likely than not to go below zero: HIGH whatever else holds


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    score: float  # 0 (safe) .. 1


def _clip01(value: float) -> float:
    return min(1.0, max(0.0, value))


def assess_risk(
    shortfall_probability: float,
    runway_months: float | None,
    income_cv: float | None,
    income_trend: float | None = None,
) -> RiskAssessment:
    """Score = 0.45 * P(balance < 0 within the horizon)
    + 0.25 * (1 - min(runway / 6 months, 1))          (thin savings)
    + 0.20 * min(income CV / 0.8, 1)                    (volatile income)
    + 0.10 * min(max(-trend / 0.03 per month, 0), 1)    (declining income),
    with an unknown runway or CV counting 0.5, an unknown trend 0 and a non-finite probability
    1. Level: HIGH when the score is >= 0.45 or the shortfall probability >= 0.5, MEDIUM from
    0.20, else LOW. The score rises with the shortfall probability, so the level never falls
    as it grows. Six months of runway is the usual emergency-fund advice for irregular income.
    """
    shortfall = _clip01(shortfall_probability if math.isfinite(shortfall_probability) else 1.0)
    runway, cv, trend = (
        finite_or_none(runway_months),
        finite_or_none(income_cv),
        finite_or_none(income_trend),
    )
    thin = UNKNOWN if runway is None else 1.0 - _clip01(runway / SAFE_RUNWAY_MONTHS)
    volatile = UNKNOWN if cv is None else _clip01(cv / VOLATILE_CV)
    declining = 0.0 if trend is None else _clip01(-trend / DECLINE_PER_MONTH)
    score = _clip01(
        SHORTFALL_WEIGHT * shortfall
        + RUNWAY_WEIGHT * thin
        + VOLATILITY_WEIGHT * volatile
        + TREND_WEIGHT * declining
    )
    if score >= HIGH_FROM or shortfall >= HIGH_SHORTFALL:
        level = RiskLevel.HIGH
    elif score >= MEDIUM_FROM:
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.LOW
    return RiskAssessment(level=level, score=score)
