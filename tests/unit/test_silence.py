"""Clients who have gone quiet count less in the baseline the weekly model learns from."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import numpy as np
import pytest

from gql_server.core.known_money.plan import plan_known_money
from gql_server.core.known_money.rhythm import income_keys
from gql_server.core.known_money.silence import client_weights, still_paying
from gql_server.core.outlook import Surroundings, compute_outlook
from tests.unit.test_recurring import Row, groceries, make_ledger

AS_OF = date(2025, 6, 30)
# Days between a project client's payments: whenever a project ends, 20-70 days apart.
PROJECT_GAPS = [34, 61, 22, 45, 28, 70, 39, 52, 25, 47, 36]


def _projects(client: str, last_paid: date, amount: float, seed: int) -> list[Row]:
    rng = np.random.default_rng(seed)
    days = [last_paid]
    for gap in reversed(PROJECT_GAPS):
        days.insert(0, days[0] - timedelta(days=gap))
    return [(d, float(amount * rng.uniform(0.7, 1.3)), True, "Freelance", client) for d in days]


def _one_offs(start: date, count: int, seed: int) -> list[Row]:
    """Clients who pay once each, every few weeks: the income the weekly model learns."""
    rng = np.random.default_rng(seed)
    return [
        (start + timedelta(int(d)), float(rng.uniform(5_000, 15_000)), True, "Gig", f"Gig {k}")
        for k, d in enumerate(np.sort(rng.integers(0, (AS_OF - start).days, count)))
    ]


def test_the_chance_a_client_still_pays_falls_with_its_silence() -> None:
    gaps = np.array(PROJECT_GAPS, dtype=np.float64)
    chances = [still_paying(gaps, silent) for silent in (0, 30, 60, 90, 150, 300)]
    assert chances[0] == 1.0
    assert chances[1] > 0.9  # most of its gaps are longer: nothing to worry about yet
    assert all(a >= b for a, b in itertools.pairwise(chances))
    assert chances[4] < 0.1  # twice its longest gap: probably gone
    assert chances[5] < 0.01
    assert min(chances) >= 0.0


def test_a_client_gone_quiet_counts_little_and_others_count_fully() -> None:
    gone = _projects("Old Agency", AS_OF - timedelta(days=200), 80_000.0, seed=1)
    active = _projects("Busy Studio", AS_OF - timedelta(days=12), 50_000.0, seed=2)
    rows = gone + active + _one_offs(date(2024, 1, 1), 25, seed=3)
    rows += groceries(4, date(2024, 1, 1), 546)
    ledger, merchants = make_ledger(rows, AS_OF)

    known = plan_known_money(ledger, merchants=merchants)

    assert known.baseline_amount is not None
    old = merchants == "Old Agency"
    share = known.baseline_amount[old] / np.asarray(ledger.amount)[old]
    assert share.max() < 0.05
    busy = (merchants == "Busy Studio") & known.baseline
    assert known.baseline_amount[busy] == pytest.approx(np.asarray(ledger.amount)[busy], rel=0.01)
    rest = ~old & (merchants != "Busy Studio") & known.baseline
    assert np.all(known.baseline_amount[rest] == np.asarray(ledger.amount)[rest])
    assert known.baseline[old].all()  # still the model's rows: only their weight fell
    assert not known.excluded[old].any()


def test_without_merchant_names_nothing_is_judged() -> None:
    rows = _projects("Old Agency", AS_OF - timedelta(days=200), 80_000.0, seed=1)
    ledger, _ = make_ledger(rows, AS_OF)
    keep = np.ones(len(ledger), dtype=bool)
    assert np.all(client_weights(ledger, income_keys(ledger, None), keep) == 1.0)


def test_the_forecast_stops_counting_on_a_client_gone_quiet() -> None:
    # Before, the gone client's payments kept the learned level up: the 30-day inflow was
    # forecast as if it might still pay at its old rate.
    base = _projects("Busy Studio", AS_OF - timedelta(days=12), 50_000.0, seed=2)
    base += _one_offs(date(2024, 1, 1), 25, seed=3) + groceries(4, date(2024, 1, 1), 546)
    gone = _projects("Old Agency", AS_OF - timedelta(days=120), 80_000.0, seed=1)
    inflows = []
    for rows in (base + gone, base):
        ledger, merchants = make_ledger(rows, AS_OF)
        outlook = compute_outlook(ledger, seed=5, surroundings=Surroundings(merchants=merchants))
        inflows.append(outlook.forecast.horizons[1].expected_inflow)
    with_gone, without = inflows
    assert with_gone < 1.15 * without
