"""The rolling-origin evaluation of the whole forecast (issue 17, "Honest self-scores" and
"Calibrated intervals"): each origin sees only its past, scores are on the user's own flows,
and the calibration it finds reshapes the live paths. Histories come from the generator with
a pinned end, so nothing here depends on the day it runs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from gql_server.core.forecasting.choice import (
    CONFORMAL,
    INFLOW,
    OUTFLOW,
    Calibration,
    Choice,
    choice_as_json,
    choice_from_json,
)
from gql_server.core.forecasting.evaluation import (
    MAX_FACTOR,
    MIN_FACTOR,
    ORIGINS,
    SPACING_DAYS,
    cut_ledger,
    evaluate,
    factor,
    inside_interval,
)
from gql_server.core.forecasting.forecast import calibrated, forecast
from gql_server.core.forecasting.scenarios import Scenario
from gql_server.core.known_money.plan import KnownMoney, plan_known_money
from gql_server.core.outlook import Surroundings, compute_outlook, compute_scenario
from gql_server.core.series import Ledger, daily_series, local_days
from gql_server.generator.synth import generate_user

END = datetime(2025, 7, 1, tzinfo=UTC)  # histories end here, whatever today is
AS_OF = date(2025, 6, 30)


def generated(index: int, days: int = 540) -> tuple[Ledger, np.ndarray]:
    """User `index` of job seed 11 (stable earners at index 0 and 6) as a ledger and its
    merchants, the history ending on AS_OF."""
    user = generate_user(11, index, days, END)
    ledger = Ledger(
        occurred_at=user.occurred_at.astype("datetime64[s]"),
        amount=user.amount_paise / 100.0,
        is_income=user.is_income,
        category=user.category,
        source_id=np.full(len(user.amount_paise), -1, dtype=np.int64),
        balance_after=user.balance_paise / 100.0,
        opening_balance=float(user.opening_balance),
        timezone="UTC",
        as_of=AS_OF,
    )
    return ledger, user.merchant


@pytest.fixture(scope="module")
def user() -> tuple[Ledger, np.ndarray]:
    return generated(0)


def test_a_user_with_a_year_of_history_gets_a_scored_calibrated_forecast(
    user: tuple[Ledger, np.ndarray],
) -> None:
    ledger, merchants = user
    result = compute_outlook(ledger, seed=5, surroundings=Surroundings(merchants=merchants))
    forecast_ = result.forecast
    assert not forecast_.low_confidence
    assert forecast_.model.endswith(" weekly")
    assert forecast_.outflow_model.endswith(" weekly")
    assert forecast_.backtest_mase is not None
    assert forecast_.backtest_mase > 0
    assert forecast_.interval_coverage is not None
    assert 0 <= forecast_.interval_coverage <= 1
    calibration = forecast_.calibration
    assert calibration.method == CONFORMAL
    # inflow and outflow at every origin; the 60-day sums only where 60 days followed
    assert calibration.sample_size == {7: 2 * ORIGINS, 30: 2 * ORIGINS, 60: 2 * (ORIGINS - 1)}
    assert set(calibration.coverage80) == {7, 30, 60}
    assert all(0 <= share <= 1 for share in calibration.coverage80.values())
    assert set(calibration.factors) == {(f, h) for f in (INFLOW, OUTFLOW) for h in (7, 30, 60)}
    assert all(MIN_FACTOR <= f <= MAX_FACTOR for f in calibration.factors.values())
    for h in forecast_.horizons:
        assert h.inflow_low <= h.expected_inflow <= h.inflow_high
        assert h.outflow_low <= h.expected_outflow <= h.outflow_high
        assert h.net_low <= h.expected_net <= h.net_high
        assert 0 <= h.shortfall_probability <= 1
        assert np.all(np.diff(h.balance_quantiles, axis=1) >= 0)


def test_every_origin_sees_only_the_rows_up_to_its_day(user: tuple[Ledger, np.ndarray]) -> None:
    ledger, merchants = user
    seen: list[tuple[date, int, int]] = []

    def planner(past: Ledger, rows: np.ndarray) -> KnownMoney:
        last = int(local_days(past.occurred_at, past.timezone).astype(np.int64).max())
        seen.append((past.as_of, last, int(rows.sum())))
        return plan_known_money(past, merchants=merchants[rows])

    evaluate(ledger, planner, seed=1)
    cuts = [AS_OF - timedelta(days=SPACING_DAYS * k) for k in range(ORIGINS, 0, -1)]
    assert [as_of for as_of, _, _ in seen] == cuts  # oldest first: choices are prequential
    for as_of, last, rows in seen:
        assert last <= (as_of - date(1970, 1, 1)).days
        assert rows == len(cut_ledger(ledger, as_of)[0])


def test_what_is_scored_is_the_users_own_money_after_the_cut(
    user: tuple[Ledger, np.ndarray],
) -> None:
    """A one-off after the last origin (a laptop bought, a windfall) is clipped out of the
    baseline the model learns from, but the score must see it: the user's account did."""
    ledger, merchants = user

    def planner(past: Ledger, rows: np.ndarray) -> KnownMoney:
        return plan_known_money(past, merchants=merchants[rows])

    plain = evaluate(ledger, planner, seed=1)
    day = np.datetime64(AS_OF - timedelta(days=10), "s") + np.timedelta64(12 * 3600, "s")
    at = int(np.searchsorted(ledger.occurred_at, day))
    windfall = 5 * float(daily_series(ledger).inflow[-120:].sum())

    def insert(values: np.ndarray, value: float | str | bool | np.datetime64) -> np.ndarray:
        return np.insert(values, at, np.array([value], dtype=values.dtype))

    richer = replace(
        ledger,
        occurred_at=insert(ledger.occurred_at, day),
        amount=insert(ledger.amount, windfall),
        is_income=insert(ledger.is_income, True),
        category=insert(ledger.category, "Other income"),
        source_id=insert(ledger.source_id, -1),
        balance_after=insert(ledger.balance_after, 0.0),
    )
    names = insert(merchants, "Lottery")

    def richer_planner(past: Ledger, rows: np.ndarray) -> KnownMoney:
        return plan_known_money(past, merchants=names[rows])

    surprised = evaluate(richer, richer_planner, seed=1)
    assert plain.backtest_mase is not None
    assert surprised.backtest_mase is not None
    # the last origin's 30-day inflow error grows by about the windfall: MAE by a sixth of it
    assert surprised.backtest_mase > plain.backtest_mase
    assert surprised.interval_coverage is not None
    assert plain.interval_coverage is not None
    assert surprised.interval_coverage <= plain.interval_coverage


