"""A user's category rules: kept in their order, applied to imports as rows arrive and to
past rows on request (a dry run previews, a second run changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from gql_server import locks
from gql_server.core.categories import normalize_category
from gql_server.core.category_rules import Outcome, Row, Rule, apply_rules
from gql_server.errors import BadUserInput, NotFound
from gql_server.models import CategoryRule, Direction, IncomeSource, Transaction, User
from gql_server.services import validation
from gql_server.services.validation import BIGINT_ID_MAX, object_id

MAX_RULES_PER_USER = 200
_SCAN_BATCH = 5_000
_SHOWN_CHANGES = 20
_CONDITIONS = ("narration_contains", "vpa", "min_amount", "max_amount", "direction")
_ACTIONS = ("set_merchant", "set_category", "set_income_source_id")


@dataclass(frozen=True)
class RuleChange:
    transaction_id: int
    rule_id: int
    merchant: str
    category: str
    income_source_id: int | None


@dataclass
class RuleApplication:
    dry_run: bool
    rows_checked: int = 0
    matched: int = 0
    changed: int = 0
    changes: list[RuleChange] = field(default_factory=list)  # the first few, to preview


async def list_rules(user: User, connection: BaseDBAsyncClient | None = None) -> list[CategoryRule]:
    query = CategoryRule.filter(user_id=user.id).order_by("position", "id")
    return await (query.using_db(connection) if connection else query)


def as_rule(row: CategoryRule) -> Rule:
    return Rule(
        id=row.id,
        narration_contains=row.narration_contains,
        vpa=row.vpa,
        min_amount=row.min_amount,
        max_amount=row.max_amount,
        credit=None if row.direction is None else row.direction == Direction.INCOME,
        set_merchant=row.set_merchant,
        set_category=row.set_category,
        set_income_source_id=row.set_income_source_id,
    )


async def _clean(user: User, values: dict[str, Any]) -> dict[str, Any]:
    """Each field checked and tidied; empty text means no condition (or no action)."""
    clean: dict[str, Any] = {}
    for name, limit in (("narration_contains", 120), ("vpa", 120), ("set_merchant", 120)):
        if name in values:
            clean[name] = validation.text(values[name], _camel(name), limit) or None
    if clean.get("vpa"):
        clean["vpa"] = clean["vpa"].lower()
    for name in ("min_amount", "max_amount"):
        if name in values:
            amount = values[name]
            clean[name] = None if amount is None else validation.money(amount, _camel(name))
    if "direction" in values:
        clean["direction"] = None if values["direction"] is None else Direction(values["direction"])
    if "set_category" in values:
        clean["set_category"] = _category(values["set_category"])
    if "set_income_source_id" in values:
        clean["set_income_source_id"] = await _source(user, values["set_income_source_id"])
    return clean


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _category(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return normalize_category(value)
    except ValueError as exc:
        raise BadUserInput(str(exc), field="setCategory") from None


async def _source(user: User, value: str | None) -> int | None:
    if value is None:
        return None
    source_id = object_id(value, "income source", field="setIncomeSourceId")
    if not await IncomeSource.filter(id=source_id, user_id=user.id).exists():
        raise NotFound("income source not found", field="setIncomeSourceId")
    return source_id


def _check_whole(rule: CategoryRule) -> None:
    if all(getattr(rule, name) is None for name in _CONDITIONS):
        raise BadUserInput(
            "a rule needs a condition: narrationContains, vpa, an amount range or a direction"
        )
    if all(getattr(rule, name) is None for name in _ACTIONS):
        raise BadUserInput("a rule needs something to set: setMerchant, setCategory or "
                           "setIncomeSourceId")  # fmt: skip
    low, high = rule.min_amount, rule.max_amount
    if low is not None and high is not None and low > high:
        raise BadUserInput("minAmount must not exceed maxAmount", field="minAmount")


async def _place(
    user: User, rule: CategoryRule, position: int | None, connection: BaseDBAsyncClient
) -> None:
    """Put the rule at `position` (0 first; None or past the end: last) and renumber the
    others densely, so positions always read 0, 1, 2 ..."""
    others = [r for r in await list_rules(user, connection) if r.id != rule.id]
    at = len(others) if position is None else max(0, min(position, len(others)))
    ordered = [*others[:at], rule, *others[at:]]
    for index, row in enumerate(ordered):
        if row.position != index or row is rule:
            row.position = index
            await row.save(using_db=connection)


async def create_rule(user: User, values: dict[str, Any], position: int | None) -> CategoryRule:
    clean = await _clean(user, values)
    rule = CategoryRule(user_id=user.id, position=0, **clean)
    _check_whole(rule)
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        if await CategoryRule.filter(user_id=user.id).using_db(connection).count() >= (
            MAX_RULES_PER_USER
        ):
            raise BadUserInput(f"a user can have at most {MAX_RULES_PER_USER} category rules")
        await _place(user, rule, position, connection)
    return rule


async def _own_rule(user: User, rule_id: str, connection: BaseDBAsyncClient) -> CategoryRule:
    rule = await CategoryRule.get_or_none(
        id=object_id(rule_id, "category rule", BIGINT_ID_MAX), user_id=user.id, using_db=connection
    )
    if rule is None:
        raise NotFound("category rule not found", field="id")
    return rule


async def update_rule(
    user: User, rule_id: str, values: dict[str, Any], position: int | None
) -> CategoryRule:
    clean = await _clean(user, values)
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        rule = await _own_rule(user, rule_id, connection)
        rule.update_from_dict(clean)
        _check_whole(rule)
        await _place(user, rule, rule.position if position is None else position, connection)
    return rule


async def delete_rule(user: User, rule_id: str) -> None:
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        rule = await _own_rule(user, rule_id, connection)
        await rule.delete(using_db=connection)
        for index, row in enumerate(await list_rules(user, connection)):
            if row.position != index:
                row.position = index
                await row.save(using_db=connection)


async def apply_to_ledger(user: User, dry_run: bool) -> RuleApplication:
    """Run the rules over every past row, in batches; write the rows whose merchant,
    category or income source the rules change (none on a dry run)."""
    result = RuleApplication(dry_run=dry_run)
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        rules = [as_rule(row) for row in await list_rules(user, connection)]
        if not rules:
            return result
        last_id = 0
        while True:
            batch = await (
                Transaction.filter(user_id=user.id, id__gt=last_id)
                .using_db(connection)
                .order_by("id")
                .limit(_SCAN_BATCH)
                .values_list(
                    "id",
                    "description",
                    "merchant",
                    "counterparty_vpa",
                    "amount",
                    "direction",
                    "category",
                    "income_source_id",
                )
            )
            if not batch:
                return result
            last_id = batch[-1][0]
            await _apply_batch(rules, batch, result, connection)


async def _apply_batch(
    rules: list[Rule],
    batch: list[tuple[Any, ...]],
    result: RuleApplication,
    connection: BaseDBAsyncClient,
) -> None:
    changed: dict[tuple[str, str, int | None], list[int]] = {}
    for row_id, narration, merchant, vpa, amount, direction, category, source_id in batch:
        row = Row(
            narration=narration, merchant=merchant, vpa=vpa, amount=Decimal(amount),
            credit=direction == Direction.INCOME, category=category, income_source_id=source_id,
        )  # fmt: skip
        result.rows_checked += 1
        outcome: Outcome | None = apply_rules(rules, row)
        if outcome is None:
            continue
        result.matched += 1
        if not outcome.changes(row):
            continue
        result.changed += 1
        if len(result.changes) < _SHOWN_CHANGES:
            result.changes.append(
                RuleChange(
                    row_id,
                    outcome.rule_id,
                    outcome.merchant,
                    outcome.category,
                    outcome.income_source_id,
                )
            )
        key = (outcome.merchant, outcome.category, outcome.income_source_id)
        changed.setdefault(key, []).append(row_id)
    if result.dry_run:
        return
    for (merchant, category, source_id), ids in changed.items():
        await (
            Transaction.filter(id__in=ids)
            .using_db(connection)
            # A bulk update does not touch auto_now: without updated_at the outlook's
            # fingerprint missed the change and served the old tax, insights and dues as fresh.
            .update(
                merchant=merchant,
                category=category,
                income_source_id=source_id,
                updated_at=datetime.now(UTC),
            )
        )
