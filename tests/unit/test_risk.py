"""Risk levels for clear cases, and a score that only rises with the shortfall probability."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.forecasting.risk import RiskLevel, assess_risk

ORDER = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


def test_a_stable_earner_with_savings_is_low() -> None:
    risk = assess_risk(0.0, runway_months=14.0, income_cv=0.06, income_trend=0.0)
    assert risk.level is RiskLevel.LOW
    assert risk.score < 0.05


def test_a_volatile_earner_with_a_thin_balance_is_high() -> None:
    risk = assess_risk(0.35, runway_months=0.4, income_cv=0.9, income_trend=0.0)
    assert risk.level is RiskLevel.HIGH


def test_a_declining_earner_with_a_thin_balance_is_high() -> None:
    risk = assess_risk(0.25, runway_months=0.5, income_cv=0.25, income_trend=-0.03)
    assert risk.level is RiskLevel.HIGH


def test_a_likely_shortfall_is_high_whatever_the_savings_say() -> None:
    risk = assess_risk(0.6, runway_months=30.0, income_cv=0.0, income_trend=0.05)
    assert risk.level is RiskLevel.HIGH


def test_some_savings_and_some_volatility_is_medium() -> None:
    risk = assess_risk(0.05, runway_months=3.0, income_cv=0.5, income_trend=0.0)
    assert risk.level is RiskLevel.MEDIUM
    assert 0.2 <= risk.score < 0.45


def test_a_new_user_with_nothing_known_is_not_low() -> None:
    risk = assess_risk(0.0, runway_months=None, income_cv=None)
    assert risk.score == pytest.approx(0.25 * 0.5 + 0.2 * 0.5)
    assert risk.level is RiskLevel.MEDIUM


def test_growth_does_not_lower_the_score_below_its_floor() -> None:
    flat = assess_risk(0.1, 2.0, 0.4, 0.0)
    growing = assess_risk(0.1, 2.0, 0.4, 0.2)
    assert growing.score == flat.score


def test_levels_are_strings_for_the_api() -> None:
    assert [level.value for level in RiskLevel] == ["LOW", "MEDIUM", "HIGH"]
    assert RiskLevel.HIGH == "HIGH"


maybe = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
    st.one_of(st.none(), st.floats(min_value=-5.0, max_value=100.0)),
    st.one_of(st.none(), st.floats(min_value=0.0, max_value=5.0)),
    st.one_of(st.none(), st.floats(min_value=-1.0, max_value=1.0)),
)
def test_score_and_level_never_fall_as_the_shortfall_probability_rises(
    p1: float, p2: float, runway: float | None, cv: float | None, trend: float | None
) -> None:
    low, high = sorted((p1, p2))
    a, b = assess_risk(low, runway, cv, trend), assess_risk(high, runway, cv, trend)
    assert a.score <= b.score
    assert ORDER[a.level] <= ORDER[b.level]


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), maybe, maybe, maybe)
def test_score_stays_in_the_unit_interval(
    shortfall: float, runway: float | None, cv: float | None, trend: float | None
) -> None:
    risk = assess_risk(shortfall, runway, cv, trend)
    assert 0.0 <= risk.score <= 1.0
    assert math.isfinite(risk.score)
