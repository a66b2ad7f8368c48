"""Known money and the baseline, and scenarios over them, on hand-made histories."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from gql_server.core.forecasting.scenarios import Scenario, forecast_known, known_flows
from gql_server.core.known_money.items import Cadence, Declared, RecurringSeries, counterparty
from gql_server.core.known_money.plan import (
    AUTOMATIC,
    EXCLUDE,
    INCLUDE,
    continuation,
    plan_known_money,
)
from gql_server.core.series import DAYS_PER_MONTH, daily_series
from tests.unit.test_recurring import MONTHLY, RENT, Row, groceries, make_ledger, rent_rows

AS_OF = date(2024, 12, 31)


def _history(extra: list[Row] | None = None) -> list[Row]:
    """A year of rent on the 1st-3rd, shopping, a monthly retainer and a ₹60,000 laptop."""
    retainer = [
        (date(2024, m, 25), 40_000.0, True, "Freelance income", "Acme Studio") for m in range(1, 13)
    ]
    laptop = [(date(2024, 9, 14), 60_000.0, False, "Shopping", "Croma")]
    return (
        rent_rows() + groceries(3, date(2024, 1, 1), 366, 20.0) + retainer + laptop + (extra or [])
    )


def _rows_of(merchants: np.ndarray, mask: np.ndarray, name: str) -> np.ndarray:
    return mask[merchants == name]


def test_recurring_rows_and_a_one_off_are_kept_out_of_the_baseline() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)

    known = plan_known_money(ledger, merchants=merchants)

    assert {s.merchant for s in known.schedule} == {RENT, "Acme Studio"}
    assert not _rows_of(merchants, known.baseline, RENT).any()
    assert not _rows_of(merchants, known.baseline, "Acme Studio").any()
    assert _rows_of(merchants, known.excluded, "Croma").all()
    assert _rows_of(merchants, known.baseline, "BigBasket").all()
    assert not _rows_of(merchants, known.excluded, RENT).any()  # recurring is never a one-off


def test_a_declared_item_blocks_the_same_payee_spelled_differently_and_wins() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)
    mine = replace(MONTHLY, merchant=f"  {RENT.upper()}", category="Rent", amount=17_500.0)

    known = plan_known_money(ledger, merchants=merchants, declared=[Declared(mine)])

    assert [s.merchant for s in known.detected] == ["Acme Studio"]
    assert [s.amount for s in known.schedule if s.category == "Rent"] == [17_500.0]
    assert not _rows_of(merchants, known.baseline, RENT).any()  # not counted twice


def test_a_dismissed_detection_schedules_nothing_and_its_rows_are_ordinary_again() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)
    dismissed = frozenset({(counterparty(RENT), False)})

    known = plan_known_money(ledger, merchants=merchants, dismissed=dismissed)
    inactive = plan_known_money(
        ledger,
        merchants=merchants,
        declared=[Declared(replace(MONTHLY, merchant=RENT, category="Rent"), active=False)],
    )

    for plan in (known, inactive):
        assert [s.merchant for s in plan.schedule] == ["Acme Studio"]
        assert _rows_of(merchants, plan.baseline, RENT).all()


def test_the_users_word_on_a_row_overrides_the_outlier_rule_both_ways() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)
    overrides = np.full(len(ledger), AUTOMATIC, dtype=np.int8)
    overrides[merchants == "Croma"] = INCLUDE
    first_shop = int(np.flatnonzero(merchants == "BigBasket")[0])
    overrides[first_shop] = EXCLUDE

    known = plan_known_money(ledger, merchants=merchants, overrides=overrides)

    assert _rows_of(merchants, known.baseline, "Croma").all()
    assert not known.baseline[first_shop]
    assert known.excluded[first_shop]
    with pytest.raises(ValueError, match="parallel"):
        plan_known_money(ledger, merchants=merchants, overrides=overrides[:-1])


def test_known_flows_follow_the_scenario() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)
    known = plan_known_money(ledger, merchants=merchants)
    known = replace(known, schedule_sources=tuple(7 if s.is_income else -1 for s in known.schedule))
    laptop = (date(2025, 1, 10), 60_000.0)

    inflow, outflow = known_flows(ledger, known, 31)
    lost, _ = known_flows(ledger, known, 31, Scenario(drop_source_ids=frozenset({7})))
    _, extra = known_flows(ledger, known, 31, Scenario(extra_monthly_expense=9_000.0))
    more, _ = known_flows(ledger, known, 31, Scenario(income_change_pct=-25.0))
    _, bought = known_flows(ledger, known, 31, Scenario(one_offs=(laptop,)))

    assert outflow[0] == 15_000.0  # rent on 1 January, index 0 is the day after as_of
    assert inflow[24] == 40_000.0  # the retainer on the 25th
    assert lost.sum() == 0.0
    assert more[24] == 30_000.0
    assert np.allclose(extra - outflow, 9_000.0 / DAYS_PER_MONTH)
    assert (bought - outflow).tolist() == [0.0] * 9 + [60_000.0] + [0.0] * 21
    with pytest.raises(ValueError, match="outside"):
        known_flows(ledger, known, 5, Scenario(one_offs=(laptop,)))


def test_todays_rows_are_known_flows_of_the_first_day_and_settle_what_they_pay() -> None:
    """The history ends yesterday (AS_OF); 1 January is today, still running. Rent due today
    and not yet paid is scheduled today; paid this morning, it is in today's rows once, not
    scheduled again, and due next on 1 February."""
    today = AS_OF + timedelta(days=1)
    coffee: Row = (today, 250.0, False, "Food", "Blue Tokai")
    unpaid, unpaid_names = make_ledger(_history([coffee]), AS_OF)
    paid, paid_names = make_ledger(
        _history([coffee, (today, 15_000.0, False, "Rent", RENT)]), AS_OF
    )

    before = plan_known_money(unpaid, merchants=unpaid_names)
    after = plan_known_money(paid, merchants=paid_names)
    _, owed = known_flows(unpaid, before, 35)
    _, settled = known_flows(paid, after, 35)

    assert owed[0] == 15_000.0 + 250.0  # the rent still due today, and the coffee had
    assert settled[0] == 15_000.0 + 250.0  # the rent paid today, once
    assert settled[31] == 15_000.0  # next due on 1 February
    rent = next(s for s in after.schedule if s.merchant == RENT)
    assert rent.next_date == date(2025, 2, 1)
    assert len(daily_series(paid)) == len(daily_series(unpaid))  # today is not history


@pytest.mark.parametrize("change", [-100.5, 500.5, float("inf")])
def test_a_scenario_outside_its_bounds_is_refused(change: float) -> None:
    with pytest.raises(ValueError, match="income_change_pct"):
        Scenario(income_change_pct=change)
    with pytest.raises(ValueError, match="positive"):
        Scenario(one_offs=((date(2025, 1, 1), 0.0),))


def test_rent_on_the_first_tips_the_paths_below_zero_on_that_day() -> None:
    rows = _history()
    ledger, merchants = make_ledger(rows, AS_OF)
    balance = float(ledger.balance_after[-1])
    ledger = replace(ledger, opening_balance=10_000.0 - balance)  # ₹10,000 at the end
    ledger = replace(ledger, balance_after=ledger.balance_after + ledger.opening_balance)
    known = plan_known_money(ledger, merchants=merchants)

    result = forecast_known(ledger, known, daily_series(ledger), seed=1, horizons=(30,))

    [h] = result.horizons
    assert h.below_zero is not None
    assert h.below_zero[0] >= 0.9  # ₹10,000 minus the ₹15,000 rent due tomorrow
    assert h.expected_outflow >= 15_000.0
    # the retainer on the 25th: its first due date in the forecast, so no month of hazard yet
    assert h.expected_inflow == pytest.approx(40_000.0, rel=0.02)


def test_an_empty_scenario_reproduces_the_forecast_and_a_one_off_moves_every_path() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)
    known = plan_known_money(ledger, merchants=merchants)
    series = daily_series(ledger)

    base = forecast_known(ledger, known, series, seed=4, horizons=(30,)).horizons[0]
    same = forecast_known(ledger, known, series, seed=4, horizons=(30,), scenario=Scenario())
    one_off = Scenario(one_offs=((AS_OF + timedelta(days=5), 25_000.0),))
    bought = forecast_known(ledger, known, series, seed=4, horizons=(30,), scenario=one_off)

    assert np.array_equal(same.horizons[0].balance_quantiles, base.balance_quantiles)
    shift = base.balance_quantiles - bought.horizons[0].balance_quantiles
    assert np.allclose(shift[:4], 0.0)
    assert np.allclose(shift[4:], 25_000.0)


def test_a_one_off_is_clipped_to_what_is_usual_not_dropped() -> None:
    ledger, merchants = make_ledger(_history(), AS_OF)

    known = plan_known_money(ledger, merchants=merchants)

    [laptop] = np.flatnonzero(merchants == "Croma").tolist()
    assert known.excluded[laptop]
    assert known.baseline[laptop]
    assert known.baseline_amount is not None
    assert 0 < known.baseline_amount[laptop] < 60_000.0 / 4  # a purchase, not a laptop
    shop = int(np.flatnonzero(merchants == "BigBasket")[0])
    assert known.baseline_amount[shop] == ledger.amount[shop]


def test_a_payout_whose_amount_wanders_is_listed_but_left_to_the_model() -> None:
    amounts = [5_200.0, 6_100.0, 5_600.0, 4_900.0, 5_800.0, 6_300.0, 5_100.0, 5_500.0] * 3
    payouts = [
        (date(2024, 12, 27) - timedelta(weeks=23 - k), a, True, "Platform payout", "Swiggy")
        for k, a in enumerate(amounts)
    ]
    ledger, merchants = make_ledger(_history(payouts), AS_OF)

    known = plan_known_money(ledger, merchants=merchants)

    [swiggy] = [s for s in known.detected if s.merchant == "Swiggy"]
    assert not swiggy.fixed_amount
    assert "Swiggy" not in {s.merchant for s in known.schedule}
    assert _rows_of(merchants, known.baseline, "Swiggy").all()


def test_a_less_certain_series_is_likelier_to_stop_but_never_promised() -> None:
    assert continuation(1.0) == pytest.approx(0.98)
    assert continuation(0.5) < continuation(0.9) < continuation(1.0) < 1.0


def test_a_series_may_stop_per_month_not_per_payment() -> None:
    # A weekly payout at confidence 0.5 lost a third of its paths within 30 days when the
    # hazard was charged at every payment: stable earners' forecasts came out about 20% low.
    payout = RecurringSeries(
        merchant="Swiggy",
        category="Gig income",
        is_income=True,
        cadence=Cadence.WEEKLY,
        interval_days=7,
        day_of_month=None,
        amount=5_000.0,
        last_date=AS_OF - timedelta(days=3),
        next_date=AS_OF + timedelta(days=4),
        occurrences=40,
        confidence=0.5,
        row_indexes=(),
    )
    ledger, _ = make_ledger(groceries(3, date(2024, 1, 1), 366, 20.0), AS_OF)
    sure = continuation(0.5)
    known = replace(
        plan_known_money(ledger),
        schedule=(payout,),
        schedule_sources=(-1,),
        schedule_certainty=(sure,),
    )
    rng = np.random.default_rng(5)

    inflow, _ = known_flows(ledger, known, 60, paths=20_000, rng=rng)

    paid = inflow[:, inflow.sum(axis=0) > 0] > 0  # paths x the payout's due days
    days = np.flatnonzero(inflow.sum(axis=0) > 0)
    assert paid[:, 0].all()  # due once, it is paid
    for column, day in enumerate(days):
        months = (day - days[0]) / DAYS_PER_MONTH
        assert paid[:, column].mean() == pytest.approx(sure**months, abs=0.01)
    within_30 = days < 30
    assert paid[:, within_30][:, -1].mean() > 0.9  # per payment it was about 0.67
