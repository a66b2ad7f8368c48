"""The plain-leaf path through graphql-core answers exactly what the ordinary path answers:
values, nulls, errors and their paths, for good and bad values alike."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from strawberry import relay

from gql_server.graphql.execution import PlainLeafExecutionContext
from gql_server.graphql.scalars import DECIMAL


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    count: int
    note: str | None
    color: Color
    amount: Decimal
    at: datetime

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


GOOD: dict[str, Any] = {
    "name": "chai",
    "count": 3,
    "note": None,
    "color": Color.RED,
    "amount": Decimal("4819.41"),
    "at": datetime(2026, 11, 28, 6, 30, tzinfo=UTC),
}
BAD: list[dict[str, Any]] = [
    {"name": None},  # null for a non-null field
    {"count": "many"},  # a value Int refuses
    {"count": 2**40},  # out of Int's range
    {"color": "green"},  # not an enum value
    {"note": 7},  # String coerces numbers
    {"amount": "not money"},
]
THINGS: list[dict[str, Any]] = [GOOD] + [{**GOOD, **bad} for bad in BAD]


def _things() -> list[Thing]:
    found = []
    for values in THINGS:
        thing = Thing.__new__(Thing)  # no checks: the bad values must reach the executor
        thing.__dict__.update(values)
        found.append(thing)
    return found


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return list(_things())


def _schema(plain: bool) -> strawberry.Schema:
    if plain:
        return strawberry.Schema(
            query=Query,
            scalar_overrides={Decimal: DECIMAL},
            execution_context_class=PlainLeafExecutionContext,
        )
    return strawberry.Schema(query=Query, scalar_overrides={Decimal: DECIMAL})


def _ordinary_fields(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the fields that will go graphql-core's ordinary way, as they go."""
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    ordinary = StrawberryGraphQLCoreExecutionContext.execute_field
    taken: list[str] = []

    def counted(self: Any, parent_type: Any, source: Any, fields: Any, *rest: Any) -> Any:
        taken.append(fields[0].node.name.value)
        return ordinary(self, parent_type, source, fields, *rest)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    return taken


@pytest.mark.parametrize(
    "query",
    [
        "{ things { name count note color amount at } }",
        "{ things { name shout(times: 2) __typename } }",
        "{ things { alias: name n2: name count } }",
    ],
)
def test_the_plain_path_answers_as_the_ordinary_one(query: str) -> None:
    ordinary = _schema(plain=False).execute_sync(query)
    plain = _schema(plain=True).execute_sync(query)
    assert plain.data == ordinary.data
    assert [(e.message, e.path) for e in plain.errors or []] == [
        (e.message, e.path) for e in ordinary.errors or []
    ]
    assert ordinary.errors, "the bad values must make errors"


