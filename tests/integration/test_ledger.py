"""Transactions through GraphQL: create, read, page, filter, change, delete, and who may."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError

from gql_server.models import Transaction, User
from tests.conftest import BOTH_BACKENDS, Api, error_code, row_id, sql_statements
from tests.factories import (
    assert_balances_exact,
    make_source,
    make_transactions,
    make_user,
)

CREATE = """mutation($i: TransactionInput!) { createTransaction(input: $i) {
  id occurredAt amount direction category merchant balanceAfter incomeSource { id name } } }"""
UPDATE = """mutation($id: ID!, $i: TransactionPatch!) { updateTransaction(id: $id, input: $i) {
  id amount direction balanceAfter category } }"""
PAGE = """query($first: Int, $after: String, $f: TransactionFilter) {
  transactions(first: $first, after: $after, filter: $f) {
    edges { cursor node { id occurredAt amount direction category merchant balanceAfter } }
    pageInfo { hasNextPage endCursor } totalCount } }"""


async def _me(api: Api) -> User:
    return await User.get(email="priya@example.in")


async def _create(api: Api, **fields: object) -> dict:
    data = {
        "occurredAt": "2026-03-10T10:00:00+05:30",
        "amount": "500.00",
        "direction": "EXPENSE",
        **fields,
    }
    return await api.post(CREATE, {"i": data})


@BOTH_BACKENDS
async def test_created_transaction_is_exact_categorised_and_balanced(api: Api) -> None:
    await api.register()
    income = await _create(
        api,
        amount="4819.41",
        direction="INCOME",
        merchant="Upwork Escrow",
        occurredAt="2026-03-01T09:00:00",
    )
    expense = await _create(api, amount="349.50", merchant="Zomato")

    row = expense["data"]["createTransaction"]
    assert income["data"]["createTransaction"]["category"] == "Platform payout"
    assert income["data"]["createTransaction"]["occurredAt"] == "2026-03-01T09:00:00+05:30"
    assert (row["amount"], row["category"], row["balanceAfter"]) == (
        "349.50",
        "Food delivery",
        "4469.91",
    )


@BOTH_BACKENDS
async def test_back_dated_insert_update_and_delete_keep_every_balance_exact(api: Api) -> None:
    await api.register()
    user = await _me(api)
    rows = await make_transactions(user.id, 30)
    middle = rows[15]

    await _create(api, amount="1000.10", direction="INCOME", occurredAt="2026-01-02T00:00:00Z")
    await api.post(UPDATE, {"id": str(middle.id), "i": {"amount": "77.77", "direction": "INCOME"}})
    await api.post(UPDATE, {"id": str(rows[25].id), "i": {"occurredAt": "2025-12-31T10:00:00Z"}})
    deleted = await api.post(
        "mutation($id: ID!) { deleteTransaction(id: $id) }", {"id": str(rows[3].id)}
    )

    assert deleted["data"]["deleteTransaction"] is True
    await assert_balances_exact(user.id)
    latest = (await api.post(PAGE, {"first": 1}))["data"]["transactions"]["edges"][0]["node"]
    total = sum(
        (r.amount if r.direction == "income" else -r.amount)
        for r in await Transaction.filter(user_id=user.id)
    )
    assert Decimal(latest["balanceAfter"]) == total


@BOTH_BACKENDS
async def test_pages_are_newest_first_complete_and_stable_under_inserts(api: Api) -> None:
    await api.register()
    user = await _me(api)
    await make_transactions(user.id, 45)

    first = (await api.post(PAGE, {"first": 20}))["data"]["transactions"]
    # A newer transaction arrives while the client is paging.
    await _create(api, occurredAt="2026-06-01T10:00:00Z")
    second = await api.post(PAGE, {"first": 20, "after": first["pageInfo"]["endCursor"]})
    second = second["data"]["transactions"]
    third = await api.post(PAGE, {"first": 20, "after": second["pageInfo"]["endCursor"]})
    third = third["data"]["transactions"]

    ids = [e["node"]["id"] for page in (first, second, third) for e in page["edges"]]
    cutoff = datetime(2026, 5, 1, tzinfo=UTC)
    original = await Transaction.filter(user_id=user.id, occurred_at__lt=cutoff).order_by(
        "-occurred_at", "-id"
    )
    assert [row_id(i) for i in ids] == [r.id for r in original]
    assert (first["pageInfo"]["hasNextPage"], third["pageInfo"]["hasNextPage"]) == (True, False)
    assert first["totalCount"] == 45
    assert third["totalCount"] == 46


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 101}, "first"),
        ({"first": 0}, "first"),
        ({"after": "bm90LWEtY3Vyc29y"}, "after"),
        ({"after": "%%%"}, "after"),
    ],
)
async def test_bad_paging_arguments_are_bad_user_input(api: Api, variables, field) -> None:
    await api.register()
    body = await api.post(PAGE, variables)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field


@BOTH_BACKENDS
async def test_filters_narrow_the_list_and_the_count(api: Api) -> None:
    await api.register()
    user = await _me(api)
    rows = await make_transactions(user.id, 40)

    async def count(f: dict) -> int:
        body = await api.post(PAGE, {"first": 100, "f": f})
        assert "errors" not in body, body
        page = body["data"]["transactions"]
        # The page's rows and its count are two queries (on PostgreSQL the rows' is raw SQL):
        # they must agree.
        assert len(page["edges"]) == page["totalCount"], f
        return page["totalCount"]

    def expected(pred) -> int:
        return sum(1 for r in rows if pred(r))

    assert await count({"direction": "INCOME"}) == expected(lambda r: r.direction == "income")
    assert await count({"merchant": "basket"}) == expected(lambda r: r.merchant == "BigBasket")
    assert await count({"category": "groceries"}) == expected(lambda r: r.category == "Groceries")
    assert await count({"minAmount": "300", "maxAmount": "600.50"}) == expected(
        lambda r: Decimal("300") <= r.amount <= Decimal("600.50")
    )
    # Local dates: 2026-01-02 in India runs from 2026-01-01T18:30Z to 2026-01-02T18:30Z.
    assert await count({"from": "2026-01-02", "to": "2026-01-02"}) == expected(
        lambda r: "2026-01-01T18:30" <= r.occurred_at.isoformat() < "2026-01-02T18:30"
    )
    assert error_code(await api.post(PAGE, {"f": {"from": "2026-02-01", "to": "2026-01-01"}})) == (
        "BAD_USER_INPUT"
    )


@BOTH_BACKENDS
async def test_a_merchant_filter_takes_wildcards_and_case_literally(api: Api) -> None:
    await api.register()
    for merchant in ("100% Pure", "A_B Traders", "AxB Traders", "Back\\slash", "zomato"):
        assert "errors" not in await _create(api, merchant=merchant)

    async def merchants(f: dict, after: str | None = None) -> list[str]:
        body = await api.post(PAGE, {"first": 100, "f": f, "after": after})
        assert "errors" not in body, body
        page = body["data"]["transactions"]
        assert len(page["edges"]) == page["totalCount"] or after, f
        return sorted(edge["node"]["merchant"] for edge in page["edges"])

    assert await merchants({"merchant": "%"}) == ["100% Pure"]
    assert await merchants({"merchant": "_"}) == ["A_B Traders"]
    assert await merchants({"merchant": "\\"}) == ["Back\\slash"]
    assert await merchants({"merchant": "ZOMATO"}) == ["zomato"]
    assert await merchants({"merchant": "b traders"}) == ["A_B Traders", "AxB Traders"]


@BOTH_BACKENDS
async def test_another_users_transactions_are_invisible_and_untouchable(api: Api) -> None:
    await api.register()
    other = await make_user()
    theirs = (await make_transactions(other.id, 3))[0]
    before = await Transaction.get(id=theirs.id)

    read = await api.post("query($id: ID!) { transaction(id: $id) { id } }", {"id": str(theirs.id)})
    update = await api.post(UPDATE, {"id": str(theirs.id), "i": {"amount": "1.00"}})
    delete = await api.post(
        "mutation($id: ID!) { deleteTransaction(id: $id) }", {"id": str(theirs.id)}
    )

    assert read["data"]["transaction"] is None
    assert error_code(update) == error_code(delete) == "NOT_FOUND"
    after = await Transaction.get(id=theirs.id)
    assert (after.amount, after.balance_after) == (before.amount, before.balance_after)
    assert (await api.post(PAGE, {}))["data"]["transactions"]["totalCount"] == 0
    missing = await api.post('query { transaction(id: "abc") { id } }')
    assert missing["data"]["transaction"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "100000000.01"}, "amount"),
        ({"occurredAt": "2031-01-01T00:00:00Z"}, "occurredAt"),
        ({"occurredAt": "1999-12-31T00:00:00Z"}, "occurredAt"),
        ({"merchant": "m" * 121}, "merchant"),
        ({"description": "d" * 501}, "description"),
        ({"category": "c" * 41}, "category"),
        ({"incomeSourceId": "1", "direction": "EXPENSE"}, "incomeSourceId"),
    ],
)
async def test_invalid_transactions_are_refused_and_nothing_is_stored(
    api: Api, fields: dict, field: str
) -> None:
    await api.register()
    body = await _create(api, **fields)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert await Transaction.all().count() == 0


async def test_amount_that_is_not_a_number_is_bad_user_input(api: Api) -> None:
    await api.register()
    assert error_code(await _create(api, amount="twelve")) == "BAD_USER_INPUT"


async def test_a_rejected_update_changes_nothing(api: Api) -> None:
    await api.register()
    created = (await _create(api, amount="100.00"))["data"]["createTransaction"]
    body = await api.post(UPDATE, {"id": created["id"], "i": {"amount": "0", "merchant": "New"}})
    assert error_code(body) == "BAD_USER_INPUT"
    row = await Transaction.get(id=row_id(created["id"]))
    assert (row.amount, row.merchant) == (Decimal("100.00"), "")


async def test_explicit_category_wins_and_free_text_is_tidied(api: Api) -> None:
    await api.register()
    known = await _create(api, merchant="Zomato", category="  dining OUT ")
    free = await _create(api, merchant="Zomato", category="team   lunch")
    assert known["data"]["createTransaction"]["category"] == "Dining out"
    assert free["data"]["createTransaction"]["category"] == "Team lunch"


async def test_a_page_of_100_with_income_sources_costs_a_bounded_number_of_queries(
    api: Api,
) -> None:
    await api.register()
    user = await _me(api)
    sources = [await make_source(user.id, f"Client {i}") for i in range(5)]
    await make_transactions(user.id, 150, source_ids=[s.id for s in sources])
    query = "{ transactions(first: 100) { edges { node { id incomeSource { id name } } } } }"

    with sql_statements() as statements:
        body = await api.post(query)

    nodes = [e["node"] for e in body["data"]["transactions"]["edges"]]
    assert len(nodes) == 100
    assert {n["incomeSource"]["name"] for n in nodes if n["incomeSource"]} == {
        s.name for s in sources
    }
    # The caller, the page, and one batch for all the income sources.
    assert 2 <= len(statements) <= 3, [s[:80] for s in statements]


@BOTH_BACKENDS
async def test_transactions_need_an_existing_user_and_go_with_their_user(api: Api) -> None:
    await api.register()
    gone = await make_user()
    await make_transactions(gone.id, 5)
    with pytest.raises(IntegrityError):
        await Transaction.create(
            user_id=999_999,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            amount=Decimal("1.00"),
            direction="expense",
            category="Other",
        )

    await gone.delete()

    assert await Transaction.filter(user_id=gone.id).count() == 0


@pytest.mark.parametrize("bad_id", ["99999999999999999999", "-3", "0", "1e3", "abc"])
async def test_ids_that_cannot_exist_read_as_not_found(api: Api, bad_id: str) -> None:
    await api.register()
    read = await api.post("query($id: ID!) { transaction(id: $id) { id } }", {"id": bad_id})
    update = await api.post(
        'mutation($id: ID!) { updateIncomeSource(id: $id, input: {name: "X"}) { id } }',
        {"id": bad_id},
    )
    deleted = await api.post("mutation($id: ID!) { deleteTransaction(id: $id) }", {"id": bad_id})
    assert read["data"]["transaction"] is None
    assert error_code(update) == error_code(deleted) == "NOT_FOUND"


async def test_an_income_source_id_beyond_the_column_is_not_found(api: Api) -> None:
    await api.register()
    body = await api.post(
        'mutation { updateIncomeSource(id: "3000000000", input: {name: "X"}) { id } }'
    )
    assert error_code(body) == "NOT_FOUND"