def test_the_factor_makes_eighty_percent_of_scores_inside_shrunk_towards_one() -> None:
    assert factor([]) == 1.0
    narrow = factor([0.2, 0.3, 0.25, 0.4, 0.1, 0.3])
    assert MIN_FACTOR <= narrow < 1.0
    wide = factor([1.5, 2.5, 1.8, 2.2, 3.0, 2.0])
    assert 1.0 < wide <= MAX_FACTOR
    assert factor([2.0] * 60) > factor([2.0] * 6) > 1.0  # more origins, less shrinkage
    assert factor([100.0] * 6) <= MAX_FACTOR


def test_calibration_reshapes_the_paths_and_keeps_them_coherent(
    user: tuple[Ledger, np.ndarray],
) -> None:
    series = daily_series(user[0])
    factors = {(flow, h): 2.0 for flow in (INFLOW, OUTFLOW) for h in (7, 30, 60)}
    uncalibrated = Choice(inflow_model="mean", outflow_model="mean", origins=6)
    widened = replace(uncalibrated, calibration=Calibration(CONFORMAL, factors))
    plain = forecast(series, seed=3, paths=400, choice=uncalibrated)
    wide = forecast(series, seed=3, paths=400, choice=widened)
    for before, after in zip(plain.horizons, wide.horizons, strict=True):
        # twice as wide, less where the low end would fall below zero
        width, was = (
            after.outflow_high - after.outflow_low,
            before.outflow_high - before.outflow_low,
        )
        assert 1.2 * was < width <= 2 * was + 1e-6
        assert after.expected_outflow == pytest.approx(before.expected_outflow)
        assert after.expected_inflow == pytest.approx(before.expected_inflow)
        assert after.inflow_high - after.inflow_low > before.inflow_high - before.inflow_low
        assert after.inflow_low >= 0
        assert after.net_low <= after.expected_net <= after.net_high
        assert np.all(np.diff(after.balance_quantiles, axis=1) >= 0)
        assert after.balance_quantiles[-1, 2] - after.balance_quantiles[-1, 0] > (
            before.balance_quantiles[-1, 2] - before.balance_quantiles[-1, 0]
        )
    assert wide.calibration.method == CONFORMAL


