"""The strata whose pooled spread factors a user's intervals are calibrated towards (issue 17,
"pooled and stratified by volatility/trend/seasonality"): what decides a history's stratum,
and that the evaluation shrinks towards the prior of the stratum of the history it had."""

from __future__ import annotations

import numpy as np
import pytest

from gql_server.core.forecasting.choice import INFLOW, OUTFLOW
from gql_server.core.forecasting.evaluation import POOLED, evaluate_with_scores, factor
from gql_server.core.forecasting.strata import STRATA, UNKNOWN, stratum
from gql_server.core.known_money.plan import KnownMoney, plan_known_money
from gql_server.core.series import Ledger, daily_series
from tests.unit.test_forecast_evaluation import generated


def months(sums: list[float]) -> np.ndarray:
    """Daily inflow with each 30-day block's income paid on its 10th day."""
    daily = np.zeros(30 * len(sums))
    daily[np.arange(len(sums)) * 30 + 9] = sums
    return daily


def test_a_history_is_stratified_by_its_trend_and_volatility() -> None:
    assert stratum(months([50_000.0] * 12)) == "steady calm"
    assert stratum(months([50_000.0 * 1.05**k for k in range(12)])) == "rising calm"
    assert stratum(months([50_000.0 * 0.95**k for k in range(12)])) == "falling calm"
    rng = np.random.default_rng(3)
    lumpy = [float(x) for x in rng.choice([0.0, 40_000.0, 90_000.0], size=12)]
    assert stratum(months(lumpy)).endswith(" varied")
    # only the last year counts: a rise two years ago, then a steady year
    assert stratum(months([10_000.0] * 12 + [50_000.0] * 12)) == "steady calm"


@pytest.mark.parametrize(
    "inflow",
    [np.zeros(0), months([40_000.0] * 3), np.zeros(400), np.full(400, np.nan)],
    ids=["no history", "three months", "no income", "not finite"],
)
def test_too_little_to_tell_is_unknown(inflow: np.ndarray) -> None:
    assert stratum(inflow) == UNKNOWN


def test_every_stratum_has_a_prior_for_every_flow_and_horizon() -> None:
    keys = {(flow, h) for flow in (INFLOW, OUTFLOW) for h in (7, 30, 60)}
    assert set(POOLED) == set(STRATA)
    assert all(set(prior) == keys and min(prior.values()) > 0 for prior in POOLED.values())


def test_the_evaluation_shrinks_towards_the_prior_of_the_history_it_had() -> None:
    """Each origin's error is kept with the stratum of the rows before it, and the live
    factors are the user's errors shrunk towards the prior of the whole history's stratum."""
    ledger, merchants = generated(4)  # a growing earner

    def planner(past: Ledger, rows: np.ndarray) -> KnownMoney:
        return plan_known_money(past, merchants=merchants[rows])

    choice, scored = evaluate_with_scores(ledger, planner, seed=1)
    group = stratum(daily_series(ledger).inflow)
    assert group != UNKNOWN
    assert {s.stratum for s in scored} <= set(STRATA)
    for (flow, h), value in choice.calibration.factors.items():
        mine = [s.score for s in scored if (s.flow, s.horizon) == (flow, h)]
        assert value == factor(mine, POOLED[group][flow, h])
