"""Statements in, through the API as an app uploads them (the GraphQL multipart request spec):
exactly once, atomic, reconciled, and every bad file refused with nothing written."""

from __future__ import annotations

import json
from decimal import Decimal

from gql_server.models import StatementImport, Transaction, User
from tests.conftest import BOTH_BACKENDS, Api, error_code
from tests.factories import assert_balances_exact

IMPORT = """mutation($file: Upload!, $format: StatementFormat, $dry: Boolean) {
  importStatement(file: $file, format: $format, dryRun: $dry) {
    id format fileName rowsRead added duplicates linked skipped dryRun firstDate lastDate
    statementClosingBalance ledgerClosingBalance reconciled openingBalanceSet
    problems { row message skipped } } }"""
IMPORTS = "{ statementImports { id fileName added duplicates reconciled } }"
ROWS = """{ transactions(first: 50) { edges { node {
  occurredAt amount direction category merchant description balanceAfter mode counterpartyVpa
  reference importId } } } }"""
CREATE = """mutation($i: TransactionInput!) { createTransaction(input: $i) { id } }"""

PREAMBLE = (
    "HDFC BANK Ltd.,,,,,,\n"
    "Account No :,XXXXXXXX1234,,,,,\n"
    "Statement From :,01/03/26,To :,31/03/26,,,\n"
    ",,,,,,\n"
    "Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
)
MARCH = [
    "01/03/26,NEFT CR-CITI0000001-ACME TECH PVT LTD-CITIN26031234567,CITIN26031234567,"
    '01/03/26,,"45,000.00","57,000.00"',
    "03/03/26,UPI-SWIGGY-SWIGGY@YBL-YESB0YBLUPI-606212345678-PAYMENT FROM PHONE,"
    '0000606212345678,03/03/26,349.00,,"56,651.00"',
    '05/03/26,POS 416021XXXXXX1234 DMRC METRO CARD,000000000000,05/03/26,40.00,,"56,611.00"',
    '05/03/26,POS 416021XXXXXX1234 DMRC METRO CARD,000000000000,05/03/26,40.00,,"56,571.00"',
]
LATER = [
    "08/03/26,UPI-RAVI KUMAR-ravi.k@okaxis-UTIB0000123-606712345679-RENT SHARE,"
    '0000606712345679,08/03/26,"12,000.00",,"44,571.00"',
]


def statement(*rows: str) -> bytes:
    return (PREAMBLE + "\n".join(rows) + "\n").encode()


async def upload(
    api: Api, data: bytes, name: str = "hdfc.csv", fmt: str = "AUTO", dry: bool = False
) -> dict:
    response = await api.upload(
        IMPORT,
        {"file": None, "format": fmt, "dry": dry},
        {"variables.file": (name, data)},
    )
    return response.json()


async def _rows(api: Api) -> list[dict]:
    body = await api.post(ROWS)
    return [edge["node"] for edge in body["data"]["transactions"]["edges"]][::-1]


@BOTH_BACKENDS
async def test_first_import_fills_an_empty_ledger_and_reconciles(api: Api) -> None:
    await api.register()

    body = await upload(api, statement(*MARCH))

    result = body["data"]["importStatement"]
    assert (result["format"], result["rowsRead"], result["added"]) == ("HDFC", 4, 4)
    assert result["openingBalanceSet"] == "12000.00"  # 57,000 less the first row's 45,000
    assert result["statementClosingBalance"] == result["ledgerClosingBalance"] == "56571.00"
    assert result["reconciled"] is True
    rows = await _rows(api)
    first, swiggy = rows[0], rows[1]
    assert (first["direction"], first["mode"], first["category"]) == (
        "INCOME", "NEFT", "Freelance income"
    )  # fmt: skip
    assert (swiggy["merchant"], swiggy["category"], swiggy["mode"]) == (
        "Swiggy", "Food delivery", "UPI"
    )  # fmt: skip
    assert swiggy["counterpartyVpa"] == "swiggy@ybl"
    assert swiggy["importId"] == result["id"]
    assert [r["balanceAfter"] for r in rows] == ["57000.00", "56651.00", "56611.00", "56571.00"]
    user = await User.get(email="priya@example.in")
    assert user.opening_balance == Decimal("12000.00")  # not an income transaction
    assert await Transaction.filter(user_id=user.id, direction="income").count() == 1
    await assert_balances_exact(user.id)


