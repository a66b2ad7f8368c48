"""Advance tax: whether it is due at all, and the instalments with what each still needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gql_server.core.tax.money import HUNDRED, ZERO, round_to_ten
from gql_server.core.tax.payments import PaymentKind, TaxPayment, paid_by
from gql_server.core.tax.rules import Scheme, TaxRules


@dataclass(frozen=True)
class Instalment:
    """One advance-tax due date. `cumulative_due`: the share of the year's advance tax due by
    then; `paid`: advance tax paid on or before the due date (for a date still ahead, paid so
    far); `shortfall`: what is missing from the cumulative due."""

    due_date: date
    cumulative_percent: Decimal
    cumulative_due: Decimal
    paid: Decimal
    shortfall: Decimal


def advance_tax_payable(rules: TaxRules, total_tax: Decimal, tds: Decimal) -> Decimal:
    """The year's advance tax: the tax less TDS (1961 s.209 / 2025 s.405), rounded to the
    nearest Rs 10 as an amount payable; nil when that is below Rs 10,000, since advance tax is
    payable only from Rs 10,000 (1961 s.208 / 2025 s.404)."""
    net = round_to_ten(max(total_tax - tds, ZERO))
    return net if net >= rules.advance_tax_threshold else ZERO


def instalments(
    rules: TaxRules,
    scheme_applied: Scheme,
    advance_tax: Decimal,
    payments: Sequence[TaxPayment],
    as_of: date,
) -> tuple[Instalment, ...]:
    """The instalments of `advance_tax`: 15/45/75/100% by 15 June/September/December/March, or
    100% by 15 March under a presumptive scheme (1961 s.211 / 2025 s.408). Each cumulative due
    is rounded to the nearest Rs 10 (s.288B / s.516). Only ADVANCE_TAX payments made by
    `as_of` count. No instalments at all when no advance tax is payable."""
    if advance_tax <= 0:
        return ()
    rows = []
    for rule in rules.instalment_rules(scheme_applied):
        due_date = rule.due_date(rules.start)
        due = round_to_ten(advance_tax * rule.cumulative_percent / HUNDRED)
        paid = paid_by(payments, PaymentKind.ADVANCE_TAX, min(due_date, as_of))
        rows.append(Instalment(due_date, rule.cumulative_percent, due, paid, max(due - paid, ZERO)))
    return tuple(rows)
