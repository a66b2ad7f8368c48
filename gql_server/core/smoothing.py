"""Income smoothing: a steady monthly paycheck paid from lumpy income through a savings buffer.

The user pays themselves the same paycheck every month. A month that earns more than the
paycheck deposits the surplus into the buffer; a month that earns less withdraws the gap from
it, as far as the buffer holds (it never goes below zero). This module recommends the paycheck
and the buffer's target, gives this month's deposit or withdrawal, and replays a history under
the rule. Money is `Decimal` with 2 places in and out (ROUND_HALF_EVEN); statistics (CV) are
floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

import numpy as np

from gql_server.core.risk import SAFE_RUNWAY_MONTHS

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
WINDOW_MONTHS = 12  # the paycheck and the target look at the last year: recent, yet every season
PAYCHECK_PERCENTILE = Decimal("0.25")  # income reaches it in about 3 months of 4
PAYCHECK_STEP = Decimal(100)  # a round figure the user can remember and set up as a transfer
MIN_MONTHS_CV = 3  # same as the features: fewer months say nothing about spread
CALM_TARGET_MONTHS = 3.0  # steady income: the usual 3-month emergency fund
VOLATILE_TARGET_MONTHS = 6.0  # very volatile income: the 6 months advised for irregular earners
FULL_VOLATILITY_CV = 1.0  # a CV at which income counts as fully volatile
UNKNOWN_TARGET_MONTHS = (CALM_TARGET_MONTHS + VOLATILE_TARGET_MONTHS) / 2
GAP_WEIGHT = 0.6
VOLATILITY_WEIGHT = 0.2
RUNWAY_WEIGHT = 0.2
UNKNOWN = 0.5  # a risk component the history cannot tell counts half (as in core.risk)


def _money(value: Decimal | int, name: str = "amount", *, non_negative: bool = True) -> Decimal:
    """An exact 2-place amount; floats are refused (they are not exact money)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{name} must be finite, got {amount}")
    if non_negative and amount < 0:
        raise ValueError(f"{name} must be >= 0, got {amount}")
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _months_figure(value: float, name: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


@dataclass(frozen=True)
class MonthFlow:
    """One complete calendar month: its income and its essential spending, both >= 0."""

    month: date  # first day of a calendar month
    income: Decimal  # all income of the month, >= 0
    essential_spending: Decimal  # rent, groceries, bills, EMIs... of the month, >= 0

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise ValueError(f"month must be the first day of a month, got {self.month}")
        # Frozen: quantizing on the way in is the one write, so every amount held is 2-place.
        object.__setattr__(self, "income", _money(self.income, "income"))
        spending = _money(self.essential_spending, "essential_spending")
        object.__setattr__(self, "essential_spending", spending)


@dataclass(frozen=True)
class MonthAction:
    deposit: Decimal  # surplus moved into the buffer this month (>= 0)
    withdrawal: Decimal  # taken out of the buffer to top the paycheck up (>= 0, <= balance)
    paycheck_paid: Decimal  # what the user actually gets this month
    shortfall: Decimal  # paycheck - paycheck_paid (> 0 when the buffer ran dry)


@dataclass(frozen=True)
class ReplayMonth:
    month: date
    income: Decimal
    paycheck_paid: Decimal
    deposit: Decimal
    withdrawal: Decimal
    balance_after: Decimal
    shortfall: Decimal


@dataclass(frozen=True)
class Replay:
    months: tuple[ReplayMonth, ...]
    raw_income_cv: float | None  # CV of monthly income
    paycheck_cv: float | None  # CV of paycheck_paid
    dry_months: int  # months with a shortfall (buffer ran dry)
    final_balance: Decimal
    total_deposited: Decimal
    total_withdrawn: Decimal
    paycheck: Decimal  # the fixed paycheck the replay ran with
    start_balance: Decimal


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


def _chronological(months: Sequence[MonthFlow]) -> list[MonthFlow]:
    ordered = sorted(months, key=lambda m: m.month)
    if len({m.month for m in ordered}) != len(ordered):
        raise ValueError("each month may appear only once")
    return ordered


def _recent(months: Sequence[MonthFlow]) -> list[MonthFlow]:
    return _chronological(months)[-WINDOW_MONTHS:]


def _mean(values: Sequence[Decimal]) -> Decimal:
    """Exact mean (Decimal division at 28 digits), not yet rounded to paise."""
    return sum(values, ZERO) / len(values) if values else ZERO


def _percentile(values: Sequence[Decimal], q: Decimal) -> Decimal:
    """Linear interpolation between order statistics (Hyndman & Fan type 7, numpy's default),
    computed in Decimal so that a round income is not floored a step down by float error."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lower = int(position)
    if lower + 1 >= len(ordered):
        return ordered[lower]
    return ordered[lower] + (position - lower) * (ordered[lower + 1] - ordered[lower])


def _cv(values: Sequence[Decimal]) -> float | None:
    """Sample standard deviation (ddof=1, as in core.features) over the mean."""
    if len(values) < MIN_MONTHS_CV:
        return None
    data = np.array([float(v) for v in values], dtype=np.float64)
    mean = float(data.mean())
    if mean <= 0:
        return None
    cv = float(data.std(ddof=1)) / mean
    return cv if math.isfinite(cv) else None


def recommend_paycheck(months: Sequence[MonthFlow]) -> Decimal:
    """The 25th percentile of the last 12 months' income (of fewer when that is all there is),
    capped at their mean and rounded down to a multiple of ₹100; ₹0 with no history.

    Why: income reaches the 25th percentile in about 3 months of 4, so the buffer tops up about
    one month in four and the other three refill it. The cap at the mean matters for left-skewed
    income (mostly good months, a few empty ones): a paycheck above mean income takes more out of
    the buffer than goes in, and drains it however large it starts. Rounding down keeps it on the
    safe side and gives a figure a person can set up as a monthly transfer.
    """
    incomes = [m.income for m in _recent(months)]
    if not incomes:
        return ZERO
    level = min(_percentile(incomes, PAYCHECK_PERCENTILE), _mean(incomes))
    steps = (level / PAYCHECK_STEP).to_integral_value(rounding=ROUND_FLOOR)
    return _money(max(steps, Decimal(0)) * PAYCHECK_STEP)


def income_cv(months: Sequence[MonthFlow]) -> float | None:
    """Coefficient of variation of monthly income over the months given: sample standard
    deviation (ddof=1, as the `income_cv` feature) over the mean. None with fewer than 3 months
    (too few to say anything about spread) or a zero mean (undefined)."""
    return _cv([m.income for m in months])


def target_months(income_cv: float | None) -> float:
    """Months of essential spending the buffer should hold: 3 at CV 0 (the usual emergency fund
    for a steady income), rising linearly to 6 at CV >= 1 (the 6 months commonly advised for
    irregular earners: a CV of 1 means a typical month misses the mean by the mean itself).
    An unknown or non-finite CV gives the midpoint, 4.5 months."""
    if income_cv is None or not math.isfinite(income_cv):
        return UNKNOWN_TARGET_MONTHS
    volatility = min(max(income_cv, 0.0) / FULL_VOLATILITY_CV, 1.0)
    return CALM_TARGET_MONTHS + (VOLATILE_TARGET_MONTHS - CALM_TARGET_MONTHS) * volatility


def essential_monthly(months: Sequence[MonthFlow]) -> Decimal:
    """Mean essential spending of the last 12 months (fewer: of what there is), to the paisa;
    ₹0 with no history."""
    return _money(_mean([m.essential_spending for m in _recent(months)]))


def buffer_target(months: Sequence[MonthFlow], *, months_override: float | None = None) -> Decimal:
    """Target = target_months(CV of the last 12 months' income), or the override, x the mean
    essential spending of the last 12 months, to the paisa. The buffer exists to cover the
    essentials in lean months, so it is sized in months of essentials, not of income."""
    recent = _recent(months)
    if months_override is None:
        held = target_months(income_cv(recent))
    else:
        held = _months_figure(months_override, "months_override")
    return _money(Decimal(held) * essential_monthly(recent))


def month_action(income: Decimal, paycheck: Decimal, balance: Decimal) -> MonthAction:
    """Income >= paycheck: pay the paycheck and deposit the rest. Income < paycheck: pay the
    income plus min(balance, paycheck - income) from the buffer; what the buffer cannot cover is
    the shortfall. A month therefore deposits or withdraws, never both, and money is conserved:
    income = paycheck_paid + deposit - withdrawal."""
    income = _money(income, "income")
    paycheck = _money(paycheck, "paycheck")
    balance = _money(balance, "balance")
    if income >= paycheck:
        return MonthAction(
            deposit=income - paycheck, withdrawal=ZERO, paycheck_paid=paycheck, shortfall=ZERO
        )
    needed = paycheck - income
    withdrawal = min(balance, needed)
    return MonthAction(
        deposit=ZERO,
        withdrawal=withdrawal,
        paycheck_paid=income + withdrawal,
        shortfall=needed - withdrawal,
    )


def replay(
    months: Sequence[MonthFlow],
    paycheck: Decimal | None = None,
    start_balance: Decimal = ZERO,
    *,
    rolling: bool = False,
) -> Replay:
    """Run the months (in calendar order) under `month_action` with one fixed paycheck, carrying
    the balance from month to month. The default paycheck is `recommend_paycheck` of these same
    months: that uses hindsight (it knows the incomes it is replayed on), so the replay shows
    what the rule does to a history, not a forecast of how it will do. Money is conserved each
    month (income = paycheck_paid + deposit - withdrawal), the balance never goes below zero, and
    final balance = start + deposits - withdrawals.

    With `rolling` (and no paycheck given) there is no hindsight: each month's paycheck is what
    `recommend_paycheck` said from the months before it, as a user following the rule would
    have been told at the time; the first RULE_WARMUP_MONTHS pass income straight through (the
    rule has nothing to go on yet) and are left out of the two CVs. This is the honest replay
    of a real history: a fixed paycheck taken from the last year over-pays the early months of
    a growing income.
    """
    ordered = _chronological(months)
    pay = recommend_paycheck(ordered) if paycheck is None else _money(paycheck, "paycheck")
    start = _money(start_balance, "start_balance")
    balance, rows = start, []
    for index, flow in enumerate(ordered):
        if rolling and paycheck is None:
            pay = (
                recommend_paycheck(ordered[:index]) if index >= RULE_WARMUP_MONTHS else flow.income
            )
        action = month_action(flow.income, pay, balance)
        balance = balance + action.deposit - action.withdrawal
        rows.append(
            ReplayMonth(
                month=flow.month,
                income=flow.income,
                paycheck_paid=action.paycheck_paid,
                deposit=action.deposit,
                withdrawal=action.withdrawal,
                balance_after=balance,
                shortfall=action.shortfall,
            )
        )
    # Compare like with like: in a rolling replay, only the months the rule was in force.
    ruled = rows[RULE_WARMUP_MONTHS:] if rolling and paycheck is None else rows
    return Replay(
        months=tuple(rows),
        raw_income_cv=_cv([r.income for r in ruled]),
        paycheck_cv=_cv([r.paycheck_paid for r in ruled]),
        dry_months=sum(1 for r in rows if r.shortfall > 0),
        final_balance=balance,
        total_deposited=sum((r.deposit for r in rows), ZERO),
        total_withdrawn=sum((r.withdrawal for r in rows), ZERO),
        paycheck=pay,
        start_balance=start,
    )


# Months of history before the rolling replay lets the rule set the paycheck.
RULE_WARMUP_MONTHS = 3


def runway_months(balance: Decimal, essential_monthly: Decimal) -> float | None:
    """How many months the balance pays the essentials with no income: balance / essential
    spending per month. None when there is no essential spending (no runway to measure)."""
    balance = _money(balance, "balance")
    spending = _money(essential_monthly, "essential_monthly")
    if spending == 0:
        return None
    return float(balance / spending)


def months_to_target(
    balance: Decimal, target: Decimal, expected_monthly_surplus: Decimal
) -> int | None:
    """Whole months until the balance reaches the target at the expected surplus a month:
    ceil((target - balance) / surplus). 0 when already there; None when no surplus is expected
    (the target is never reached at this rate)."""
    balance = _money(balance, "balance")
    target = _money(target, "target")
    surplus = _money(expected_monthly_surplus, "expected_monthly_surplus", non_negative=False)
    if balance >= target:
        return 0
    if surplus <= 0:
        return None
    return int(((target - balance) / surplus).to_integral_value(rounding=ROUND_CEILING))


def _known(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def buffer_risk_score(
    balance: Decimal, target: Decimal, income_cv: float | None, runway: float | None
) -> float:
    """Score in [0, 1], 0 = safe:
    0.6 x (1 - min(balance / target, 1))          how far the buffer is from its target
    + 0.2 x min(income CV / 1, 1)                 volatile income (full at CV 1, as the target)
    + 0.2 x (1 - min(runway / 6 months, 1))       thin runway in absolute terms,
    with an unknown CV or runway counting 0.5 and a zero target counting as reached. The gap to
    the target weighs most because the target already grows with volatility; the runway term
    adds the absolute view (6 months is the usual advice for irregular income, as in core.risk),
    so a full 3-month buffer on a steady income still scores a little above 0. Every term falls
    or stays as the balance (and with it the runway) grows, so more balance never raises it.
    """
    balance = _money(balance, "balance")
    target = _money(target, "target")
    cv, months = _known(income_cv), _known(runway)
    gap = 0.0 if target == 0 else 1.0 - min(float(balance / target), 1.0)
    volatile = UNKNOWN if cv is None else min(max(cv, 0.0) / FULL_VOLATILITY_CV, 1.0)
    thin = UNKNOWN if months is None else 1.0 - min(max(months, 0.0) / SAFE_RUNWAY_MONTHS, 1.0)
    score = GAP_WEIGHT * gap + VOLATILITY_WEIGHT * volatile + RUNWAY_WEIGHT * thin
    return min(1.0, max(0.0, score))


def expected_monthly_surplus(months: Sequence[MonthFlow], paycheck: Decimal) -> Decimal:
    """Mean over the last 12 months of max(income - paycheck, 0) minus the mean top-up
    max(paycheck - income, 0), which is simply mean income - paycheck, to the paisa (negative
    when the paycheck is above mean income). ₹0 with no history: nothing to expect."""
    incomes = [m.income for m in _recent(months)]
    if not incomes:
        return ZERO
    return _money(_mean(incomes) - _money(paycheck, "paycheck"), non_negative=False)


def smoothing_plan(
    history: Sequence[MonthFlow],
    this_month_income: Decimal,
    balance: Decimal,
    *,
    paycheck_override: Decimal | None = None,
    target_months_override: float | None = None,
) -> SmoothingPlan:
    """The buffer plan for this month. `history` holds complete past months (oldest first);
    this month is in progress and comes separately as its income so far. The paycheck is the
    override or `recommend_paycheck(history)`; the target is `buffer_target`; this month's
    deposit or withdrawal is `month_action(income so far, paycheck, balance)`; months to target
    divide the gap by `expected_monthly_surplus` (mean income - paycheck over the last 12
    months); runway is balance / mean essential spending; the replay runs the history from an
    empty buffer with the user's paycheck override, or else with the rule as it would have
    spoken month by month (rolling, no hindsight).
    """
    recommended = recommend_paycheck(history)
    paycheck = recommended if paycheck_override is None else _money(paycheck_override, "paycheck")
    recent = _recent(history)
    cv = income_cv(recent)
    held = (
        target_months(cv)
        if target_months_override is None
        else _months_figure(target_months_override, "target_months_override")
    )
    target = buffer_target(recent, months_override=held)
    balance = _money(balance, "balance")
    action = month_action(this_month_income, paycheck, balance)
    surplus = expected_monthly_surplus(recent, paycheck)
    spending = essential_monthly(recent)
    runway = runway_months(balance, spending)
    return SmoothingPlan(
        monthly_paycheck=paycheck,
        recommended_paycheck=recommended,
        target=target,
        target_months=held,
        this_month_income=_money(this_month_income, "this_month_income"),
        recommended_deposit=action.deposit,
        recommended_withdrawal=action.withdrawal,
        months_to_target=months_to_target(balance, target, surplus),
        runway_months=runway,
        risk_score=buffer_risk_score(balance, target, cv, runway),
        replay=replay(history, paycheck_override and paycheck, rolling=True),
        expected_monthly_surplus=surplus,
        income_cv=cv,
        essential_monthly=spending,
    )