@BOTH_BACKENDS
async def test_reimport_and_overlap_add_nothing_twice_but_keep_identical_rows(api: Api) -> None:
    await api.register()
    await upload(api, statement(*MARCH))

    again = (await upload(api, statement(*MARCH)))["data"]["importStatement"]
    overlap = (await upload(api, statement(*MARCH[2:], *LATER)))["data"]["importStatement"]

    assert (again["added"], again["duplicates"], again["reconciled"]) == (0, 4, True)
    assert (overlap["added"], overlap["duplicates"]) == (1, 2)
    rows = await _rows(api)
    assert len(rows) == 5
    assert sum(1 for r in rows if r["amount"] == "40.00") == 2  # both metro rides stay
    assert overlap["ledgerClosingBalance"] == overlap["statementClosingBalance"] == "44571.00"
    listed = (await api.post(IMPORTS))["data"]["statementImports"]
    assert [i["added"] for i in listed] == [1, 0, 4]  # newest first


@BOTH_BACKENDS
async def test_a_dry_run_reports_exactly_and_writes_nothing(api: Api) -> None:
    await api.register()

    dry = (await upload(api, statement(*MARCH), dry=True))["data"]["importStatement"]

    assert (dry["id"], dry["dryRun"], dry["added"], dry["reconciled"]) == (None, True, 4, True)
    user = await User.get(email="priya@example.in")
    assert await Transaction.filter(user_id=user.id).count() == 0
    assert await StatementImport.filter(user_id=user.id).count() == 0
    assert user.opening_balance == Decimal("0.00")


@BOTH_BACKENDS
async def test_a_row_entered_by_hand_is_linked_and_a_gap_is_reported(api: Api) -> None:
    await api.register()
    await upload(api, statement(*MARCH))
    by_hand = {
        "occurredAt": "2026-03-07T20:00:00", "amount": "12000.00", "direction": "EXPENSE",
        "merchant": "Ravi Kumar", "description": "rent share",
    }  # fmt: skip
    cash = {"occurredAt": "2026-03-08T09:00:00", "amount": "500.00", "direction": "EXPENSE",
            "merchant": "Chaiwala"}  # fmt: skip
    assert "errors" not in await api.post(CREATE, {"i": by_hand})
    assert "errors" not in await api.post(CREATE, {"i": cash})  # the bank never saw it

    result = (await upload(api, statement(*LATER)))["data"]["importStatement"]

    assert (result["added"], result["linked"]) == (0, 1)
    linked = [r for r in await _rows(api) if r["amount"] == "12000.00"]
    assert len(linked) == 1
    assert (linked[0]["description"], linked[0]["counterpartyVpa"]) == (
        "rent share", "ravi.k@okaxis"
    )  # fmt: skip
    assert result["reconciled"] is False
    assert Decimal(result["statementClosingBalance"]) - Decimal(
        result["ledgerClosingBalance"]
    ) == Decimal("500.00")


async def test_account_aggregator_json_is_read(api: Api) -> None:
    await api.register()
    document = {
        "Account": {
            "type": "deposit", "maskedAccNumber": "XXXXXX1234",
            "Summary": {"currentBalance": "1500.00", "currency": "INR"},
            "Transactions": {"startDate": "2026-04-01", "endDate": "2026-04-30", "Transaction": [
                {"txnId": "AA0001", "type": "CREDIT", "mode": "UPI", "amount": "2000.00",
                 "currentBalance": "2500.00", "transactionTimestamp": "2026-04-02T10:15:00+05:30",
                 "valueDate": "2026-04-02",
                 "narration": "UPI/CR/612345678901/ANITA/SBIN/anita@oksbi/UPI",
                 "reference": "612345678901"},
                {"txnId": "AA0002", "type": "DEBIT", "mode": "ATM", "amount": "1000.00",
                 "currentBalance": "1500.00", "transactionTimestamp": "2026-04-05T18:00:00+05:30",
                 "valueDate": "2026-04-05", "narration": "ATM WDL-ATM CASH 1234 MUMBAI",
                 "reference": "ATM0005"},
            ]},
        }
    }  # fmt: skip

    body = await upload(api, json.dumps(document).encode(), "aa.json")

    result = body["data"]["importStatement"]
    assert (result["format"], result["added"], result["reconciled"]) == ("AA_DEPOSIT_JSON", 2, True)
    rows = await _rows(api)
    assert rows[1]["category"] == "Cash withdrawal"
    assert rows[0]["occurredAt"] == "2026-04-02T10:15:00+05:30"