def test_plain_fields_skip_the_ordinary_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the point of it: if Strawberry stops marking basic resolvers, or starts handing
    over middleware, every field would silently take the slow path again."""
    taken = _ordinary_fields(monkeypatch)
    _schema(plain=True).execute_sync("{ things { name count note color amount at } }")
    # The list itself, and the four values the ordinary path must report as errors.
    assert sorted(taken) == ["color", "count", "count", "name", "things"]


@strawberry.type
class Invoice(relay.Node):
    id: relay.NodeID[int]
    number: str


@strawberry.type
class Receipt(relay.Node):
    """Finds its id its own way: the ordinary path must answer for it."""

    id: relay.NodeID[int]

    @classmethod
    def resolve_id(cls, root: Receipt, *, info: strawberry.Info) -> str:
        return f"r-{root.id}"


@strawberry.type
class NodeQuery:
    @strawberry.field
    def invoices(self) -> list[Invoice]:
        return [Invoice(id=n, number=f"INV-{n}") for n in (1, 22, 333)]

    @strawberry.field
    def receipts(self) -> list[Receipt]:
        return [Receipt(id=n) for n in (4, 5)]

    @strawberry.field
    def anything(self) -> list[relay.Node]:
        return [Invoice(id=7, number="INV-7"), Receipt(id=8)]


def test_node_ids_are_the_same_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    query = """{ invoices { id number } receipts { id }
      anything { id ... on Invoice { number } } }"""
    plain = strawberry.Schema(query=NodeQuery, execution_context_class=PlainLeafExecutionContext)
    ordinary = strawberry.Schema(query=NodeQuery)
    expected = ordinary.execute_sync(query)
    assert not expected.errors

    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    slow = StrawberryGraphQLCoreExecutionContext.execute_field
    taken: list[str] = []

    def counted(self: Any, parent_type: Any, source: Any, fields: Any, *rest: Any) -> Any:
        taken.append(f"{parent_type.name}.{fields[0].node.name.value}")
        return slow(self, parent_type, source, fields, *rest)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    assert plain.execute_sync(query).data == expected.data
    # Only the receipts' ids (their own resolve_id) went the ordinary way.
    assert sorted(t for t in taken if t.endswith(".id")) == ["Receipt.id"] * 3
    assert expected.data is not None
    assert expected.data["receipts"][0]["id"] == str(relay.GlobalID("Receipt", "r-4"))


# --- whole objects built from a plan (execute_fields) ------------------------------------------


@strawberry.type
class Tag:
    label: str


@strawberry.type
class Row:
    thing: Thing
    tags: list[Tag]
    maybe: Thing | None
    scores: list[int | None]


@strawberry.type
class Shelf:
    title: str
    rows: list[Row]
    first: Row | None


def _row(values: dict[str, Any], tags: Any = None, scores: Any = None) -> Row:
    thing = Thing.__new__(Thing)
    thing.__dict__.update(values)
    row = Row.__new__(Row)
    row.__dict__.update(
        thing=thing,
        tags=[Tag(label="a"), Tag(label="b")] if tags is None else tags,
        maybe=None,
        scores=[1, None, 3] if scores is None else scores,
    )
    return row


def _shelf(rows: list[Row]) -> Shelf:
    return Shelf(title="chai", rows=rows, first=rows[0] if rows else None)


SHELVES: dict[str, list[Row]] = {
    "good": [_row(GOOD), _row({**GOOD, "note": "x"})],
    "a bad leaf deep down": [_row(GOOD), _row({**GOOD, "count": "many"})],
    "null for a non-null object": [_row(GOOD), _row(GOOD, tags=[None])],
    "a string where a list goes": [_row(GOOD, scores="123")],
    "the wrong object": [_row(GOOD, tags=[GOOD])],
    "empty": [],
}


@strawberry.type
class ShelfQuery:
    @strawberry.field
    def shelf(self, kind: str) -> Shelf:
        return _shelf(SHELVES[kind])


SHELF_QUERY = """query($kind: String!, $skip: Boolean!) { shelf(kind: $kind) { __typename title
  rows { thing { name count note color amount at } tags { label } maybe { name } scores
         again: thing { n: name } }
  first { tags @skip(if: $skip) { label } thing { name } } } }"""


def _shelf_schema(plain: bool) -> strawberry.Schema:
    extra: dict[str, Any] = {"execution_context_class": PlainLeafExecutionContext} if plain else {}
    return strawberry.Schema(query=ShelfQuery, scalar_overrides={Decimal: DECIMAL}, **extra)


@pytest.mark.parametrize("kind", sorted(SHELVES))
@pytest.mark.parametrize("skip", [True, False])
def test_whole_objects_answer_as_the_ordinary_path(kind: str, skip: bool) -> None:
    variables = {"kind": kind, "skip": skip}
    ordinary = _shelf_schema(plain=False).execute_sync(SHELF_QUERY, variables)
    plain = _shelf_schema(plain=True).execute_sync(SHELF_QUERY, variables)
    assert plain.data == ordinary.data
    assert [(e.message, e.path) for e in plain.errors or []] == [
        (e.message, e.path) for e in ordinary.errors or []
    ]
    assert bool(ordinary.errors) == (kind not in ("good", "empty"))


def test_a_plain_selection_is_built_without_the_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the point of it: a clean nested selection is one plan, not a trip through the
    executor per field (if graphql-core renames execute_fields, this fails)."""
    taken = _ordinary_fields(monkeypatch)
    result = _shelf_schema(plain=True).execute_sync(SHELF_QUERY, {"kind": "good", "skip": False})
    assert not result.errors
    assert taken == ["shelf"]
