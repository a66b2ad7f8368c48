"""The smoothing rule: invariants of the replay, a conservative paycheck, a target that grows
with volatility, and plans that stay sensible on thin histories."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_server.core.smoothing.months import MonthFlow
from gql_server.core.smoothing.paycheck import (
    month_action,
    paycheck_from_incomes,
    recommend_paycheck,
)
from gql_server.core.smoothing.plan import smoothing_plan
from gql_server.core.smoothing.replay import replay
from gql_server.core.smoothing.target import (
    buffer_risk_score,
    buffer_target,
    income_cv,
    months_to_target,
    runway_months,
    target_months,
)

D = Decimal


def month(index: int) -> date:
    """The index-th month from January 2023."""
    return date(2023 + index // 12, index % 12 + 1, 1)


def flows(incomes: Sequence[Decimal | int], spending: Decimal | int = 20_000) -> list[MonthFlow]:
    return [MonthFlow(month(i), D(income), D(spending)) for i, income in enumerate(incomes)]


# A freelancer with lumpy months: a few big invoices, some lean months, one empty month.
VOLATILE = [1000 * k for k in (90, 15, 40, 120, 0, 35, 70, 20, 95, 10, 60, 45)]

money = st.decimals(min_value=0, max_value=500_000, places=2, allow_nan=False, allow_infinity=False)


# --- invariants ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    incomes=st.lists(money, max_size=36),
    paycheck=st.one_of(st.none(), money),
    start=money,
)
def test_replay_conserves_money_and_never_overdraws(
    incomes: list[Decimal], paycheck: Decimal | None, start: Decimal
) -> None:
    result = replay(flows(incomes), paycheck, start)
    balance = start
    for row in result.months:
        assert row.income == row.paycheck_paid + row.deposit - row.withdrawal
        assert row.deposit >= 0
        assert row.withdrawal >= 0
        assert row.deposit == 0 or row.withdrawal == 0
        assert row.withdrawal <= balance
        assert row.shortfall == result.paycheck - row.paycheck_paid
        balance = balance + row.deposit - row.withdrawal
        assert row.balance_after == balance
        assert row.balance_after >= 0
    assert result.final_balance == start + result.total_deposited - result.total_withdrawn
    assert result.final_balance == balance
    assert result.dry_months == sum(1 for r in result.months if r.shortfall > 0)
    for amount in (result.final_balance, result.total_deposited, result.total_withdrawn):
        assert amount.as_tuple().exponent == -2


@settings(max_examples=200, deadline=None)
@given(income=money, paycheck=money, balance=money)
def test_month_action_deposits_or_withdraws_never_both(
    income: Decimal, paycheck: Decimal, balance: Decimal
) -> None:
    action = month_action(income, paycheck, balance)
    assert action.deposit == 0 or action.withdrawal == 0
    assert 0 <= action.withdrawal <= balance
    assert action.deposit >= 0
    assert action.shortfall >= 0
    assert action.paycheck_paid + action.shortfall == paycheck
    assert income == action.paycheck_paid + action.deposit - action.withdrawal
    if action.shortfall > 0:
        assert action.withdrawal == balance  # the buffer ran dry before the paycheck did


def test_month_action_cases() -> None:
    assert month_action(D("70000"), D("50000"), D("0")).deposit == D("20000.00")
    topped = month_action(D("30000"), D("50000"), D("100000"))
    assert (topped.withdrawal, topped.paycheck_paid, topped.shortfall) == (
        D("20000.00"),
        D("50000.00"),
        D("0.00"),
    )
    dry = month_action(D("30000"), D("50000"), D("5000"))
    assert (dry.withdrawal, dry.paycheck_paid, dry.shortfall) == (
        D("5000.00"),
        D("35000.00"),
        D("15000.00"),
    )


def test_month_action_refuses_negative_and_float_money() -> None:
    with pytest.raises(ValueError, match="balance"):
        month_action(D("1"), D("1"), D("-0.01"))
    with pytest.raises(TypeError):
        month_action(1.5, D("1"), D("0"))  # type: ignore[arg-type]


def test_money_is_quantized_half_even_on_the_way_in() -> None:
    flow = MonthFlow(date(2024, 1, 1), D("100.005"), D("0.015"))
    assert (flow.income, flow.essential_spending) == (D("100.00"), D("0.02"))
    with pytest.raises(ValueError, match="first day"):
        MonthFlow(date(2024, 1, 2), D("1"), D("1"))
    with pytest.raises(ValueError, match="income"):
        MonthFlow(date(2024, 1, 1), D("-1"), D("1"))


# --- smoothing does smooth ------------------------------------------------------------------


def test_paycheck_is_smoother_than_raw_income_with_enough_buffer() -> None:
    history = flows(VOLATILE)
    result = replay(history, start_balance=D("100000"))
    assert result.raw_income_cv is not None
    assert result.raw_income_cv > 0.5
    assert result.paycheck_cv is not None
    assert result.paycheck_cv < result.raw_income_cv / 5
    assert result.dry_months == 0
    assert {r.paycheck_paid for r in result.months} == {result.paycheck}


def test_even_from_an_empty_buffer_the_paycheck_is_smoother() -> None:
    result = replay(flows(VOLATILE))
    assert result.paycheck_cv is not None
    assert result.raw_income_cv is not None
    assert result.paycheck_cv < result.raw_income_cv


def test_steady_income_gives_a_paycheck_close_to_it_and_little_buffer_movement() -> None:
    incomes = [D(50_000) + D(300) * ((-1) ** i) for i in range(12)]  # 49,700 / 50,300
    history = flows(incomes)
    paycheck = recommend_paycheck(history)
    assert D("49000") <= paycheck <= D("50000")
    result = replay(history)
    moved = result.total_deposited + result.total_withdrawn
    assert moved < D("0.03") * sum(incomes)
    assert result.dry_months == 0


def test_constant_income_is_its_own_paycheck() -> None:
    result = replay(flows([D("45000")] * 12))
    assert result.paycheck == D("45000.00")
    assert result.total_deposited == result.total_withdrawn == D("0.00")
    assert result.raw_income_cv == pytest.approx(0.0, abs=1e-12)


def test_replay_runs_in_calendar_order_and_refuses_duplicate_months() -> None:
    history = flows(VOLATILE)
    assert replay(list(reversed(history))) == replay(history)
    with pytest.raises(ValueError, match="once"):
        replay([*history, history[0]])


# --- the paycheck ---------------------------------------------------------------------------


def test_recommend_paycheck_is_conservative_and_round() -> None:
    history = flows(VOLATILE)
    paycheck = recommend_paycheck(history)
    incomes = [D(v) for v in VOLATILE]
    assert paycheck <= statistics.mean(incomes)
    assert paycheck <= statistics.median(incomes)
    assert paycheck % 100 == 0
    assert paycheck == D("18700.00")  # p25 = 18,750 (linear), floored to the ₹100


def test_recommend_paycheck_is_below_the_median_of_a_symmetric_series() -> None:
    incomes = [30_000, 40_000, 50_000, 60_000, 70_000, 45_000, 55_000, 35_000, 65_000]
    paycheck = recommend_paycheck(flows(incomes))
    assert statistics.median(incomes) == statistics.mean(incomes) == 50_000
    assert paycheck < 50_000
    assert paycheck == D("40000.00")


def test_recommend_paycheck_never_exceeds_the_mean_of_left_skewed_income() -> None:
    incomes = [0, 0] + [100_000] * 10  # p25 = 100,000 but the mean is 83,333.33
    assert recommend_paycheck(flows(incomes)) == D("83300.00")


def test_recommend_paycheck_looks_at_the_last_twelve_months() -> None:
    incomes = [1_000] * 12 + [60_000] * 12
    assert recommend_paycheck(flows(incomes)) == D("60000.00")


def test_recommend_paycheck_rounds_down_round_amounts_exactly() -> None:
    assert recommend_paycheck(flows([D("30000.00")] * 5)) == D("30000.00")
    assert recommend_paycheck(flows([D("29999.99")] * 5)) == D("29900.00")
    assert recommend_paycheck(flows([D("99.99")])) == D("0.00")


@settings(max_examples=100, deadline=None)
@given(st.lists(money, min_size=1, max_size=24))
def test_recommend_paycheck_properties(incomes: list[Decimal]) -> None:
    recent = incomes[-12:]
    paycheck = recommend_paycheck(flows(incomes))
    assert paycheck % 100 == 0
    assert 0 <= paycheck <= statistics.mean(recent)
    assert paycheck <= statistics.median(recent)
    assert statistics.mean(recent) - paycheck >= 0


def test_recommend_paycheck_without_history_is_zero() -> None:
    assert recommend_paycheck([]) == D("0.00")


# --- the target -----------------------------------------------------------------------------


def test_target_months_grow_linearly_with_cv() -> None:
    assert target_months(0.0) == 3.0
    assert target_months(0.5) == pytest.approx(4.5)
    assert target_months(1.0) == 6.0
    assert target_months(3.0) == 6.0
    assert target_months(None) == 4.5
    assert target_months(float("nan")) == 4.5
    values = [target_months(cv / 10) for cv in range(15)]
    assert values == sorted(values)


def test_buffer_target_grows_with_cv_and_override_wins() -> None:
    steady = flows([50_000, 51_000, 49_000, 50_000, 50_500, 49_500])
    volatile = flows(VOLATILE)
    assert buffer_target(volatile) > buffer_target(steady)
    cv = income_cv(volatile)
    assert cv is not None
    assert float(buffer_target(volatile)) == pytest.approx(target_months(cv) * 20_000, abs=0.01)
    assert buffer_target(volatile, months_override=2.0) == D("40000.00")
    assert buffer_target(steady, months_override=0.0) == D("0.00")
    with pytest.raises(ValueError, match="months_override"):
        buffer_target(steady, months_override=-1.0)


def test_buffer_target_uses_mean_spending_of_the_last_twelve_months() -> None:
    history = [MonthFlow(month(i), D(50_000), D(90_000 if i < 6 else 20_000)) for i in range(18)]
    assert buffer_target(history, months_override=1.0) == D("20000.00")


def test_income_cv_needs_three_months_and_a_positive_mean() -> None:
    assert income_cv(flows([10_000, 20_000])) is None
    assert income_cv(flows([0, 0, 0])) is None
    assert income_cv(flows([10_000, 20_000, 30_000])) == pytest.approx(0.5)


# --- runway, months to target, risk ---------------------------------------------------------


def test_runway_months() -> None:
    assert runway_months(D("60000"), D("20000")) == pytest.approx(3.0)
    assert runway_months(D("0"), D("20000")) == 0.0
    assert runway_months(D("60000"), D("0")) is None


def test_months_to_target_edge_cases() -> None:
    assert months_to_target(D("100000"), D("100000"), D("0")) == 0
    assert months_to_target(D("150000"), D("100000"), D("-5000")) == 0
    assert months_to_target(D("0"), D("100000"), D("0")) is None
    assert months_to_target(D("0"), D("100000"), D("-1000")) is None
    assert months_to_target(D("0"), D("100000"), D("30000")) == 4
    assert months_to_target(D("40000"), D("100000"), D("30000")) == 2
    assert months_to_target(D("0"), D("0"), D("0")) == 0


def test_risk_score_ends() -> None:
    assert buffer_risk_score(D("200000"), D("100000"), 0.0, 12.0) == 0.0
    assert buffer_risk_score(D("0"), D("100000"), 2.0, 0.0) == 1.0
    assert buffer_risk_score(D("0"), D("100000"), None, None) == pytest.approx(0.8)
    assert buffer_risk_score(D("0"), D("0"), None, None) == pytest.approx(0.2)


@settings(max_examples=200, deadline=None)
@given(
    low=money,
    extra=money,
    target=money,
    cv=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    spending=money,
)
def test_risk_score_is_in_unit_interval_and_monotone_in_balance(
    low: Decimal, extra: Decimal, target: Decimal, cv: float | None, spending: Decimal
) -> None:
    high = low + extra
    poor = buffer_risk_score(low, target, cv, runway_months(low, spending))
    rich = buffer_risk_score(high, target, cv, runway_months(high, spending))
    assert 0.0 <= rich <= poor <= 1.0


# --- plans on thin histories ----------------------------------------------------------------


def test_plan_with_no_history() -> None:
    plan = smoothing_plan([], D("0"), D("0"))
    assert plan.monthly_paycheck == plan.recommended_paycheck == D("0.00")
    assert plan.target == D("0.00")
    assert plan.target_months == 4.5
    assert plan.recommended_deposit == plan.recommended_withdrawal == D("0.00")
    assert plan.months_to_target == 0
    assert plan.runway_months is None
    assert 0.0 <= plan.risk_score <= 1.0
    assert plan.replay.months == ()
    assert plan.replay.raw_income_cv is None


def test_plan_with_one_month() -> None:
    plan = smoothing_plan(flows([42_345]), D("10000"), D("0"))
    assert plan.recommended_paycheck == D("42300.00")
    assert plan.income_cv is None
    assert plan.target == D("90000.00")  # 4.5 months (CV unknown) x 20,000
    assert plan.recommended_withdrawal == D("0.00")  # nothing in the buffer yet
    assert plan.months_to_target == 2000  # ceil(90,000 / 45 a month)
    assert len(plan.replay.months) == 1


def test_plan_with_all_zeros() -> None:
    plan = smoothing_plan(flows([0, 0, 0, 0], spending=0), D("0"), D("0"))
    assert plan.monthly_paycheck == D("0.00")
    assert plan.target == D("0.00")
    assert plan.months_to_target == 0
    assert plan.runway_months is None
    assert plan.replay.paycheck_cv is None
    assert plan.replay.dry_months == 0


def test_plan_for_a_volatile_earner() -> None:
    history = flows(VOLATILE)
    plan = smoothing_plan(history, D("100000"), D("30000"))
    assert plan.monthly_paycheck == D("18700.00")
    assert plan.recommended_deposit == D("81300.00")
    assert plan.recommended_withdrawal == D("0.00")
    mean_income = sum((D(v) for v in VOLATILE), D(0)) / 12
    assert plan.expected_monthly_surplus == (mean_income - D("18700")).quantize(D("0.01"))
    assert plan.months_to_target is not None
    assert plan.months_to_target > 0
    assert plan.runway_months == pytest.approx(1.5)
    assert plan.target_months > 5.0
    assert plan.replay == replay(history, rolling=True)

    lean = smoothing_plan(history, D("8000"), D("30000"))
    assert lean.recommended_withdrawal == D("10700.00")
    assert lean.recommended_deposit == D("0.00")
    assert lean.risk_score == plan.risk_score  # the score rests on the balance, not this month


def test_plan_overrides_win_and_keep_the_recommendation_beside_them() -> None:
    history = flows(VOLATILE)
    plan = smoothing_plan(
        history, D("0"), D("0"), paycheck_override=D("60000"), target_months_override=2.0
    )
    assert plan.monthly_paycheck == D("60000.00")
    assert plan.recommended_paycheck == D("18700.00")
    assert plan.target == D("40000.00")
    assert plan.target_months == 2.0
    assert plan.replay.paycheck == D("60000.00")
    assert plan.months_to_target is None  # a paycheck above mean income never builds a buffer
    assert plan.replay.dry_months > 0


def test_more_balance_lowers_the_plan_risk() -> None:
    history = flows(VOLATILE)
    scores = [smoothing_plan(history, D("0"), D(b)).risk_score for b in range(0, 400_001, 50_000)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0.5 > scores[-1]


def test_rolling_replay_has_no_hindsight_and_spares_a_growing_income() -> None:
    growing = flows([D(20000 + 2000 * i) for i in range(24)])
    hindsight, rolling = replay(growing), replay(growing, rolling=True)
    # The fixed paycheck comes from the last year, far above the first months' income.
    assert hindsight.dry_months > 3
    assert rolling.dry_months == 0
    assert [m.paycheck_paid for m in rolling.months[:3]] == [m.income for m in growing[:3]]
    # Month 4 is paid what the rule said from months 1 to 3 alone.
    assert rolling.months[3].paycheck_paid == recommend_paycheck(growing[:3])


@given(
    incomes=st.lists(
        st.integers(min_value=0, max_value=50_000_000).map(lambda p: Decimal(p) / 100),
        min_size=0,
        max_size=36,
    )
)
def test_rolling_replay_conserves_money_and_never_overdraws(incomes: list[Decimal]) -> None:
    result = replay(flows(incomes), rolling=True)
    for month in result.months:
        assert month.balance_after >= 0
        assert month.income == month.paycheck_paid + month.deposit - month.withdrawal
    assert result.final_balance == result.total_deposited - result.total_withdrawn


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.decimals(min_value=0, max_value=500_000, places=2, allow_nan=False), max_size=30)
)
def test_the_rolling_replays_paycheck_is_the_rules_paycheck(incomes: list[Decimal]) -> None:
    """The replay asks `paycheck_from_incomes` of the months so far (already in order) where
    it asked `recommend_paycheck` of them: the same figure, month after month."""
    months = [
        MonthFlow(date(2020 + i // 12, i % 12 + 1, 1), income, Decimal(0))
        for i, income in enumerate(incomes)
    ]
    for index in range(len(months) + 1):
        assert paycheck_from_incomes(incomes[:index]) == recommend_paycheck(months[:index])
