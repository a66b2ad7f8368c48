"""A generated history written as an HDFC statement and as AA data, imported through the API
as an app uploads files: the ledger then holds exactly the generated rows with the generated
balances, and the second file, the same money seen through another channel, adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gql_server.core.statements.records import StatementFormat
from gql_server.generator.records import GeneratedUser
from gql_server.generator.statements import KINDS, statement_file_name, write_statement
from gql_server.generator.synth import generate_user
from gql_server.models import Direction, Transaction, User
from tests.conftest import BOTH_BACKENDS, Api
from tests.factories import assert_balances_exact

IMPORT = """mutation($file: Upload!) { importStatement(file: $file) {
  format rowsRead added duplicates linked skipped reconciled statementClosingBalance
  ledgerClosingBalance openingBalanceSet problems { row message } } }"""
INDIA = ZoneInfo("Asia/Kolkata")
END = datetime(2026, 11, 1, tzinfo=UTC)  # before the suite's pinned today (28 Nov 2026)


def history() -> GeneratedUser:
    return generate_user(seed=11, index=0, days=90, end=END)  # 175 rows, "stable"


def files(generated: GeneratedUser) -> dict[str, tuple[str, bytes]]:
    return {
        kind: (statement_file_name(generated, fmt), write_statement(generated, fmt))
        for kind, fmt in (("bank", StatementFormat.HDFC), ("aa", StatementFormat.AA_DEPOSIT_JSON))
    }


async def upload(api: Api, name: str, data: bytes) -> dict:
    response = await api.upload(IMPORT, {"file": None}, {"variables.file": (name, data)})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importStatement"]


def generated_rows(generated: GeneratedUser) -> list[tuple[date, Decimal, bool]]:
    stamps = generated.occurred_at.astype("datetime64[us]").astype(datetime)
    return [
        (stamp.replace(tzinfo=UTC).astimezone(INDIA).date(), Decimal(int(paise)) / 100, bool(c))
        for stamp, paise, c in zip(stamps, generated.amount_paise, generated.is_income, strict=True)
    ]


@BOTH_BACKENDS
@pytest.mark.parametrize("first", ["bank", "aa"])
async def test_a_generated_history_round_trips_and_the_other_file_adds_nothing(
    api: Api, first: str
) -> None:
    await api.register()
    generated = history()
    count = generated.transaction_count
    written = files(generated)
    second = "aa" if first == "bank" else "bank"
    closing = f"{Decimal(int(generated.balance_paise[-1])) / 100:.2f}"

    one = await upload(api, *written[first])
    two = await upload(api, *written[second])

    assert (one["rowsRead"], one["added"], one["skipped"], one["problems"]) == (count, count, 0, [])
    assert one["reconciled"] is True
    assert one["openingBalanceSet"] == str(generated.opening_balance)
    assert one["statementClosingBalance"] == one["ledgerClosingBalance"] == closing
    assert (two["added"], two["duplicates"], two["linked"], two["problems"]) == (0, count, 0, [])
    assert two["reconciled"] is True
    user = await User.get(email="priya@example.in")
    assert user.opening_balance == generated.opening_balance
    rows = await Transaction.filter(user_id=user.id).order_by("occurred_at", "id")
    assert len(rows) == count
    held = Counter(
        (r.occurred_at.astimezone(INDIA).date(), r.amount, r.direction == Direction.INCOME)
        for r in rows
    )
    assert held == Counter(generated_rows(generated))
    expected_balances = [Decimal(int(b)) / 100 for b in generated.balance_paise]
    assert [r.balance_after for r in rows] == expected_balances
    await assert_balances_exact(user.id)
    if first == "aa":  # AA timestamps keep the time of day, to the second
        stamps = generated.occurred_at.astype("datetime64[s]").astype(datetime)
        assert [r.occurred_at.astimezone(UTC) for r in rows] == [
            s.replace(tzinfo=UTC) for s in stamps
        ]


@pytest.mark.parametrize(("fmt", "kind"), [(f, k) for f, kinds in KINDS.items() for k in kinds])
async def test_every_written_file_imports_whole_and_reconciled(
    api: Api, fmt: StatementFormat, kind: str
) -> None:
    await api.register()
    generated = history()

    data = write_statement(generated, fmt, kind)
    result = await upload(api, statement_file_name(generated, fmt, kind), data)

    assert (result["format"], result["added"], result["problems"]) == (
        fmt.value, generated.transaction_count, [],
    )  # fmt: skip
    assert result["reconciled"] is True
    assert result["openingBalanceSet"] == str(generated.opening_balance)