BAD_FILES = {
    "a picture": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "AUTO"),
    "an empty file": ("empty.csv", b"", "AUTO"),
    "another bank's file named as HDFC": (
        "axis.csv",
        b"Tran Date,CHQNO,PARTICULARS,DR,CR,BAL,SOL\n01-03-2026,,UPI/P2M/1/X,10.00,,90.00,1\n",
        "HDFC",
    ),
    "a billion laughs": (
        "aa.xml",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Account>&b;</Account>',
        "AUTO",
    ),
    "only rows that cannot be read": (
        "hdfc.csv",
        statement('31/02/26,UPI-X-x@ybl-YESB0-606212345678-X,1,31/02/26,12a.00,,"1,000.00"'),
        "AUTO",
    ),
}


async def test_bad_files_are_refused_with_a_reason_and_nothing_written(api: Api) -> None:
    await api.register()
    for case, (name, data, fmt) in BAD_FILES.items():
        body = await upload(api, data, name, fmt)
        assert error_code(body) == "BAD_USER_INPUT", case
        assert "Traceback" not in body["errors"][0]["message"], case
    user = await User.get(email="priya@example.in")
    assert await Transaction.filter(user_id=user.id).count() == 0
    assert await StatementImport.filter(user_id=user.id).count() == 0


async def test_unreadable_rows_are_listed_and_the_rest_land(api: Api) -> None:
    await api.register()
    bad = '06/03/26,UPI-X-x@ybl-YESB0-606212345670-X,1,06/03/26,12a.00,,"1,000.00"'

    result = (await upload(api, statement(*MARCH[:2], bad)))["data"]["importStatement"]

    assert (result["added"], result["skipped"]) == (2, 1)
    assert result["problems"][0]["row"] == 8  # the file's own line number
    assert result["problems"][0]["message"]


async def test_an_upload_over_the_limit_is_413_and_needs_a_login(api: Api) -> None:
    anonymous = await upload(api, statement(*MARCH))
    assert error_code(anonymous) == "UNAUTHENTICATED"
    await api.register()
    huge = statement(*MARCH) + b"," * (21 * 1024 * 1024)
    response = await api.upload(IMPORT, {"file": None}, {"variables.file": ("big.csv", huge)})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_imports_are_the_callers_own(api: Api) -> None:
    await api.register()
    await upload(api, statement(*MARCH))
    await api.register(email="arjun@example.in", full_name="Arjun Rao")
    assert (await api.post(IMPORTS))["data"]["statementImports"] == []
    assert (await _rows(api)) == []


RULE = """mutation($i: CategoryRuleInput!) { createCategoryRule(input: $i) {
  id position narrationContains vpa minAmount maxAmount direction setMerchant setCategory
  setIncomeSource { id name } } }"""
PATCH_RULE = """mutation($id: ID!, $i: CategoryRulePatch!) {
  updateCategoryRule(id: $id, input: $i) { id position setCategory } }"""
RULES = "{ categoryRules { id position narrationContains setCategory } }"
APPLY = """mutation($dry: Boolean) { applyCategoryRules(dryRun: $dry) {
  dryRun rowsChecked matched changed changes { transactionId ruleId merchant category } } }"""
SOURCE = """mutation { createIncomeSource(input: {name: "Acme", kind: CLIENT}) { id } }"""


