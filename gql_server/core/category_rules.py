"""A person's own category rules: ordered, each a set of conditions on a transaction and what
to set when they all hold. The first rule that matches a row decides it, as in Actual's and
Firefly III's rules: a person puts the specific rule above the general one.

Applied to a statement's rows as they are imported, and to past rows on request; applying
the same rules twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Rule:
    """Conditions (each optional, all must hold) and actions (each optional)."""

    id: int
    narration_contains: str | None = None  # case-insensitive, in the narration or merchant
    vpa: str | None = None  # the other side's UPI address, exactly (case-insensitive)
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    credit: bool | None = None  # True: money in only, False: money out only
    set_merchant: str | None = None
    set_category: str | None = None
    set_income_source_id: int | None = None


@dataclass(frozen=True)
class Row:
    """What a rule looks at in a transaction, and what it may change."""

    narration: str
    merchant: str
    vpa: str | None
    amount: Decimal
    credit: bool
    category: str
    income_source_id: int | None


@dataclass(frozen=True)
class Outcome:
    rule_id: int
    merchant: str
    category: str
    income_source_id: int | None

    def changes(self, row: Row) -> bool:
        return (self.merchant, self.category, self.income_source_id) != (
            row.merchant,
            row.category,
            row.income_source_id,
        )


def matches(rule: Rule, row: Row) -> bool:
    if rule.credit is not None and rule.credit != row.credit:
        return False
    if rule.min_amount is not None and row.amount < rule.min_amount:
        return False
    if rule.max_amount is not None and row.amount > rule.max_amount:
        return False
    if rule.vpa is not None and (row.vpa or "").casefold() != rule.vpa.casefold():
        return False
    if rule.narration_contains is not None:
        needle = rule.narration_contains.casefold()
        if needle not in row.narration.casefold() and needle not in row.merchant.casefold():
            return False
    return True


def apply_rules(rules: list[Rule], row: Row) -> Outcome | None:
    """What the first matching rule makes of the row, or None when no rule matches. An income
    source is set only on money in (it names who paid)."""
    for rule in rules:
        if matches(rule, row):
            source = rule.set_income_source_id if row.credit else None
            return Outcome(
                rule_id=rule.id,
                merchant=rule.set_merchant or row.merchant,
                category=rule.set_category or row.category,
                income_source_id=source if source is not None else row.income_source_id,
            )
    return None
