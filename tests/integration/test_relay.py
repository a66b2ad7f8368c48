"""Relay global object identification, full PageInfo, and one surface for the caller's data,
through the app over HTTP."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLObjectType

from gql_server.graphql.schema import create_schema
from gql_server.models import GenerationJob, Insight, User
from gql_server.settings import Settings
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code, global_id, row_id
from tests.factories import make_source, make_transactions, make_user

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Transaction { amount incomeSource { id } }
  ... on IncomeSource { name }
  ... on RecurringItem { merchant }
  ... on BufferEntry { amount }
  ... on Insight { title }
  ... on GenerationJob { usersRequested }
  ... on User { email } } }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
SOURCE = 'mutation { createIncomeSource(input: {name: "Acme"}) { id } }'
CREATE = """mutation($i: TransactionInput!) { createTransaction(input: $i) {
  id amount incomeSource { id } } }"""
UPDATE = """mutation($id: ID!, $i: TransactionPatch!) { updateTransaction(id: $id, input: $i) {
  id amount } }"""
DELETE = "mutation($id: ID!) { deleteTransaction(id: $id) }"
DECLARE = """mutation($i: RecurringItemInput!) { declareRecurringItem(input: $i) { id } }"""
DEPOSIT = """mutation($k: String!) { depositToBuffer(amount: "100.00", idempotencyKey: $k) {
  id } }"""
PAGE = """query($first: Int!, $after: String) { transactions(first: $first, after: $after) {
  edges { cursor node { id } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
ENTRIES = """query($first: Int!, $after: String) { buffer { entries(first: $first, after: $after) {
  edges { cursor }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def _raw_global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _income(api: Api, source_id: str | None = None, amount: str = "500.00") -> dict:
    values = {"occurredAt": "2026-03-01T10:00:00Z", "amount": amount, "direction": "INCOME"}
    if source_id is not None:
        values["incomeSourceId"] = source_id
    return _data(await api.post(CREATE, {"i": values}))


@BOTH_BACKENDS
async def test_node_answers_each_of_the_callers_own_objects(api: Api) -> None:
    payload = await api.register()
    me = await User.get(email="priya@example.in")
    source = _data(await api.post(SOURCE))["id"]
    transaction = await _income(api, source)
    item = _data(
        await api.post(
            DECLARE,
            {
                "i": {
                    "merchant": "Landlord",
                    "direction": "EXPENSE",
                    "amount": "18000.00",
                    "cadence": "MONTHLY",
                    "dayOfMonth": 1,
                }
            },
        )
    )["id"]
    entry = _data(await api.post(DEPOSIT, {"k": "first"}))["id"]
    insight = await Insight.create(
        user_id=me.id,
        kind="income_trend",
        severity="INFO",
        title="Steady",
        message="Your income is steady.",
        metrics={},
        importance=0.5,
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    expected = {
        payload["user"]["id"]: ("User", "email", "priya@example.in"),
        source: ("IncomeSource", "name", "Acme"),
        transaction["id"]: ("Transaction", "amount", "500.00"),
        item: ("RecurringItem", "merchant", "Landlord"),
        entry: ("BufferEntry", "amount", "100.00"),
        global_id("Insight", insight.id): ("Insight", "title", "Steady"),
    }

    for gid, (typename, field, value) in expected.items():
        node = _data(await api.post(NODE, {"id": gid}))
        assert (node["__typename"], node["id"], node[field]) == (typename, gid, value)
    assert row_id(transaction["id"]) > 0
    assert _data(await api.post(NODE, {"id": transaction["id"]}))["incomeSource"] == {"id": source}
    nodes = _data(await api.post(NODES, {"ids": list(reversed(expected))}))
    assert [n["id"] for n in nodes] == list(reversed(expected))


@BOTH_BACKENDS
async def test_node_answers_null_for_what_is_not_the_callers(api: Api) -> None:
    await api.register()
    mine = await _income(api)
    other = await make_user()
    theirs = (await make_transactions(other.id, 2))[0]
    their_source = await make_source(other.id)
    unseen = [
        global_id("Transaction", theirs.id),  # another user's
        global_id("IncomeSource", their_source.id),
        global_id("User", other.id),
        global_id("Transaction", 2_000_000_000),  # never existed
        global_id("Transaction", "abc"),
        global_id("Transaction", "-1"),
        global_id("Transaction", "9" * 30),
        global_id("Forecast", 1),  # a type that is not a Node
        global_id("Query", 1),
        global_id("NoSuchType", 1),
        str(row_id(mine["id"])),  # a bare number is not a global ID
        "not-an-id",
        "",
        _raw_global_id("no colon"),
        "%%%",
    ]

    for gid in unseen:
        assert _data(await api.post(NODE, {"id": gid})) is None, gid
    answers = _data(await api.post(NODES, {"ids": [*unseen, mine["id"]]}))
    assert answers[:-1] == [None] * len(unseen)
    assert answers[-1] == {"__typename": "Transaction", "id": mine["id"]}
    too_many = await api.post(NODES, {"ids": [mine["id"]] * 101})
    assert error_code(too_many) == "BAD_USER_INPUT"
    signed_out = await api.post(NODE, {"id": mine["id"]}, token="nonsense")
    assert error_code(signed_out) == "UNAUTHENTICATED"


async def test_generation_jobs_are_nodes_for_administrators_only(api: Api) -> None:
    job = await GenerationJob.create(
        users_requested=3, days=30, seed=1, patterns="stable", password_hash="x"
    )
    gid = global_id("GenerationJob", job.id)
    await api.register()
    assert _data(await api.post(NODE, {"id": gid})) is None
    assert _data(await api.post(NODES, {"ids": [gid]})) == [None]
    await api.register_admin()
    node = _data(await api.post(NODE, {"id": gid}))
    assert (node["__typename"], node["id"], node["usersRequested"]) == ("GenerationJob", gid, 3)


@BOTH_BACKENDS
async def test_mutations_take_global_ids_and_the_old_bare_numbers(api: Api) -> None:
    await api.register()
    source = _data(await api.post(SOURCE))["id"]
    created = await _income(api, source)
    assert created["incomeSource"] == {"id": source}
    by_global = _data(await api.post(UPDATE, {"id": created["id"], "i": {"amount": "1.50"}}))
    bare = str(row_id(created["id"]))
    by_number = _data(await api.post(UPDATE, {"id": bare, "i": {"amount": "2.50"}}))
    assert by_global == {"id": created["id"], "amount": "1.50"}
    assert by_number == {"id": created["id"], "amount": "2.50"}
    linked = await api.post(
        UPDATE, {"id": created["id"], "i": {"incomeSourceId": str(row_id(source))}}
    )
    assert "errors" not in linked, linked

    # A global ID of another type names nothing this argument could mean: NOT_FOUND.
    wrong_type = await api.post(UPDATE, {"id": source, "i": {"amount": "3.00"}})
    assert error_code(wrong_type) == "NOT_FOUND"
    wrong_source = await api.post(
        UPDATE, {"id": created["id"], "i": {"incomeSourceId": created["id"]}}
    )
    assert error_code(wrong_source) == "NOT_FOUND"
    assert _data(await api.post(DELETE, {"id": created["id"]})) is True
    assert _data(await api.post(NODE, {"id": created["id"]})) is None


@BOTH_BACKENDS
async def test_page_info_is_complete_on_forward_pages(api: Api) -> None:
    await api.register()
    me = await User.get(email="priya@example.in")
    await make_transactions(me.id, 5)

    first = _data(await api.post(PAGE, {"first": 2}))
    second = _data(await api.post(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))
    last = _data(await api.post(PAGE, {"first": 2, "after": second["pageInfo"]["endCursor"]}))
    past = _data(await api.post(PAGE, {"first": 2, "after": last["pageInfo"]["endCursor"]}))

    for page in (first, second, last):
        info, edges = page["pageInfo"], page["edges"]
        assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
    flags = [
        (p["pageInfo"]["hasPreviousPage"], p["pageInfo"]["hasNextPage"])
        for p in (first, second, last)
    ]
    assert flags == [(False, True), (True, True), (True, False)]
    assert len(last["edges"]) == 1
    assert past["edges"] == []
    assert (past["pageInfo"]["startCursor"], past["pageInfo"]["endCursor"]) == (None, None)

    for key in ("a", "b", "c"):
        _data(await api.post(DEPOSIT, {"k": key}))
    entries = _data(await api.post(ENTRIES, {"first": 2}))["entries"]
    assert entries["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": entries["edges"][0]["cursor"],
        "endCursor": entries["edges"][1]["cursor"],
    }
    after = entries["pageInfo"]["endCursor"]
    rest = _data(await api.post(ENTRIES, {"first": 2, "after": after}))["entries"]
    assert (rest["pageInfo"]["hasPreviousPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


def test_me_and_the_root_share_every_field_of_the_callers_data() -> None:
    schema = create_schema(Settings())._schema
    query, user = schema.type_map["Query"], schema.type_map["User"]
    assert isinstance(query, GraphQLObjectType)
    assert isinstance(user, GraphQLObjectType)
    shared = {
        "transactions",
        "cashflow",
        "incomeSources",
        "recurringItems",
        "forecast",
        "balanceForecast",
        "forecasts",
        "features",
        "buffer",
        "smoothingPlan",
        "insights",
    }
    for name in shared:
        root, on_me = query.fields[name], user.fields[name]
        assert str(root.type) == str(on_me.type), name
        assert {a: str(t.type) for a, t in root.args.items()} == {
            a: str(t.type) for a, t in on_me.args.items()
        }, name
        assert root.description == on_me.description, name
    # Only `me`'s profile and the root's own lookups differ.
    assert set(user.fields) - shared == {
        "id",
        "email",
        "fullName",
        "city",
        "occupation",
        "incomePattern",
        "currency",
        "timezone",
        "role",
        "createdAt",
    }


@BOTH_BACKENDS
async def test_me_has_recurring_items_and_cashflow(api: Api) -> None:
    await api.register()
    await _income(api)
    _data(
        await api.post(
            DECLARE,
            {
                "i": {
                    "merchant": "Landlord",
                    "direction": "EXPENSE",
                    "amount": "18000.00",
                    "cadence": "MONTHLY",
                    "dayOfMonth": 1,
                }
            },
        )
    )
    fields = """cashflow(interval: MONTH, from: "2026-03-01", to: "2026-03-31") {
      start income expenses transactionCount }
      recurringItems { id merchant amount }"""

    on_me = _data(await api.post(f"query {{ me {{ {fields} }} }}"))
    at_root = (await api.post(f"query {{ {fields} }}"))["data"]

    assert on_me == at_root
    assert on_me["cashflow"] == [
        {"start": "2026-03-01", "income": "500.00", "expenses": "0.00", "transactionCount": 1}
    ]
    assert [(i["merchant"], i["amount"]) for i in on_me["recurringItems"]] == [
        ("Landlord", "18000.00")
    ]


async def test_a_user_object_answers_only_for_the_caller(api: Api) -> None:
    other = await api.register(email="other@example.in", full_name="Other Person")
    await api.register()
    # Signing in as someone else while sending one's own token: the User handed back is not
    # the caller, so its fields refuse rather than show the caller's data under its name.
    body = await api.post(
        """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
          user { email transactions { totalCount } } } }""",
        {"e": "other@example.in", "p": STRONG_PASSWORD},
    )
    assert error_code(body) == "FORBIDDEN"
    assert other["user"]["id"] != (await api.post("{ me { id } }"))["data"]["me"]["id"]
