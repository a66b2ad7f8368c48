"""What a request costs, checked against a budget before anything runs.

Most fields read a few indexed rows; a handful start a fit in the forecast pool, which takes
seconds of a worker and the whole ledger in memory. Those carry a cost, and an operation
whose fields add up to more than MAX_REQUEST_COST is refused as BAD_USER_INPUT, with the
cost and the budget in `extensions`, before any resolver runs (eight aliased what-ifs used to
run eight fits). The count is static: an alias or a fragment spread counts each time it
appears, and a `scenario` argument counts as a what-if whatever its variables turn out to be,
so the answer is the same for every run of a document and can be cached with its validation.

Costs per field (on the root types and on `me`, the only places these fields exist):
- WHAT_IF: `forecast` or `balanceForecast` with a `scenario` (a fit made for this request);
- REFIT: `refreshForecasts` (a fit even when nothing changed);
- IMPORT: `importStatement` (a file parsed and matched against the ledger, and every new row
  written: seconds for a few years of statements; uploads also count per user per hour);
- TAX: `taxOutlook` (a scan of up to two years of the ledger, and the rules);
- EXPORT: `exportMyData` (up to 10,000 transactions and, on a first page, every other table
  of the user, all held in memory for the answer; first pages also count per user per hour);
- OUTLOOK: any field that reads the stored outlook, which is a fit when the ledger changed
  since it was stored; a query shares one read among all its fields, a mutation reads afresh
  for each (a field may follow a write).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.type.definition import GraphQLInterfaceType

WHAT_IF = 10
REFIT = 10
IMPORT = 20
OUTLOOK = 5
TAX = 3
EXPORT = 20
_OWNERS = frozenset({"Query", "Mutation", "User"})
_WHAT_IFS = frozenset({"forecast", "balanceForecast"})
_OUTLOOK_READERS = frozenset(
    {"forecast", "balanceForecast", "forecasts", "features", "insights", "recurringItems"}
)


@dataclass(frozen=True)
class Tally:
    fits: int = 0  # cost of the work the fields themselves start (fits, scans, imports)
    outlook_reads: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.fits + other.fits, self.outlook_reads + other.outlook_reads)

    def total(self, shared_outlook: bool) -> int:
        reads = min(self.outlook_reads, 1) if shared_outlook else self.outlook_reads
        return self.fits + OUTLOOK * reads


def _field_tally(parent: str, node: FieldNode) -> Tally:
    if parent not in _OWNERS:
        return Tally()
    name = node.name.value
    fits = 0
    if name in _WHAT_IFS and any(
        argument.name.value == "scenario" and not isinstance(argument.value, NullValueNode)
        for argument in node.arguments or ()
    ):
        fits = WHAT_IF
    elif name == "refreshForecasts":
        fits = REFIT
    elif name == "importStatement":
        fits = IMPORT
    elif name == "taxOutlook":
        fits = TAX
    elif name == "exportMyData":
        fits = EXPORT
    return Tally(fits, 1 if name in _OUTLOOK_READERS else 0)


class _Counter:
    def __init__(self, rule: ValidationRule) -> None:
        self.context = rule.context
        self.fragments: dict[str, Tally] = {}
        self.visiting: set[str] = set()

    def selection_set(self, parent: GraphQLNamedType | None, nodes: SelectionSetNode) -> Tally:
        tally = Tally()
        for selection in nodes.selections:
            if isinstance(selection, FieldNode):
                tally += self.field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.context.schema.get_type(condition.name.value) if condition else parent
                tally += self.selection_set(inner, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                tally += self.fragment(selection.name.value)
        return tally

    def field(self, parent: GraphQLNamedType | None, node: FieldNode) -> Tally:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return Tally()
        tally = _field_tally(parent.name, node)
        definition = parent.fields.get(node.name.value)
        if definition is not None and node.selection_set is not None:
            tally += self.selection_set(get_named_type(definition.type), node.selection_set)
        return tally

    def fragment(self, name: str) -> Tally:
        if name in self.fragments:
            return self.fragments[name]
        definition: FragmentDefinitionNode | None = self.context.get_fragment(name)
        if definition is None or name in self.visiting:  # unknown or a cycle: other rules say
            return Tally()
        self.visiting.add(name)
        parent = self.context.schema.get_type(definition.type_condition.name.value)
        tally = self.selection_set(parent, definition.selection_set)
        self.visiting.discard(name)
        self.fragments[name] = tally
        return tally


def operation_cost(rule: ValidationRule, operation: OperationDefinitionNode) -> int:
    schema = rule.context.schema
    root = schema.get_root_type(operation.operation)
    tally = _Counter(rule).selection_set(root, operation.selection_set)
    return tally.total(shared_outlook=operation.operation is OperationType.QUERY)


def cost_rule(budget: int) -> type[ValidationRule]:
    class RequestCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            cost = operation_cost(self, node)
            if cost > budget:
                self.report_error(
                    GraphQLError(
                        f"this request costs {cost}, more than the {budget} one request may "
                        f"spend (a what-if forecast or a refit costs {WHAT_IF}, an outlook "
                        f"{OUTLOOK}, a statement import {IMPORT}, a page of exportMyData "
                        f"{EXPORT}); split it into several requests",
                        node,
                        extensions={"code": "BAD_USER_INPUT", "cost": cost, "budget": budget},
                    )
                )

    return RequestCost
