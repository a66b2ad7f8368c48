"""Cash-flow summaries and income sources through GraphQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gql_server.models import IncomeSource, Transaction
from tests.conftest import BOTH_BACKENDS, Api, error_code
from tests.factories import make_source, make_user

CASHFLOW = """query($i: Interval, $from: Date, $to: Date) {
  cashflow(interval: $i, from: $from, to: $to) {
    start end income expenses net transactionCount } }"""
CREATE = """mutation($i: TransactionInput!) { createTransaction(input: $i) {
  id incomeSource { id name } } }"""
SOURCE = """mutation($i: IncomeSourceInput!) { createIncomeSource(input: $i) {
  id name kind frequency expectedMonthlyAmount } }"""


async def _add(api: Api, when: str, amount: str, direction: str = "EXPENSE", **extra) -> dict:
    body = await api.post(
        CREATE, {"i": {"occurredAt": when, "amount": amount, "direction": direction, **extra}}
    )
    assert "errors" not in body, body
    return body["data"]["createTransaction"]


@BOTH_BACKENDS
async def test_monthly_cashflow_is_exact_and_uses_the_users_time_zone(api: Api) -> None:
    await api.register()
    await _add(api, "2026-01-05T10:00:00Z", "50000.10", "INCOME")
    await _add(api, "2026-01-20T10:00:00Z", "0.10")
    await _add(api, "2026-01-20T11:00:00Z", "0.20")
    # 20:00 UTC on 31 January is 01:30 on 1 February in India.
    await _add(api, "2026-01-31T20:00:00Z", "1200.00")
    await _add(api, "2026-03-02T08:00:00Z", "999.99", "INCOME")

    body = await api.post(CASHFLOW, {"i": "MONTH", "from": "2026-01-01", "to": "2026-03-31"})

    assert body["data"]["cashflow"] == [
        {
            "start": "2026-01-01",
            "end": "2026-01-31",
            "income": "50000.10",
            "expenses": "0.30",
            "net": "49999.80",
            "transactionCount": 3,
        },
        {
            "start": "2026-02-01",
            "end": "2026-02-28",
            "income": "0.00",
            "expenses": "1200.00",
            "net": "-1200.00",
            "transactionCount": 1,
        },
        {
            "start": "2026-03-01",
            "end": "2026-03-31",
            "income": "999.99",
            "expenses": "0.00",
            "net": "999.99",
            "transactionCount": 1,
        },
    ]


@BOTH_BACKENDS
async def test_weekly_and_daily_periods_start_on_monday_and_at_midnight(api: Api) -> None:
    await api.register()
    await _add(api, "2026-03-01T19:00:00Z", "10.00")  # Monday 2 March, 00:30 in India
    await _add(api, "2026-03-08T12:00:00Z", "20.00")  # Sunday 8 March

    weeks = await api.post(CASHFLOW, {"i": "WEEK", "from": "2026-03-02", "to": "2026-03-15"})
    days = await api.post(CASHFLOW, {"i": "DAY", "from": "2026-03-01", "to": "2026-03-02"})

    assert [(w["start"], w["end"], w["expenses"]) for w in weeks["data"]["cashflow"]] == [
        ("2026-03-02", "2026-03-08", "30.00"),
        ("2026-03-09", "2026-03-15", "0.00"),
    ]
    assert [(d["start"], d["expenses"]) for d in days["data"]["cashflow"]] == [
        ("2026-03-01", "0.00"),
        ("2026-03-02", "10.00"),
    ]


async def test_cashflow_counts_only_the_callers_money(api: Api) -> None:
    await api.register()
    other = await make_user()
    await Transaction.create(
        user_id=other.id,
        occurred_at="2026-01-10T10:00:00Z",
        amount=Decimal("999"),
        direction="income",
        category="Salary",
    )
    body = await api.post(CASHFLOW, {"i": "MONTH", "from": "2026-01-01", "to": "2026-01-31"})
    assert body["data"]["cashflow"][0]["transactionCount"] == 0


async def test_cashflow_defaults_to_the_last_twelve_months(api: Api) -> None:
    await api.register()
    periods = (await api.post("{ cashflow { start } }"))["data"]["cashflow"]
    assert len(periods) == 12
    assert periods[-1]["start"].endswith("-01")


@pytest.mark.parametrize(
    "variables",
    [
        {"i": "MONTH", "from": "2026-03-01", "to": "2026-01-01"},
        {"i": "DAY", "from": "2020-01-01", "to": "2026-01-01"},
    ],
)
async def test_bad_cashflow_ranges_are_bad_user_input(api: Api, variables: dict) -> None:
    await api.register()
    assert error_code(await api.post(CASHFLOW, variables)) == "BAD_USER_INPUT"


@BOTH_BACKENDS
async def test_income_sources_lifecycle_keeps_transactions(api: Api) -> None:
    await api.register()
    created = await api.post(
        SOURCE,
        {
            "i": {
                "name": " Upwork ",
                "kind": "PLATFORM",
                "frequency": "WEEKLY",
                "expectedMonthlyAmount": "45000.00",
            }
        },
    )
    source = created["data"]["createIncomeSource"]
    assert source == {
        "id": source["id"],
        "name": "Upwork",
        "kind": "PLATFORM",
        "frequency": "WEEKLY",
        "expectedMonthlyAmount": "45000.00",
    }
    paid = await _add(
        api, "2026-02-01T10:00:00Z", "12000.00", "INCOME", incomeSourceId=source["id"]
    )
    assert paid["incomeSource"]["name"] == "Upwork"

    patched = await api.post(
        """mutation($id: ID!) { updateIncomeSource(id: $id, input: {name: "Upwork Inc",
           expectedMonthlyAmount: null}) { name expectedMonthlyAmount kind } }""",
        {"id": source["id"]},
    )
    assert patched["data"]["updateIncomeSource"] == {
        "name": "Upwork Inc",
        "expectedMonthlyAmount": None,
        "kind": "PLATFORM",
    }

    deleted = await api.post(
        "mutation($id: ID!) { deleteIncomeSource(id: $id) }", {"id": source["id"]}
    )
    assert deleted["data"]["deleteIncomeSource"] is True
    me = await api.post(
        "{ me { incomeSources { id } transactions { totalCount edges { node {"
        " incomeSource { id } } } } } }"
    )
    assert me["data"]["me"]["incomeSources"] == []
    assert me["data"]["me"]["transactions"]["totalCount"] == 1
    assert me["data"]["me"]["transactions"]["edges"][0]["node"]["incomeSource"] is None


async def test_another_users_income_source_cannot_be_used_or_changed(api: Api) -> None:
    await api.register()
    theirs = await make_source((await make_user()).id, "Their client")

    used = await api.post(
        CREATE,
        {
            "i": {
                "occurredAt": "2026-02-01T10:00:00Z",
                "amount": "1.00",
                "direction": "INCOME",
                "incomeSourceId": str(theirs.id),
            }
        },
    )
    renamed = await api.post(
        'mutation($id: ID!) { updateIncomeSource(id: $id, input: {name: "Mine"}) { id } }',
        {"id": str(theirs.id)},
    )
    deleted = await api.post(
        "mutation($id: ID!) { deleteIncomeSource(id: $id) }", {"id": str(theirs.id)}
    )

    assert error_code(used) == error_code(renamed) == error_code(deleted) == "NOT_FOUND"
    assert (await IncomeSource.get(id=theirs.id)).name == "Their client"
    assert await Transaction.all().count() == 0
    assert (await api.post("{ incomeSources { id } }"))["data"]["incomeSources"] == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"name": "X", "expectedMonthlyAmount": "-1"}, "expectedMonthlyAmount"),
    ],
)
async def test_invalid_income_sources_are_refused(api: Api, fields: dict, field: str) -> None:
    await api.register()
    body = await api.post(SOURCE, {"i": fields})
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert await IncomeSource.all().count() == 0
