"""Forecasts on hand-made daily series: determinism, intervals, shortfalls, fallbacks."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date

import numpy as np
import pytest

from gql_server.core.forecasting.candidates import simulate_yearly
from gql_server.core.forecasting.forecast import HORIZONS, ForecastResult, forecast
from gql_server.core.forecasting.simulation import (
    calendar_factors,
    fit_arima,
    simulate_arima,
    spread_over_days,
)
from gql_server.core.forecasting.weekly import naive_scale
from gql_server.core.series import DailySeries

START = date(2024, 1, 1)
PATHS = 300


def make_series(inflow: np.ndarray, outflow: np.ndarray, opening: float = 0.0) -> DailySeries:
    inflow, outflow = np.asarray(inflow, float), np.asarray(outflow, float)
    return DailySeries(
        start=START,
        inflow=inflow,
        outflow=outflow,
        closing_balance=opening + np.cumsum(inflow - outflow),
        opening_balance=opening,
    )


def monthly_salary(days: int, amount: float, day_of_month: int = 1) -> np.ndarray:
    dates = np.datetime64(START, "D") + np.arange(days)
    dom = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    return np.where(dom == day_of_month, amount, 0.0)


def freelancer(days: int = 360, seed: int = 1) -> DailySeries:
    """Lumpy client payments plus weekly platform payouts, and everyday spending."""
    rng = np.random.default_rng(seed)
    inflow = np.where(rng.random(days) < 0.08, rng.gamma(2.0, 6_000.0, days), 0.0)
    inflow += np.where(np.arange(days) % 7 == 0, rng.gamma(4.0, 1_000.0, days), 0.0)
    outflow = rng.gamma(2.0, 500.0, days) + monthly_salary(days, 12_000.0)
    return make_series(inflow, outflow, opening=20_000.0)


def assert_no_nan(result: ForecastResult) -> None:
    for field in fields(result):
        value = getattr(result, field.name)
        if isinstance(value, float):
            assert math.isfinite(value), field.name
    for horizon in result.horizons:
        for field in fields(horizon):
            value = getattr(horizon, field.name)
            assert np.all(np.isfinite(value)), field.name


def assert_ordered(result: ForecastResult) -> None:
    for h in result.horizons:
        assert h.inflow_low <= h.expected_inflow <= h.inflow_high
        assert h.net_low <= h.expected_net <= h.net_high
        assert h.expected_inflow >= 0
        assert h.expected_outflow >= 0
        assert h.expected_net == pytest.approx(h.expected_inflow - h.expected_outflow)
        assert h.balance_quantiles.shape == (h.horizon_days, 3)
        assert np.all(np.diff(h.balance_quantiles, axis=1) >= 0)
        assert 0.0 <= h.shortfall_probability <= 1.0


@pytest.fixture(scope="module")
def freelancer_forecast() -> ForecastResult:
    return forecast(freelancer(), seed=7, paths=PATHS)


def test_horizons_are_7_30_and_60_days(freelancer_forecast: ForecastResult) -> None:
    assert tuple(h.horizon_days for h in freelancer_forecast.horizons) == HORIZONS == (7, 30, 60)


def test_same_seed_same_forecast(freelancer_forecast: ForecastResult) -> None:
    again = forecast(freelancer(), seed=7, paths=PATHS)
    assert again.model == freelancer_forecast.model
    assert again.backtest_mase == freelancer_forecast.backtest_mase
    for a, b in zip(again.horizons, freelancer_forecast.horizons, strict=True):
        for field in fields(a):
            np.testing.assert_array_equal(getattr(a, field.name), getattr(b, field.name))


def test_intervals_are_ordered_and_finite(freelancer_forecast: ForecastResult) -> None:
    assert_ordered(freelancer_forecast)
    assert_no_nan(freelancer_forecast)
    h30 = freelancer_forecast.horizons[1]
    assert h30.inflow_low < h30.inflow_high
    days_of_history = 360
    mean_30 = freelancer().inflow.sum() / days_of_history * 30
    assert 0.5 * mean_30 < h30.expected_inflow < 1.5 * mean_30


def test_without_a_choice_a_forecast_is_arima_unscored_and_low_confidence(
    freelancer_forecast: ForecastResult,
) -> None:
    """Scores and calibration come from the evaluation of the whole forecast on a ledger
    (tests/unit/test_forecast_evaluation.py); a bare series has none to report."""
    result = freelancer_forecast
    assert result.model.startswith("arima(")
    assert result.model.endswith(" weekly")
    assert result.outflow_model.endswith(" weekly")
    assert result.low_confidence
    assert result.backtest_mase is None
    assert result.interval_coverage is None
    assert result.calibration.method == "none"


def test_far_below_zero_without_income_is_a_certain_shortfall() -> None:
    result = forecast(make_series(np.zeros(200), np.full(200, 500.0), -50_000.0), seed=1)
    for h in result.horizons:
        assert h.shortfall_probability == 1.0
        assert h.projected_min_balance < -50_000 - 500 * (h.horizon_days - 1)
        assert h.expected_inflow == 0.0
    assert_no_nan(result)


def test_a_rich_steady_earner_has_no_shortfall() -> None:
    days = 400
    series = make_series(monthly_salary(days, 80_000.0), np.full(days, 1_500.0), 500_000.0)
    result = forecast(series, seed=3, paths=PATHS)
    assert_ordered(result)
    for h in result.horizons:
        assert h.shortfall_probability == 0.0
        assert h.projected_min_balance > 400_000
    assert result.horizons[2].expected_inflow == pytest.approx(160_000, rel=0.25)


def test_the_salary_lands_on_its_day() -> None:
    series = make_series(monthly_salary(400, 80_000.0), np.full(400, 1_500.0), 10_000.0)
    _, ahead = calendar_factors(series.inflow, series.start, 60)
    first_of_month = [i for i in range(60) if (series.end.toordinal() + 1 + i) in _firsts()]
    assert ahead[first_of_month].min() > 10 * np.delete(ahead, first_of_month).max()


def test_payments_on_random_days_make_no_calendar() -> None:
    # A client paying about every 40 days on no particular day: before the empirical-Bayes
    # shrinkage its days-ahead factors ran from 0.04 to 4.9, so the forecast put its money
    # on the days of the month it happened to pay before, and a month without it could not
    # come out as nothing.
    rng = np.random.default_rng(4)
    inflow, day = np.zeros(500), 0
    while day < len(inflow):
        inflow[day] = rng.lognormal(11.3, 0.6)
        day += int(rng.exponential(40)) + 1
    _, ahead = calendar_factors(inflow, START, 60)
    assert ahead.min() > 0.8
    assert ahead.max() < 1.25


def _firsts() -> set[int]:
    return {date(y, m, 1).toordinal() for y in (2025, 2026) for m in range(1, 13)}


def test_scheduled_outflow_lowers_the_projected_minimum() -> None:
    series = freelancer()
    plain = forecast(series, seed=5, paths=PATHS)
    scheduled = np.zeros(60)
    scheduled[9] = -100_000.0  # a laptop on day 10
    with_laptop = forecast(series, seed=5, paths=PATHS, scheduled_net=scheduled)
    before, after = plain.horizons[0], with_laptop.horizons[0]
    assert after.projected_min_balance == before.projected_min_balance  # day 10 is past day 7
    for before, after in zip(plain.horizons[1:], with_laptop.horizons[1:], strict=True):
        assert after.projected_min_balance <= before.projected_min_balance - 50_000
        assert after.expected_outflow == pytest.approx(before.expected_outflow + 100_000)
        assert after.shortfall_probability >= before.shortfall_probability


def test_a_constant_series_falls_back_to_a_baseline() -> None:
    result = forecast(make_series(np.full(300, 1_000.0), np.full(300, 400.0), 0.0), seed=2)
    assert result.model in {"mean weekly", "yearly weekly"}
    assert result.outflow_model in {"mean weekly", "yearly weekly"}
    assert result.horizons[1].expected_inflow == pytest.approx(30_000)
    assert result.horizons[1].expected_net == pytest.approx(18_000)
    assert result.horizons[1].shortfall_probability == 0.0
    assert_no_nan(result)


def test_all_zeros_and_only_expenses_stay_finite() -> None:
    zeros = forecast(make_series(np.zeros(300), np.zeros(300), 1_000.0), seed=2, paths=PATHS)
    assert zeros.horizons[2].projected_min_balance == 1_000.0
    assert zeros.horizons[2].shortfall_probability == 0.0
    spending = np.random.default_rng(4).gamma(2.0, 300.0, 300)
    only_expenses = forecast(make_series(np.zeros(300), spending, 5_000.0), seed=2, paths=PATHS)
    for result in (zeros, only_expenses):
        assert_no_nan(result)
        assert_ordered(result)
    assert only_expenses.horizons[2].shortfall_probability > 0.9


@pytest.mark.parametrize("days", [0, 1, 20, 55])
def test_a_new_user_gets_a_labelled_low_confidence_forecast(days: int) -> None:
    rng = np.random.default_rng(days)
    inflow = np.where(rng.random(days) < 0.2, 5_000.0, 0.0)
    result = forecast(make_series(inflow, np.full(days, 300.0), 2_000.0), seed=1, paths=PATHS)
    assert result.model == "insufficient_history"
    assert result.low_confidence
    assert result.backtest_mase is None
    assert result.interval_coverage is None
    assert_no_nan(result)
    assert_ordered(result)
    if inflow.sum() > 0:
        h30 = result.horizons[1]
        assert h30.inflow_high - h30.inflow_low > 0.5 * h30.expected_inflow


def test_eight_weeks_is_enough_for_a_model_but_not_for_confidence() -> None:
    result = forecast(freelancer(days=70), seed=1, paths=PATHS)
    assert result.model != "insufficient_history"
    assert result.low_confidence
    assert_no_nan(result)


def test_no_time_budget_still_forecasts() -> None:
    result = forecast(freelancer(), seed=1, paths=PATHS, time_budget_s=0.0)
    assert_no_nan(result)
    assert_ordered(result)


def test_bad_arguments_are_refused() -> None:
    series = freelancer(days=100)
    with pytest.raises(ValueError, match="horizons"):
        forecast(series, seed=1, horizons=(0, 30))
    with pytest.raises(ValueError, match="finite"):
        forecast(series, seed=1, scheduled_net=np.array([np.nan]))


def test_arima_recovers_a_persistent_level() -> None:
    rng = np.random.default_rng(11)
    level = np.empty(150)
    level[0] = 0.0
    for t in range(1, 150):
        level[t] = 0.85 * level[t - 1] + rng.normal()
    fit = fit_arima(100.0 + 10.0 * level, deadline=math.inf)
    assert fit is not None
    p, d, _q = fit.order
    assert p >= 1 or d == 1
    paths = simulate_arima(fit, 3, 2_000, np.random.default_rng(0))
    assert paths.shape == (2_000, 3)
    assert (paths >= 0).all()
    # the first step starts near the last value, not at the long-run mean
    last = 100.0 + 10.0 * level[-1]
    assert abs(paths[:, 0].mean() - last) < abs(100.0 - last) + 5.0


def test_a_steady_decline_gets_a_drift_and_keeps_declining() -> None:
    """An income falling by 150 a week from 30,000 (a random walk with drift): differenced by KPSS,
    and AICc keeps the drift, so the weeks ahead go on falling instead of staying put."""
    rng = np.random.default_rng(5)
    weeks = 30_000.0 - 150.0 * np.arange(100) + np.cumsum(rng.normal(0.0, 150.0, 100))
    fit = fit_arima(weeks, deadline=math.inf)
    assert fit is not None
    assert fit.order[1] == 1
    assert fit.label.endswith("with drift")
    assert fit.intercept < 0
    ahead = simulate_arima(fit, 8, 2_000, np.random.default_rng(0)).mean(axis=0)
    assert ahead[-1] < ahead[0] - 600.0  # about 150 a week for 7 weeks


def test_arima_refuses_constant_and_short_series() -> None:
    assert fit_arima(np.full(50, 3.0), deadline=math.inf) is None
    assert fit_arima(np.arange(5.0), deadline=math.inf) is None


def test_spreading_keeps_each_week_when_the_factors_are_flat() -> None:
    weekly = np.array([[70.0, 140.0]])
    daily = spread_over_days(weekly, np.ones(14))
    assert daily.tolist() == [[10.0] * 7 + [20.0] * 7]


def test_mase_scale_is_the_naive_error_of_30_day_sums() -> None:
    flow = np.r_[np.full(30, 1.0), np.full(30, 3.0), np.full(30, 1.0)]
    assert naive_scale(flow[:59]) is None
    sums = [flow[k : k + 30].sum() for k in range(61)]  # 30 + 2k up to k = 30, then back down
    expected = np.mean([abs(sums[k + 30] - sums[k]) for k in range(31)])
    assert expected == pytest.approx(960 / 31)
    assert naive_scale(flow) == pytest.approx(expected)


def test_the_yearly_model_brings_last_years_season_back_at_this_years_level() -> None:
    """A tutor: 30,000 a week, but 3,000 in the 10 summer weeks, two years running; this year
    earns 20% more. Forecast from the week before summer: the lean weeks come back."""
    weeks = np.arange(104)
    summer = (weeks % 52 >= 20) & (weeks % 52 < 30)
    level = np.where(weeks >= 52, 1.2, 1.0)
    noise = np.random.default_rng(3).normal(1.0, 0.05, 104)
    y = np.where(summer, 3_000.0, 30_000.0) * level * noise
    history = y[:72]  # ends the week before the second summer
    paths = simulate_yearly(history, 8, 500, np.random.default_rng(0))
    ahead = paths.mean(axis=0)
    assert ahead.shape == (8,)
    assert ahead.max() < 0.45 * history[-10:].mean()  # summer, not the level before it
    flat = simulate_yearly(30_000.0 * noise[:80], 8, 500, np.random.default_rng(0))
    assert flat.mean() == pytest.approx(30_000.0, rel=0.05)  # no season: about the mean
    short = simulate_yearly(history[:40], 8, 500, np.random.default_rng(0))
    assert (short >= 0).all()  # under 13 months it is the mean model


def test_the_yearly_models_lean_weeks_are_not_filled_by_its_busy_weeks_noise() -> None:
    """A wedding photographer: a shoot of 40,000 every other week of the 17-week season, one
    every ten weeks otherwise. Forecast going into the lean months, the weeks come out below
    the year's mean. The spread of a busy week, added to a lean week's level and cut at zero,
    lifted them to 1.4 times the year's mean; as a ratio to the week's level it cannot."""
    weeks = np.arange(72)
    busy = weeks % 52 < 17
    y = np.where(busy, weeks % 2 == 0, weeks % 10 == 3) * 40_000.0
    year = y[-52:].mean()  # about 9,200; a lean week's is 4,000
    ahead = simulate_yearly(y, 8, 2_000, np.random.default_rng(0))
    assert ahead.mean() < 0.85 * year
    assert (ahead >= 0).all()


def test_a_season_of_lumpy_projects_that_repeats_each_year_is_a_season() -> None:
    """Projects of about 40,000 paid in lumps, three times as often in the busy half of the
    year as in the lean half, two years running. Week to week it is mostly noise (the noise
    share called it no season at all), but the windows repeat a year apart: the yearly model
    forecasts the busy half busy and the lean half lean."""
    rng = np.random.default_rng(11)
    weeks = np.arange(104)
    busy = weeks % 52 < 26
    y = (rng.random(104) < np.where(busy, 0.45, 0.15)) * 40_000.0 * rng.lognormal(0, 0.3, 104)
    ahead = simulate_yearly(y, 52, 2_000, np.random.default_rng(0)).mean(axis=0)
    year = y[-52:].mean()
    assert ahead[:26].mean() > 1.2 * year  # the busy half comes back
    assert ahead[26:].mean() < 0.8 * year  # and the lean one
