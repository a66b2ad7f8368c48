"""A generated user's history written as the files banks and Account Aggregators hand out:
HDFC, ICICI, SBI and Axis statements (CSV, XLSX, and SBI's tab-separated '.xls') and AA
deposit data (JSON, XML), each exactly as `core.statements.parse_statement` reads it.

Real BIFF .xls is not written: nothing the server depends on at run time can write it (xlrd
only reads). Rows stream from the user's columns to the output one at a time (a csv writer on
a BytesIO, openpyxl's write-only mode, JSON and XML written piecewise), so a 50,000-row
statement costs its output and little else. Writing is deterministic: the same user gives the
same bytes, XLSX included (its zip members and document properties carry the statement's
date, not the clock's).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from os import PathLike
from typing import Any
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
from openpyxl.writer.excel import ExcelWriter

from gql_server.core.statements.narration import PaymentMode
from gql_server.core.statements.records import StatementFormat
from gql_server.generator import bank_tables as tables
from gql_server.generator.bank_tables import Cell, Entry, Summary
from gql_server.generator.narrations import crc, facts, holder, narrate
from gql_server.generator.records import GeneratedUser

# The kinds each format is written as; the first is what the bank's download button gives.
KINDS: dict[StatementFormat, tuple[str, ...]] = {
    StatementFormat.HDFC: ("csv", "xlsx"),
    StatementFormat.ICICI: ("xlsx", "csv"),
    StatementFormat.SBI: ("xls", "csv", "xlsx"),
    StatementFormat.AXIS: ("csv", "xlsx"),
    StatementFormat.AA_DEPOSIT_JSON: ("json",),
    StatementFormat.AA_DEPOSIT_XML: ("xml",),
}
# AA data comes from the account's bank (the FIP), in that bank's narrations and references.
AA_BANK = StatementFormat.HDFC
_AA = (StatementFormat.AA_DEPOSIT_JSON, StatementFormat.AA_DEPOSIT_XML)
_AA_MODES = {
    PaymentMode.UPI: "UPI",
    PaymentMode.ATM: "ATM",
    PaymentMode.CARD: "CARD",
    PaymentMode.NEFT: "FT",
    PaymentMode.IMPS: "FT",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ACCOUNT_SHAPES = {  # prefix, total digits
    StatementFormat.HDFC: ("50100", 14),
    StatementFormat.ICICI: ("0004", 12),
    StatementFormat.SBI: ("3", 11),
    StatementFormat.AXIS: ("9120100", 15),
}


def statement_file_name(user: GeneratedUser, fmt: StatementFormat, kind: str | None = None) -> str:
    """user-00007-hdfc.csv, user-00007-sbi.xls, user-00007-aa-deposit.json, ..."""
    bank = "aa-deposit" if fmt in _AA else fmt.value.lower()
    return f"user-{user.index:05d}-{bank}.{_kind(fmt, kind)}"


def write_statement(
    user: GeneratedUser,
    fmt: StatementFormat,
    kind: str | None = None,
    timezone: str = "Asia/Kolkata",
    period: tuple[date, date] | None = None,
) -> bytes:
    """The user's whole history as one statement file of `fmt` (`kind`: one of KINDS[fmt],
    the first by default). Dates are days in `timezone`; `period` is what the preamble
    states, by default the first and last day with a transaction."""
    kind = _kind(fmt, kind)
    summary = _summary(user, ZoneInfo(timezone), period)
    who = holder(user, account_number(user, AA_BANK if fmt in _AA else fmt))
    lines = entries(user, fmt, timezone)
    if fmt is StatementFormat.AA_DEPOSIT_JSON:
        return _aa_json(user, who.account, lines, summary)
    if fmt is StatementFormat.AA_DEPOSIT_XML:
        return _aa_xml(user, who.account, lines, summary)
    spreadsheet = kind == "xlsx"
    rows: Iterator[list[Cell]]
    if fmt is StatementFormat.HDFC:
        rows = tables.hdfc_table(who, user.city, lines, summary)
    elif fmt is StatementFormat.ICICI:
        dates = tables.spreadsheet_date if spreadsheet else _day_first("/")
        rows = tables.icici_table(who, lines, summary, dates)
    elif fmt is StatementFormat.SBI:
        rows = tables.sbi_table(who, user.city, lines, summary)
    elif spreadsheet:
        rows = tables.axis_table(who, lines, summary, tables.spreadsheet_date)
    else:
        rows = tables.axis_report_table(who, lines, summary)
    if spreadsheet:
        return _xlsx(rows, summary.last)
    return _delimited(rows, "\t" if kind == "xls" else ",")


def account_number(user: GeneratedUser, fmt: StatementFormat) -> str:
    """The user's account at bank `fmt`: fixed digits from the user's address."""
    prefix, length = _ACCOUNT_SHAPES[fmt]
    digits = f"{crc(user.email + fmt.value):010d}{user.index:010d}"
    return (prefix + digits)[:length]


def _kind(fmt: StatementFormat, kind: str | None) -> str:
    kinds = KINDS[fmt]
    if kind is None:
        return kinds[0]
    if kind not in kinds:
        raise ValueError(f"{fmt.value} statements are written as {', '.join(kinds)}, not {kind}")
    return kind


def _day_first(separator: str) -> tables.DateCell:
    def text(day: date) -> Cell:
        return day.strftime(f"%d{separator}%m{separator}%Y")

    return text


def _local(micros: int, zone: ZoneInfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)


def _micros(user: GeneratedUser) -> np.ndarray:
    return user.occurred_at.astype("datetime64[us]").astype(np.int64)


def _summary(user: GeneratedUser, zone: ZoneInfo, period: tuple[date, date] | None) -> Summary:
    credit = user.is_income.astype(bool)
    amounts = user.amount_paise.astype(np.int64)
    opening = int(user.opening_balance * 100)
    if period is None:
        if not user.transaction_count:
            raise ValueError("a history without transactions needs a period to state")
        micros = _micros(user)
        period = (_local(int(micros[0]), zone).date(), _local(int(micros[-1]), zone).date())
    return Summary(
        first=period[0],
        last=period[1],
        closed_at=datetime.combine(period[1], time(23, 59, 59), zone),
        opening=opening,
        closing=int(user.balance_paise[-1]) if user.transaction_count else opening,
        debits=int(amounts[~credit].sum()),
        credits=int(amounts[credit].sum()),
        debit_count=int((~credit).sum()),
        credit_count=int(credit.sum()),
    )


def entries(
    user: GeneratedUser, fmt: StatementFormat, timezone: str = "Asia/Kolkata"
) -> Iterator[Entry]:
    """The rows in the order they happened, as statement `fmt` prints them (AA data in its
    bank's narrations)."""
    zone = ZoneInfo(timezone)
    bank = AA_BANK if fmt in _AA else fmt
    who = holder(user, account_number(user, bank))
    micros = _micros(user)
    for row in range(user.transaction_count):
        at = _local(int(micros[row]), zone)
        yield Entry(
            day=at.date(),
            at=at,
            amount=int(user.amount_paise[row]),
            credit=bool(user.is_income[row]),
            balance=int(user.balance_paise[row]),
            narrated=narrate(bank, who, facts(user, row, at)),
        )


# -- sinks -----------------------------------------------------------------------------------


def _delimited(rows: Iterable[list[Cell]], delimiter: str) -> bytes:
    """CSV (quoted where a cell needs it) or SBI's tab-separated text (never quoted)."""
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    if delimiter == "\t":
        for row in rows:
            text.write("\t".join("" if cell is None else str(cell) for cell in row) + "\r\n")
    else:
        writer = csv.writer(text, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
    text.flush()
    text.detach()
    return out.getvalue()


class _StampedZip(zipfile.ZipFile):
    """A zip whose members all carry one date, so the same workbook gives the same bytes."""

    def __init__(self, file: io.BytesIO, stamp: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._stamp = stamp.timetuple()[:6]

    def _member(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: Any,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self._member(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: str | PathLike[str],
        arcname: str | PathLike[str] | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """openpyxl's write-only sheets arrive as a temporary file: copied, not loaded."""
        name = str(arcname if arcname is not None else filename)
        with open(filename, "rb") as source, self.open(self._member(name), "w") as target:
            shutil.copyfileobj(source, target)


def _xlsx(rows: Iterable[list[Cell]], last: date) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Statement")
    for row in rows:
        sheet.append(row)
    stamp = datetime(last.year, last.month, last.day, 23, 59, 58)
    book.properties.creator = "Bank statement"
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    ExcelWriter(book, _StampedZip(out, stamp)).save()
    return out.getvalue()


# -- Account Aggregator ------------------------------------------------------------------------


def _aa_transactions(entries: Iterable[Entry]) -> Iterator[dict[str, str]]:
    for e in entries:
        yield {
            "txnId": e.narrated.reference or "",
            "type": "CREDIT" if e.credit else "DEBIT",
            "mode": _AA_MODES.get(e.narrated.mode, "OTHERS"),
            "amount": _plain(e.amount),
            "currentBalance": _plain(e.balance),
            "transactionTimestamp": e.at.isoformat(timespec="seconds"),
            "valueDate": e.day.isoformat(),
            "narration": e.narrated.text,
            "reference": e.narrated.rail_reference or "",
        }


def _plain(paise: int) -> str:
    return str(Decimal(paise).scaleb(-2).quantize(Decimal("0.01")))


def _aa_account(user: GeneratedUser, account: str, s: Summary) -> dict[str, Any]:
    return {
        "type": "deposit",
        "maskedAccNumber": tables.masked(account),
        "linkedAccRef": f"{crc(account):08x}{crc(user.email):08x}{user.index:016x}",
        "version": "1.1",
        "Profile": {"Holders": {"type": "SINGLE", "Holder": {"name": user.full_name}}},
        "Summary": {
            "currentBalance": _plain(s.closing),
            "currency": "INR",
            "balanceDateTime": s.closed_at.isoformat(),
            "type": "SAVINGS",
            "branch": user.city.upper(),
            "ifscCode": "HDFC0000001",
            "status": "ACTIVE",
        },
        "Transactions": {"startDate": s.first.isoformat(), "endDate": s.last.isoformat()},
    }


def _aa_json(user: GeneratedUser, account: str, entries: Iterable[Entry], s: Summary) -> bytes:
    """As an FIU receives it: the decrypted fiObjects of an FI/fetch response."""
    account_record = _aa_account(user, account, s)
    marker = "@transactions@"
    account_record["Transactions"]["Transaction"] = marker
    document = {"ver": "2.0.0", "body": [{"fipId": "HDFC-FIP", "fiObjects": [account_record]}]}
    head, tail = json.dumps(document).split(json.dumps(marker))
    out = io.BytesIO()
    out.write(head.encode() + b"[")
    for position, transaction in enumerate(_aa_transactions(entries)):
        out.write((b"," if position else b"") + json.dumps(transaction).encode())
    out.write(b"]" + tail.encode())
    return out.getvalue()


def _attributes(record: dict[str, str]) -> str:
    return " ".join(f"{key}={quoteattr(value)}" for key, value in record.items())


def _aa_xml(user: GeneratedUser, account: str, entries: Iterable[Entry], s: Summary) -> bytes:
    """ReBIT's deposit schema: every field an attribute, in the FI namespace."""
    record = _aa_account(user, account, s)
    holder_name = quoteattr(user.full_name)
    out = io.BytesIO()
    out.write(
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Account xmlns="http://api.rebit.org.in/FISchema/deposit" '
            f'linkedAccRef="{record["linkedAccRef"]}" '
            f'maskedAccNumber="{record["maskedAccNumber"]}" version="1.1" type="deposit">'
            f'<Profile><Holders type="SINGLE"><Holder name={holder_name}/></Holders></Profile>'
            f"<Summary {_attributes(record['Summary'])}/>"
            f'<Transactions startDate="{s.first.isoformat()}" endDate="{s.last.isoformat()}">\n'
        ).encode()
    )
    for transaction in _aa_transactions(entries):
        out.write(f"<Transaction {_attributes(transaction)}/>\n".encode())
    out.write(b"</Transactions></Account>\n")
    return out.getvalue()
