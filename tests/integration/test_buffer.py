"""The buffer through GraphQL: exact, atomic, idempotent, never below zero, and its plan."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from gql_server.models import Buffer, BufferEntry, User
from tests.conftest import BOTH_BACKENDS, Api, error_code
from tests.factories import give_generated_history

DEPOSIT = """mutation($a: Decimal!, $k: String!, $n: String) {
  depositToBuffer(amount: $a, idempotencyKey: $k, note: $n) {
    id kind amount balanceAfter note } }"""
WITHDRAW = """mutation($a: Decimal!, $k: String!) {
  withdrawFromBuffer(amount: $a, idempotencyKey: $k) { id kind amount balanceAfter } }"""
BUFFER = """{ buffer { balance target targetMonths totalDeposited totalWithdrawn monthlyPaycheck
  paycheckOverride runwayMonths riskScore entries(first: 10) { totalCount
  edges { node { kind amount balanceAfter } } pageInfo { hasNextPage endCursor } } } }"""


async def _buffer_rows() -> tuple[Decimal, list[BufferEntry]]:
    buffer = await Buffer.get(user__email="priya@example.in")
    return buffer.balance, await BufferEntry.filter(buffer_id=buffer.id).order_by("id")


@BOTH_BACKENDS
async def test_deposits_and_withdrawals_are_exact_and_leave_a_ledger(api: Api) -> None:
    await api.register()
    first = await api.post(DEPOSIT, {"a": "10000.10", "k": "d-1", "n": "good month"})
    second = await api.post(WITHDRAW, {"a": "2500.05", "k": "w-1"})

    assert first["data"]["depositToBuffer"]["balanceAfter"] == "10000.10"
    assert second["data"]["withdrawFromBuffer"]["balanceAfter"] == "7500.05"
    buffer = (await api.post(BUFFER))["data"]["buffer"]
    assert (buffer["balance"], buffer["totalDeposited"], buffer["totalWithdrawn"]) == (
        "7500.05",
        "10000.10",
        "2500.05",
    )
    assert buffer["entries"]["totalCount"] == 2
    assert [e["node"]["kind"] for e in buffer["entries"]["edges"]] == ["WITHDRAWAL", "DEPOSIT"]


@BOTH_BACKENDS
async def test_a_retried_request_is_applied_once(api: Api) -> None:
    await api.register()
    one = await api.post(DEPOSIT, {"a": "500.00", "k": "same-key"})
    two = await api.post(DEPOSIT, {"a": "500.00", "k": "same-key"})

    assert one["data"]["depositToBuffer"]["id"] == two["data"]["depositToBuffer"]["id"]
    balance, entries = await _buffer_rows()
    assert (balance, len(entries)) == (Decimal("500.00"), 1)


async def test_a_key_reused_with_other_arguments_is_a_conflict(api: Api) -> None:
    await api.register()
    await api.post(DEPOSIT, {"a": "500.00", "k": "k1"})
    other_amount = await api.post(DEPOSIT, {"a": "600.00", "k": "k1"})
    other_kind = await api.post(WITHDRAW, {"a": "500.00", "k": "k1"})

    assert error_code(other_amount) == error_code(other_kind) == "CONFLICT"
    balance, entries = await _buffer_rows()
    assert (balance, len(entries)) == (Decimal("500.00"), 1)


@pytest.mark.parametrize(
    ("mutation", "variables", "field"),
    [
        (DEPOSIT, {"a": "0", "k": "a"}, "amount"),
        (DEPOSIT, {"a": "-1.00", "k": "a"}, "amount"),
        (DEPOSIT, {"a": "1.001", "k": "a"}, "amount"),
        (DEPOSIT, {"a": "1e400", "k": "a"}, "amount"),
        (DEPOSIT, {"a": "Infinity", "k": "a"}, "amount"),
        (DEPOSIT, {"a": "100000000000", "k": "a"}, "amount"),
        (DEPOSIT, {"a": "1.00", "k": "  "}, "idempotencyKey"),
        (DEPOSIT, {"a": "1.00", "k": "k" * 101}, "idempotencyKey"),
        (DEPOSIT, {"a": "1.00", "k": "a", "n": "n" * 201}, "note"),
        (WITHDRAW, {"a": "100.01", "k": "a"}, "amount"),
    ],
)
async def test_bad_amounts_keys_and_overdrafts_change_nothing(
    api: Api, mutation: str, variables: dict, field: str
) -> None:
    await api.register()
    await api.post(DEPOSIT, {"a": "100.00", "k": "seed"})

    body = await api.post(mutation, variables)

    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    balance, entries = await _buffer_rows()
    assert (balance, len(entries)) == (Decimal("100.00"), 1)


async def test_missing_idempotency_key_is_refused(api: Api) -> None:
    await api.register()
    body = await api.post('mutation { depositToBuffer(amount: "1.00") { id } }')
    assert error_code(body) == "BAD_USER_INPUT"


async def test_fifty_concurrent_withdrawals_never_overdraw(api: Api) -> None:
    await api.register()
    await api.post(DEPOSIT, {"a": "1000.00", "k": "seed"})

    bodies = await asyncio.gather(
        *(api.post(WITHDRAW, {"a": "30.00", "k": f"w-{i}"}) for i in range(50))
    )

    succeeded = [b for b in bodies if "errors" not in b]
    refused = [b for b in bodies if "errors" in b]
    assert len(succeeded) == 33
    assert {error_code(b) for b in refused} == {"BAD_USER_INPUT"}
    balance, entries = await _buffer_rows()
    assert balance == Decimal("10.00")
    deposits = sum(e.amount for e in entries if e.kind == "deposit")
    withdrawals = sum(e.amount for e in entries if e.kind == "withdrawal")
    assert deposits - withdrawals == balance
    assert sorted(e.balance_after for e in entries[1:]) == [
        Decimal("1000.00") - 30 * i for i in range(33, 0, -1)
    ]


async def test_the_same_key_sent_fifty_times_at_once_is_applied_once(api: Api) -> None:
    await api.register()
    bodies = await asyncio.gather(
        *(api.post(DEPOSIT, {"a": "75.00", "k": "burst"}) for _ in range(50))
    )
    assert {b["data"]["depositToBuffer"]["id"] for b in bodies} == {
        bodies[0]["data"]["depositToBuffer"]["id"]
    }
    balance, entries = await _buffer_rows()
    assert (balance, len(entries)) == (Decimal("75.00"), 1)


async def test_entries_page_newest_first(api: Api) -> None:
    await api.register()
    for i in range(25):
        await api.post(DEPOSIT, {"a": f"{i + 1}.00", "k": f"k{i}"})
    query = """query($after: String) { buffer { entries(first: 10, after: $after) {
      edges { node { amount } } pageInfo { hasNextPage endCursor } } } }"""
    amounts, after = [], None
    while True:
        page = (await api.post(query, {"after": after}))["data"]["buffer"]["entries"]
        amounts += [e["node"]["amount"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert amounts == [f"{i}.00" for i in range(25, 0, -1)]


async def test_settings_override_the_plan_and_null_restores_it(api: Api) -> None:
    await api.register()
    await give_generated_history((await User.get(email="priya@example.in")).id, 12, "volatile")
    settings = """mutation($i: BufferSettingsInput!) { updateBufferSettings(input: $i) {
      targetMonths monthlyPaycheck paycheckOverride target } }"""
    recommended = (await api.post(BUFFER))["data"]["buffer"]

    changed = (
        await api.post(settings, {"i": {"targetMonths": 9, "paycheckOverride": "42000.00"}})
    )["data"]["updateBufferSettings"]
    restored = (await api.post(settings, {"i": {"targetMonths": None, "paycheckOverride": None}}))[
        "data"
    ]["updateBufferSettings"]

    assert (changed["targetMonths"], changed["monthlyPaycheck"]) == (9.0, "42000.00")
    assert Decimal(changed["target"]) != Decimal(recommended["target"])
    assert restored["monthlyPaycheck"] == recommended["monthlyPaycheck"]
    assert restored["paycheckOverride"] is None
    for bad in ({"targetMonths": 0.1}, {"targetMonths": 40}, {"paycheckOverride": "-5"}):
        assert error_code(await api.post(settings, {"i": bad})) == "BAD_USER_INPUT"


@BOTH_BACKENDS
async def test_the_plan_replays_history_and_smooths_a_volatile_income(api: Api) -> None:
    await api.register()
    await give_generated_history((await User.get(email="priya@example.in")).id, 12, "volatile")

    body = await api.post("""{ smoothingPlan { monthlyPaycheck target thisMonthIncome
      recommendedDeposit recommendedWithdrawal monthsToTarget rawIncomeCv smoothedIncomeCv
      history { month income paycheckPaid deposit withdrawal balanceAfter } } }""")

    plan = body["data"]["smoothingPlan"]
    assert len(plan["history"]) >= 20
    assert plan["smoothedIncomeCv"] < plan["rawIncomeCv"]
    for month in plan["history"]:
        assert Decimal(month["balanceAfter"]) >= 0
        assert Decimal(month["income"]) == (
            Decimal(month["paycheckPaid"])
            + Decimal(month["deposit"])
            - Decimal(month["withdrawal"])
        )
    assert Decimal(plan["recommendedDeposit"]) * Decimal(plan["recommendedWithdrawal"]) == 0


async def test_a_new_user_has_an_empty_buffer_and_a_plan(api: Api) -> None:
    await api.register()
    body = await api.post(
        "{ buffer { balance riskScore } smoothingPlan { monthlyPaycheck "
        "history { month } } me { buffer { balance } } }"
    )
    assert "errors" not in body, body
    assert body["data"]["buffer"]["balance"] == "0.00"
    assert body["data"]["smoothingPlan"]["history"] == []