@BOTH_BACKENDS
async def test_category_rules_preview_apply_once_and_shape_imports(api: Api) -> None:
    await api.register()
    await upload(api, statement(*MARCH))
    source = (await api.post(SOURCE))["data"]["createIncomeSource"]["id"]
    metro = {"narrationContains": "dmrc", "direction": "EXPENSE", "setCategory": "transport",
             "setMerchant": "Delhi Metro"}  # fmt: skip
    acme = {"narrationContains": "ACME TECH", "setIncomeSourceId": source}
    made = [(await api.post(RULE, {"i": rule}))["data"]["createCategoryRule"] for rule in
            (metro, acme)]  # fmt: skip
    assert [r["position"] for r in made] == [0, 1]
    assert made[0]["setCategory"] == "Transport"  # the known category's own spelling

    preview = (await api.post(APPLY, {"dry": True}))["data"]["applyCategoryRules"]
    unchanged = [r["category"] for r in await _rows(api)]
    applied = (await api.post(APPLY))["data"]["applyCategoryRules"]
    again = (await api.post(APPLY))["data"]["applyCategoryRules"]

    assert (preview["rowsChecked"], preview["matched"], preview["changed"]) == (4, 3, 3)
    assert unchanged == ["Freelance income", "Food delivery", "Transport", "Transport"]
    assert (applied["changed"], again["changed"], again["matched"]) == (3, 0, 3)
    rows = await _rows(api)
    assert [r["merchant"] for r in rows[2:]] == ["Delhi Metro", "Delhi Metro"]
    assert rows[0]["category"] == "Freelance income"
    # New imports meet the rules as they arrive.
    ride = '09/03/26,POS 416021XXXXXX1234 DMRC METRO CARD,000000000001,09/03/26,60.00,,"56,511.00"'
    await upload(api, statement(*MARCH, ride))
    assert (await _rows(api))[-1]["merchant"] == "Delhi Metro"


async def test_rules_keep_their_order_and_refuse_nonsense(api: Api) -> None:
    await api.register()
    first = (await api.post(RULE, {"i": {"vpa": "x@ybl", "setCategory": "Rent"}}))["data"]
    second = await api.post(RULE, {"i": {"minAmount": "10", "setMerchant": "Big", "position": 0}})
    listed = (await api.post(RULES))["data"]["categoryRules"]
    assert [r["id"] for r in listed] == [
        second["data"]["createCategoryRule"]["id"], first["createCategoryRule"]["id"]
    ]  # fmt: skip
    moved = await api.post(PATCH_RULE, {"id": listed[0]["id"], "i": {"position": 5}})
    assert moved["data"]["updateCategoryRule"]["position"] == 1

    no_condition = await api.post(RULE, {"i": {"setCategory": "Rent"}})
    no_action = await api.post(RULE, {"i": {"vpa": "x@ybl"}})
    upside_down = await api.post(RULE, {"i": {"minAmount": "9", "maxAmount": "1",
                                              "setCategory": "Rent"}})  # fmt: skip
    assert {error_code(b) for b in (no_condition, no_action, upside_down)} == {"BAD_USER_INPUT"}

    await api.register(email="arjun@example.in", full_name="Arjun Rao")
    theirs = await api.post(PATCH_RULE, {"id": listed[0]["id"], "i": {"setCategory": "Rent"}})
    assert error_code(theirs) == "NOT_FOUND"
    assert (await api.post(RULES))["data"]["categoryRules"] == []


async def test_a_file_sent_as_json_is_refused_with_a_reason(api: Api) -> None:
    await api.register()
    body = await api.post(IMPORT, {"file": "Date,Narration\n01/03/26,x"})
    assert error_code(body) == "BAD_USER_INPUT"
    assert "multipart" in body["errors"][0]["message"]


async def test_a_balance_that_does_not_follow_is_shown_not_hidden(api: Api) -> None:
    await api.register()
    broken = [*MARCH[:3], MARCH[3].replace("56,571.00", "56,531.00")]  # a row missing above

    result = (await upload(api, statement(*broken)))["data"]["importStatement"]

    assert (result["added"], result["skipped"], result["rowsRead"]) == (4, 0, 4)
    assert [(p["row"], p["skipped"]) for p in result["problems"]] == [(9, False)]
    assert "does not follow" in result["problems"][0]["message"]
    assert result["reconciled"] is False  # the ledger says 56,571, the statement 56,531
