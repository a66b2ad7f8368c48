"""Income smoothing: a steady monthly paycheck paid from lumpy income through a savings buffer.

The user pays themselves the same paycheck every month. A month that earns more than the
paycheck deposits the surplus into the buffer; a month that earns less withdraws the gap from
it, as far as the buffer holds (it never goes below zero). The package recommends the paycheck
and the buffer's target, gives this month's deposit or withdrawal, and replays a history under
the rule. Money is `Decimal` with 2 places in and out (ROUND_HALF_EVEN); statistics (CV) are
floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gql_server.core.smoothing.months import MonthFlow, money, months_figure, recent_months
from gql_server.core.smoothing.paycheck import (
    expected_monthly_surplus,
    month_action,
    recommend_paycheck,
)
from gql_server.core.smoothing.replay import Replay, replay
from gql_server.core.smoothing.target import (
    buffer_risk_score,
    buffer_target,
    essential_monthly,
    income_cv,
    months_to_target,
    runway_months,
    target_months,
)


@dataclass(frozen=True)
class SmoothingPlan:
    monthly_paycheck: Decimal  # recommended, or the user's override
    recommended_paycheck: Decimal  # the rule's own recommendation (for display beside an override)
    target: Decimal
    target_months: float
    this_month_income: Decimal
    recommended_deposit: Decimal  # for this month, given the income so far and the balance
    recommended_withdrawal: Decimal
    months_to_target: int | None
    runway_months: float | None
    risk_score: float
    replay: Replay
    expected_monthly_surplus: Decimal  # what months_to_target divides the gap by
    income_cv: float | None  # CV of the last 12 months' income (what the target rests on)
    essential_monthly: Decimal  # mean essential spending of the last 12 months
    monthly_tax_set_aside: Decimal = Decimal("0.00")  # kept back from the paycheck for tax
    tax_reserve: Decimal = Decimal("0.00")  # the next instalment, counted in the target


def smoothing_plan(
    history: Sequence[MonthFlow],
    this_month_income: Decimal,
    balance: Decimal,
    *,
    paycheck_override: Decimal | None = None,
    target_months_override: float | None = None,
    tax_set_aside: Decimal = Decimal("0.00"),
    tax_reserve: Decimal = Decimal("0.00"),
) -> SmoothingPlan:
    """The buffer plan for this month. `history` holds complete past months (oldest first);
    this month is in progress and comes separately as its income so far. The paycheck is the
    override or `recommend_paycheck(history)`; the target is `buffer_target`; this month's
    deposit or withdrawal is `month_action(income so far, paycheck, balance)`; months to target
    divide the gap by `expected_monthly_surplus` (mean income - paycheck over the last 12
    months); runway is balance / mean essential spending; the replay runs the history from an
    empty buffer with the user's paycheck override, or else with the rule as it would have
    spoken month by month (rolling, no hindsight).

    Tax: the recommended paycheck is what is left after `tax_set_aside` a month (the advance
    tax still ahead, saved month by month in the buffer: the paycheck is what the user may
    spend), and the target holds `tax_reserve` (the next instalment) on top of the months of
    essentials, so a buffer at its target can pay it without cutting the paycheck.
    """
    set_aside = money(tax_set_aside, "tax_set_aside")
    reserve = money(tax_reserve, "tax_reserve")
    recommended = max(recommend_paycheck(history) - set_aside, Decimal("0.00"))
    paycheck = recommended if paycheck_override is None else money(paycheck_override, "paycheck")
    recent = recent_months(history)
    cv = income_cv(recent)
    held = (
        target_months(cv)
        if target_months_override is None
        else months_figure(target_months_override, "target_months_override")
    )
    target = buffer_target(recent, months_override=held) + reserve
    balance = money(balance, "balance")
    action = month_action(this_month_income, paycheck, balance)
    surplus = expected_monthly_surplus(recent, paycheck)
    spending = essential_monthly(recent)
    runway = runway_months(balance, spending)
    return SmoothingPlan(
        monthly_paycheck=paycheck,
        recommended_paycheck=recommended,
        target=target,
        target_months=held,
        this_month_income=money(this_month_income, "this_month_income"),
        recommended_deposit=action.deposit,
        recommended_withdrawal=action.withdrawal,
        months_to_target=months_to_target(balance, target, surplus),
        runway_months=runway,
        risk_score=buffer_risk_score(balance, target, cv, runway),
        replay=replay(history, paycheck_override and paycheck, rolling=True),
        expected_monthly_surplus=surplus,
        income_cv=cv,
        essential_monthly=spending,
        monthly_tax_set_aside=set_aside,
        tax_reserve=reserve,
    )
