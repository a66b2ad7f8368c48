"""The paycheck: what the user pays themselves each month, and what a month then deposits into
the buffer or withdraws from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from gql_server.core.smoothing.months import (
    WINDOW_MONTHS,
    ZERO,
    MonthFlow,
    mean_amount,
    money,
    recent_months,
)

PAYCHECK_PERCENTILE = Decimal("0.25")  # income reaches it in about 3 months of 4
PAYCHECK_STEP = Decimal(100)  # a round figure the user can remember and set up as a transfer


@dataclass(frozen=True)
class MonthAction:
    deposit: Decimal  # surplus moved into the buffer this month (>= 0)
    withdrawal: Decimal  # taken out of the buffer to top the paycheck up (>= 0, <= balance)
    paycheck_paid: Decimal  # what the user actually gets this month
    shortfall: Decimal  # paycheck - paycheck_paid (> 0 when the buffer ran dry)


def _percentile(values: Sequence[Decimal], q: Decimal) -> Decimal:
    """Linear interpolation between order statistics (Hyndman & Fan type 7, numpy's default),
    computed in Decimal so that a round income is not floored a step down by float error."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lower = int(position)
    if lower + 1 >= len(ordered):
        return ordered[lower]
    return ordered[lower] + (position - lower) * (ordered[lower + 1] - ordered[lower])


def recommend_paycheck(months: Sequence[MonthFlow]) -> Decimal:
    """The 25th percentile of the last 12 months' income (of fewer when that is all there is),
    capped at their mean and rounded down to a multiple of ₹100; ₹0 with no history.

    Why: income reaches the 25th percentile in about 3 months of 4, so the buffer tops up about
    one month in four and the other three refill it. The cap at the mean matters for left-skewed
    income (mostly good months, a few empty ones): a paycheck above mean income takes more out of
    the buffer than goes in, and drains it however large it starts. Rounding down keeps it on the
    safe side and gives a figure a person can set up as a monthly transfer.
    """
    return paycheck_from_incomes([m.income for m in recent_months(months)])


def paycheck_from_incomes(incomes: Sequence[Decimal]) -> Decimal:
    """`recommend_paycheck` of months already in calendar order, from their incomes: the
    rolling replay asks it once a month, and sorting and checking the months each time was
    most of a dashboard's smoothing plan."""
    incomes = incomes[-WINDOW_MONTHS:]
    if not incomes:
        return ZERO
    level = min(_percentile(incomes, PAYCHECK_PERCENTILE), mean_amount(incomes))
    steps = (level / PAYCHECK_STEP).to_integral_value(rounding=ROUND_FLOOR)
    return money(max(steps, Decimal(0)) * PAYCHECK_STEP)


def month_action(income: Decimal, paycheck: Decimal, balance: Decimal) -> MonthAction:
    """Income >= paycheck: pay the paycheck and deposit the rest. Income < paycheck: pay the
    income plus min(balance, paycheck - income) from the buffer; what the buffer cannot cover is
    the shortfall. A month therefore deposits or withdraws, never both, and money is conserved:
    income = paycheck_paid + deposit - withdrawal."""
    income = money(income, "income")
    paycheck = money(paycheck, "paycheck")
    balance = money(balance, "balance")
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


def expected_monthly_surplus(months: Sequence[MonthFlow], paycheck: Decimal) -> Decimal:
    """Mean over the last 12 months of max(income - paycheck, 0) minus the mean top-up
    max(paycheck - income, 0), which is simply mean income - paycheck, to the paisa (negative
    when the paycheck is above mean income). ₹0 with no history: nothing to expect."""
    incomes = [m.income for m in recent_months(months)]
    if not incomes:
        return ZERO
    return money(mean_amount(incomes) - money(paycheck, "paycheck"), non_negative=False)
