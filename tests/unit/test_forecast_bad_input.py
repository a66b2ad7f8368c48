"""Histories a real person may have that a model handles badly: one day, only expenses, one
payment a year, a 10-crore outlier, six months of silence. The outlook of each must be finite,
every interval must hold its own expected value, and probabilities must stay in [0, 1]
(issue 17, "Bad input")."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from gql_server.core.outlook import Surroundings, compute_outlook
from tests.unit.test_recurring import Row, make_ledger

AS_OF = date(2025, 6, 30)


def _daily(first: date, last: date, amount: float, income: bool, every: int = 1) -> list[Row]:
    days = (last - first).days + 1
    category, merchant = ("Freelance income", "Acme") if income else ("Groceries", "BigBasket")
    return [
        (first + timedelta(days=k), amount, income, category, merchant)
        for k in range(0, days, every)
    ]


def _year(last: date = AS_OF) -> tuple[date, date]:
    return last - timedelta(days=729), last


HISTORIES: dict[str, list[Row]] = {
    "one day": [
        (AS_OF, 5_000.0, True, "Freelance income", "Acme"),
        (AS_OF, 300.0, False, "Food", "Swiggy"),
    ],
    "only expenses": _daily(*_year(), 450.0, income=False),
    "one payment a year": [
        (date(2023, 11, 15), 6_00_000.0, True, "Freelance income", "Wedding client"),
        (date(2024, 11, 20), 6_50_000.0, True, "Freelance income", "Wedding client"),
        *_daily(*_year(), 800.0, income=False, every=2),
    ],
    "a 10-crore outlier": [
        *_daily(*_year(), 3_000.0, income=True, every=7),
        *_daily(*_year(), 350.0, income=False),
        (date(2025, 3, 3), 10_00_00_000.0, True, "Other income", "Property sale"),
    ],
    "six months of silence": [
        *_daily(date(2023, 7, 1), date(2024, 9, 30), 2_500.0, income=True, every=5),
        *_daily(date(2023, 7, 1), date(2024, 9, 30), 400.0, income=False),
        *_daily(date(2025, 4, 1), AS_OF, 2_000.0, income=True, every=6),
        *_daily(date(2025, 4, 1), AS_OF, 380.0, income=False),
    ],
}


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_a_bad_history_gives_a_finite_coherent_outlook(name: str) -> None:
    ledger, merchants = make_ledger(HISTORIES[name], AS_OF)

    outlook = compute_outlook(ledger, seed=5, surroundings=Surroundings(merchants=merchants))

    for h in outlook.forecast.horizons:
        figures = [
            h.expected_inflow, h.expected_outflow, h.expected_net, h.inflow_low, h.inflow_high,
            h.outflow_low, h.outflow_high, h.net_low, h.net_high, h.projected_min_balance,
        ]  # fmt: skip
        assert all(math.isfinite(v) for v in figures), (name, h)
        assert np.all(np.isfinite(h.balance_quantiles)), name
        assert h.inflow_low <= h.expected_inflow <= h.inflow_high, name
        assert h.outflow_low <= h.expected_outflow <= h.outflow_high, name
        assert h.net_low <= h.expected_net <= h.net_high, name
        assert 0.0 <= h.shortfall_probability <= 1.0, name
        assert h.inflow_low >= 0, name
        assert h.outflow_low >= 0, name
    for risk in outlook.risks:
        assert 0.0 <= risk.score <= 1.0, name
    mase, coverage = outlook.forecast.backtest_mase, outlook.forecast.interval_coverage
    assert mase is None or math.isfinite(mase), name
    assert coverage is None or 0.0 <= coverage <= 1.0, name
