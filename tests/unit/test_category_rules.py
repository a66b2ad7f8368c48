"""A person's own rules: the first match decides, conditions all hold, applying twice is a no-op."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from gql_server.core.category_rules import Row, Rule, apply_rules

ROW = Row(
    narration="UPI-DMRC-dmrc@paytm-PYTM0123456-606212345678-METRO",
    merchant="DMRC",
    vpa="dmrc@paytm",
    amount=Decimal("40.00"),
    credit=False,
    category="Other",
    income_source_id=None,
)


def test_the_first_matching_rule_decides() -> None:
    rules = [Rule(1, narration_contains="metro", set_category="Transport"),
             Rule(2, narration_contains="dmrc", set_category="Travel")]  # fmt: skip
    outcome = apply_rules(rules, ROW)
    assert outcome is not None
    assert (outcome.rule_id, outcome.category, outcome.merchant) == (1, "Transport", "DMRC")


def test_every_condition_must_hold() -> None:
    assert apply_rules([Rule(1, vpa="DMRC@PAYTM", credit=False, set_merchant="Metro")], ROW)
    assert apply_rules([Rule(1, vpa="dmrc@paytm", credit=True, set_merchant="M")], ROW) is None
    assert apply_rules([Rule(1, min_amount=Decimal("41"), set_merchant="M")], ROW) is None
    assert apply_rules([Rule(1, max_amount=Decimal("39.99"), set_merchant="M")], ROW) is None
    assert apply_rules([Rule(1, narration_contains="swiggy", set_merchant="M")], ROW) is None


def test_an_income_source_is_set_on_money_in_only() -> None:
    rule = Rule(1, narration_contains="dmrc", set_income_source_id=5)
    spent = apply_rules([rule], ROW)
    earned = apply_rules([rule], replace(ROW, credit=True))
    assert spent is not None
    assert earned is not None
    assert (spent.income_source_id, earned.income_source_id) == (None, 5)


def test_applying_twice_changes_nothing_the_second_time() -> None:
    rule = Rule(1, narration_contains="metro", set_category="Transport", set_merchant="Metro")
    first = apply_rules([rule], ROW)
    assert first is not None
    assert first.changes(ROW)
    after = replace(ROW, merchant=first.merchant, category=first.category)
    second = apply_rules([rule], after)
    assert second is not None
    assert not second.changes(after)
