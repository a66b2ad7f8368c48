"""A history replayed under the smoothing rule, month by month, from a starting balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gql_server.core.smoothing.months import ZERO, MonthFlow, chronological, money
from gql_server.core.smoothing.paycheck import (
    month_action,
    paycheck_from_incomes,
    recommend_paycheck,
)
from gql_server.core.smoothing.target import decimal_cv

# Months of history before the rolling replay lets the rule set the paycheck.
RULE_WARMUP_MONTHS = 3


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
    ordered = chronological(months)
    pay = recommend_paycheck(ordered) if paycheck is None else money(paycheck, "paycheck")
    start = money(start_balance, "start_balance")
    balance, rows = start, []
    incomes = [flow.income for flow in ordered]
    for index, flow in enumerate(ordered):
        if rolling and paycheck is None:
            pay = (
                paycheck_from_incomes(incomes[:index])
                if index >= RULE_WARMUP_MONTHS
                else flow.income
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
        raw_income_cv=decimal_cv([r.income for r in ruled]),
        paycheck_cv=decimal_cv([r.paycheck_paid for r in ruled]),
        dry_months=sum(1 for r in rows if r.shortfall > 0),
        final_balance=balance,
        total_deposited=sum((r.deposit for r in rows), ZERO),
        total_withdrawn=sum((r.withdrawal for r in rows), ZERO),
        paycheck=pay,
        start_balance=start,
    )