def test_calibration_widens_lumpy_paths_and_keeps_their_empty_months() -> None:
    # One path in twenty brings nothing in 30 days (a client who sometimes skips a month).
    # Before, the factor was capped where the lowest path would go below zero, so such
    # income was never widened however often it fell outside out of sample.
    rng = np.random.default_rng(5)
    sums = np.where(rng.random(600) < 0.05, 0.0, rng.lognormal(11, 0.4, 600))[:, None]
    wide = calibrated(sums, np.array([1.5]))
    assert wide.mean() == pytest.approx(sums.mean())
    assert wide.min() == 0.0
    assert np.all(wide[sums == 0.0] == 0.0)
    was = np.percentile(sums, 90) - np.percentile(sums, 10)
    assert np.percentile(wide, 90) - np.percentile(wide, 10) > 1.3 * was
    assert not inside_interval(sums[:, 0], 1.0, 20_000.0)
    assert inside_interval(sums[:, 0], 1.5, 20_000.0)
    assert not inside_interval(sums[:, 0], 1.5, 10 * float(sums.max()))


def test_a_short_history_is_not_scored() -> None:
    ledger, merchants = generated(0, days=70)
    result = compute_outlook(ledger, seed=2, surroundings=Surroundings(merchants=merchants))
    assert result.forecast.backtest_mase is None
    assert result.forecast.interval_coverage is None
    assert result.forecast.calibration.method == "none"
    assert result.forecast.low_confidence


def test_a_what_if_forecasts_with_the_stored_choice_as_with_the_choice_made_again(
    user: tuple[Ledger, np.ndarray],
) -> None:
    ledger, merchants = user
    around = Surroundings(merchants=merchants)
    outlook = compute_outlook(ledger, seed=3, surroundings=around, time_budget_s=60.0)
    assert outlook.choice is not None
    stored = json.loads(json.dumps(choice_as_json(outlook.choice)))  # as the database keeps it
    assert choice_from_json(stored) == outlook.choice
    scenario = Scenario(income_change_pct=-20.0)

    again = compute_scenario(
        ledger, seed=3, scenario=scenario, features={}, surroundings=around, time_budget_s=60.0
    )
    reused = compute_scenario(
        ledger,
        seed=3,
        scenario=scenario,
        features={},
        surroundings=around,
        choice=choice_from_json(stored),
    )

    assert (reused[0].model, reused[0].outflow_model) == (again[0].model, again[0].outflow_model)
    for made, kept in zip(again[0].horizons, reused[0].horizons, strict=True):
        assert (made.expected_net, made.net_low, made.net_high, made.shortfall_probability) == (
            kept.expected_net,
            kept.net_low,
            kept.net_high,
            kept.shortfall_probability,
        )
        assert np.array_equal(made.balance_quantiles, kept.balance_quantiles)
