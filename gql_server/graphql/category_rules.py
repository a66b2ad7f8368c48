"""Category rules in GraphQL: a person's own ordered rules, and applying them to past rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.graphql.context import Info
from gql_server.graphql.ids import local_id
from gql_server.graphql.income_sources import (
    IncomeSourceType,
    linked_income_source,
    present_fields,
)
from gql_server.graphql.ledger import Direction
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import category_rules, lookup

_RULE_FIELDS = (
    "narration_contains", "vpa", "min_amount", "max_amount", "direction", "set_merchant",
    "set_category", "set_income_source_id",
)  # fmt: skip


@strawberry.type(name="CategoryRule")
class CategoryRuleType(relay.Node):
    id: relay.NodeID[int]
    position: int = strawberry.field(description="0 is checked first; the first match decides.")
    narration_contains: str | None = strawberry.field(
        description="Matches when the narration or the merchant contains this text (any case)."
    )
    vpa: str | None = strawberry.field(description="Matches this UPI address exactly.")
    min_amount: Decimal | None
    max_amount: Decimal | None
    direction: Direction | None
    set_merchant: str | None
    set_category: str | None
    set_income_source_id: strawberry.Private[int | None]

    @strawberry.field(description="Set on money in only: it names who paid.")
    async def set_income_source(self, info: Info) -> IncomeSourceType | None:
        return await linked_income_source(info, self.set_income_source_id)

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[CategoryRuleType | None]:
        user = await info.context.require_user()
        rows = await lookup.owned(models.CategoryRule, user, node_ids)
        return [to_gql_rule(row) if row else None for row in rows]


def to_gql_rule(row: models.CategoryRule) -> CategoryRuleType:
    return CategoryRuleType(
        id=row.id,
        position=row.position,
        narration_contains=row.narration_contains,
        vpa=row.vpa,
        min_amount=row.min_amount,
        max_amount=row.max_amount,
        direction=models.Direction(row.direction) if row.direction else None,
        set_merchant=row.set_merchant,
        set_category=row.set_category,
        set_income_source_id=row.set_income_source_id,
    )


@strawberry.input
class CategoryRuleInput:
    narration_contains: str | None = None
    vpa: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    direction: Direction | None = None
    set_merchant: str | None = None
    set_category: str | None = None
    set_income_source_id: strawberry.ID | None = None
    position: int | None = strawberry.field(default=None, description="Default: last.")


@strawberry.input(description="Only the fields sent change; null clears a condition or action.")
class CategoryRulePatch:
    narration_contains: str | None = strawberry.UNSET
    vpa: str | None = strawberry.UNSET
    min_amount: Decimal | None = strawberry.UNSET
    max_amount: Decimal | None = strawberry.UNSET
    direction: Direction | None = strawberry.UNSET
    set_merchant: str | None = strawberry.UNSET
    set_category: str | None = strawberry.UNSET
    set_income_source_id: strawberry.ID | None = strawberry.UNSET
    position: int | None = strawberry.UNSET


@strawberry.type
class RuleChange:
    transaction_id: strawberry.ID
    rule_id: strawberry.ID
    merchant: str
    category: str


@strawberry.type
class RuleApplication:
    dry_run: bool
    rows_checked: int
    matched: int = strawberry.field(description="Rows some rule matched.")
    changed: int = strawberry.field(
        description="Rows whose merchant, category or income source the rules changed (on a "
        "dry run: would change). Applying the same rules again changes none."
    )
    changes: list[RuleChange] = strawberry.field(description="The first 20, to preview.")


def _values(fields: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    position = fields.pop("position", None)
    values = {name: fields[name] for name in _RULE_FIELDS if name in fields}
    if values.get("set_income_source_id") is not None:
        values["set_income_source_id"] = local_id(values["set_income_source_id"], "IncomeSource")
    return values, position


@strawberry.type
class CategoryRuleQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="In the order applied.")
    async def category_rules(self, info: Info) -> list[CategoryRuleType]:
        user = await info.context.require_user()
        return [to_gql_rule(row) for row in await category_rules.list_rules(user)]


@strawberry.type
class CategoryRuleMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def create_category_rule(self, info: Info, input: CategoryRuleInput) -> CategoryRuleType:
        user = await info.context.require_user()
        values, position = _values(dict(vars(input)))
        return to_gql_rule(await category_rules.create_rule(user, values, position))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_category_rule(
        self, info: Info, id: strawberry.ID, input: CategoryRulePatch
    ) -> CategoryRuleType:
        user = await info.context.require_user()
        values, position = _values(present_fields(input))
        row = await category_rules.update_rule(user, local_id(id, "CategoryRule"), values, position)
        return to_gql_rule(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def delete_category_rule(self, info: Info, id: strawberry.ID) -> bool:
        user = await info.context.require_user()
        await category_rules.delete_rule(user, local_id(id, "CategoryRule"))
        return True

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Run your rules over every past transaction (dryRun: only report).",
    )
    async def apply_category_rules(self, info: Info, dry_run: bool = False) -> RuleApplication:
        user = await info.context.require_user()
        result = await category_rules.apply_to_ledger(user, dry_run)
        return RuleApplication(
            dry_run=result.dry_run,
            rows_checked=result.rows_checked,
            matched=result.matched,
            changed=result.changed,
            changes=[
                RuleChange(
                    transaction_id=strawberry.ID(
                        str(relay.GlobalID("Transaction", str(c.transaction_id)))
                    ),
                    rule_id=strawberry.ID(str(relay.GlobalID("CategoryRule", str(c.rule_id)))),
                    merchant=c.merchant,
                    category=c.category,
                )
                for c in result.changes
            ],
        )
