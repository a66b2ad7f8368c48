"""Generated histories written as each bank's statement and as AA data, then read back by the
parsers the import uses: every line, date, amount, direction and balance survives, and every
narration decodes to the rail the writer meant, with the UPI address and RRN it wrote."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from gql_server.core.statements.detect import parse_statement
from gql_server.core.statements.narration import PaymentMode, decode_narration
from gql_server.core.statements.records import ParsedStatement, StatementFormat
from gql_server.generator import synth
from gql_server.generator.bank_tables import indian
from gql_server.generator.records import GeneratedUser
from gql_server.generator.statements import (
    KINDS,
    entries,
    statement_file_name,
    write_statement,
)

INDIA = ZoneInfo("Asia/Kolkata")
END = datetime(2026, 6, 1, tzinfo=UTC)
WRITTEN = [(fmt, kind) for fmt, kinds in KINDS.items() for kind in kinds]
USERS = range(len(synth.PATTERNS))  # user i follows PATTERNS[i]


@cache
def user(index: int) -> GeneratedUser:
    return synth.generate_user(seed=7, index=index, days=120, end=END)


def expected_lines(u: GeneratedUser) -> list[tuple[date, Decimal, bool, Decimal]]:
    """(local day, amount, credit, balance after) of every generated row, in order."""
    stamps = u.occurred_at.astype("datetime64[us]").astype(datetime)
    return [
        (
            stamp.replace(tzinfo=UTC).astimezone(INDIA).date(),
            Decimal(int(amount)) / 100,
            bool(credit),
            Decimal(int(balance)) / 100,
        )
        for stamp, amount, credit, balance in zip(
            stamps, u.amount_paise, u.is_income, u.balance_paise, strict=True
        )
    ]


def parsed(index: int, fmt: StatementFormat, kind: str) -> ParsedStatement:
    u = user(index)
    return parse_statement(write_statement(u, fmt, kind), statement_file_name(u, fmt, kind), None)


@pytest.mark.parametrize("index", USERS)
@pytest.mark.parametrize(("fmt", "kind"), WRITTEN)
def test_every_format_reads_back_exactly(index: int, fmt: StatementFormat, kind: str) -> None:
    u = user(index)

    statement = parsed(index, fmt, kind)

    assert statement.format is fmt
    assert statement.problems == ()
    got = [(s.booked_on, s.amount, s.credit, s.balance) for s in statement.lines]
    assert got == expected_lines(u)
    assert statement.opening_balance == u.opening_balance
    assert statement.closing_balance == Decimal(int(u.balance_paise[-1])) / 100


@pytest.mark.parametrize("fmt", [StatementFormat.AA_DEPOSIT_JSON, StatementFormat.AA_DEPOSIT_XML])
def test_aa_data_keeps_the_time_of_day(fmt: StatementFormat) -> None:
    u = user(0)

    statement = parsed(0, fmt, KINDS[fmt][0])

    stamps = u.occurred_at.astype("datetime64[s]").astype(datetime)
    local = [s.replace(tzinfo=UTC).astimezone(INDIA).time() for s in stamps]
    assert [line.at for line in statement.lines] == local


@pytest.mark.parametrize("index", USERS)
@pytest.mark.parametrize(
    "fmt", [StatementFormat.HDFC, StatementFormat.ICICI, StatementFormat.SBI, StatementFormat.AXIS]
)
def test_each_narration_decodes_to_the_rail_written(index: int, fmt: StatementFormat) -> None:
    u = user(index)
    statement = parsed(index, fmt, KINDS[fmt][0])
    written = list(entries(u, fmt))

    assert [line.narration for line in statement.lines] == [e.narrated.text for e in written]
    for entry in written:
        decoded = decode_narration(entry.narrated.text)
        assert decoded.mode is entry.narrated.mode, entry.narrated.text
        if entry.narrated.mode is PaymentMode.UPI:
            rrn = entry.narrated.rail_reference
            assert rrn is not None
            assert re.fullmatch(r"[0-9]{12}", rrn), rrn
            assert decoded.reference == rrn, entry.narrated.text
            assert decoded.vpa == entry.narrated.vpa, entry.narrated.text


def test_the_rails_follow_the_categories() -> None:
    u = user(0)
    modes = {
        (str(category), bool(credit)): e.narrated.mode
        for category, credit, e in zip(
            u.category, u.is_income, entries(u, StatementFormat.HDFC), strict=True
        )
    }

    assert modes.get(("EMI", False), PaymentMode.NACH) is PaymentMode.NACH
    assert modes.get(("Cash withdrawal", False), PaymentMode.ATM) is PaymentMode.ATM
    assert modes.get(("Shopping", False), PaymentMode.CARD) is PaymentMode.CARD
    assert modes.get(("Freelance income", True), PaymentMode.NEFT) is PaymentMode.NEFT
    assert modes[("Groceries", False)] is PaymentMode.UPI
    assert set(modes.values()) >= {PaymentMode.UPI, PaymentMode.NEFT, PaymentMode.CARD}


def test_references_agree_between_the_bank_file_and_aa_data() -> None:
    u = user(1)
    hdfc = parsed(1, StatementFormat.HDFC, "csv")
    aa = parsed(1, StatementFormat.AA_DEPOSIT_JSON, "json")

    references = [line.reference for line in hdfc.lines]
    assert references == [line.reference for line in aa.lines]
    assert len(set(references)) == u.transaction_count  # one per row, never reused
    assert [line.narration for line in hdfc.lines] == [line.narration for line in aa.lines]


@pytest.mark.parametrize(("fmt", "kind"), WRITTEN)
def test_writing_twice_gives_the_same_bytes(fmt: StatementFormat, kind: str) -> None:
    assert write_statement(user(2), fmt, kind) == write_statement(user(2), fmt, kind)


def test_upi_addresses_are_fixed_per_counterparty() -> None:
    seen: dict[str, set[str]] = {}
    for index in USERS:
        u = user(index)
        for merchant, e in zip(u.merchant, entries(u, StatementFormat.HDFC), strict=True):
            if e.narrated.vpa:
                seen.setdefault(str(merchant), set()).add(e.narrated.vpa)
    assert seen
    assert all(len(addresses) == 1 for addresses in seen.values()), seen


def test_sbi_xls_is_tab_separated_text_and_amounts_use_indian_grouping() -> None:
    data = write_statement(user(0), StatementFormat.SBI, "xls")

    assert b"\t" in data
    assert not data.startswith(b"\xd0\xcf\x11\xe0")  # not BIFF
    assert (indian(1234567_89), indian(-50_00), indian(7)) == ("12,34,567.89", "-50.00", "0.07")


def test_a_kind_the_bank_does_not_give_is_refused() -> None:
    with pytest.raises(ValueError, match="HDFC statements are written as csv, xlsx"):
        write_statement(user(0), StatementFormat.HDFC, "xls")


def test_file_names_carry_the_user_and_the_bank() -> None:
    u = user(3)
    names = {statement_file_name(u, fmt) for fmt in KINDS}
    assert names == {
        "user-00003-hdfc.csv",
        "user-00003-icici.xlsx",
        "user-00003-sbi.xls",
        "user-00003-axis.csv",
        "user-00003-aa-deposit.json",
        "user-00003-aa-deposit.xml",
    }


def test_an_overdrawn_balance_reads_back() -> None:
    """Generated balances may go below zero; each bank's file still reads back exactly."""
    u = user(0)
    shift = int(u.balance_paise.max()) + 100
    shifted = np.asarray(u.balance_paise) - shift
    opening = u.opening_balance - Decimal(shift) / 100
    overdrawn = replace(u, balance_paise=shifted, opening_balance=opening)
    for fmt, kind in WRITTEN:
        data = write_statement(overdrawn, fmt, kind)
        statement = parse_statement(data, statement_file_name(overdrawn, fmt, kind), None)
        assert statement.problems == (), (fmt, kind)
        assert [line.balance for line in statement.lines] == [
            Decimal(int(b)) / 100 for b in shifted
        ]
        assert statement.opening_balance == opening
