"""Which statement a file is, and the statement read from it.

`parse_statement` is the one entry point: it reads the bytes by content (never by name),
finds the bank by its header row (or AA data by its JSON/XML shape), refuses a file named as
one bank that is another's, reads the rows, and checks the running balance. A file in which no
row can be read is a StatementError; otherwise unreadable rows come back as RowProblems next to
the lines that could be read, and lines whose balance does not follow are returned with a
problem (see `balances`). An empty statement (a header and no rows) is a valid quiet month."""

from __future__ import annotations

from gql_server.core.statements import axis, hdfc, icici, sbi
from gql_server.core.statements.aa_deposit import parse_aa_json, parse_aa_xml
from gql_server.core.statements.balances import check_balances
from gql_server.core.statements.layouts import ColumnMap, Layout, find_header
from gql_server.core.statements.records import ParsedStatement, StatementError, StatementFormat
from gql_server.core.statements.rows import read_lines
from gql_server.core.statements.tables import FileKind, Table, read_table, sniff_kind

BANK_LAYOUTS: tuple[Layout, ...] = hdfc.LAYOUTS + icici.LAYOUTS + sbi.LAYOUTS + axis.LAYOUTS

_DESCRIPTION = {
    StatementFormat.HDFC: "an HDFC Bank statement",
    StatementFormat.ICICI: "an ICICI Bank statement",
    StatementFormat.SBI: "an SBI statement",
    StatementFormat.AXIS: "an Axis Bank statement",
    StatementFormat.AA_DEPOSIT_JSON: "Account Aggregator deposit data (JSON)",
    StatementFormat.AA_DEPOSIT_XML: "Account Aggregator deposit data (XML)",
}
_EXPECTED = {
    StatementFormat.HDFC: hdfc.EXPECTED,
    StatementFormat.ICICI: icici.EXPECTED,
    StatementFormat.SBI: sbi.EXPECTED,
    StatementFormat.AXIS: axis.EXPECTED,
}
_AA = (StatementFormat.AA_DEPOSIT_JSON, StatementFormat.AA_DEPOSIT_XML)


def parse_statement(data: bytes, file_name: str, fmt: StatementFormat | None) -> ParsedStatement:
    """The statement in `data`; `fmt=None` detects the bank or AA format from the content.

    Raises StatementError (message for the uploader) when the file is not a statement, is
    another format than `fmt`, or has no readable row."""
    kind = sniff_kind(data, file_name)
    if kind in (FileKind.JSON, FileKind.XML):
        if kind is FileKind.JSON:
            _require(fmt, StatementFormat.AA_DEPOSIT_JSON, file_name)
            return parse_aa_json(data, file_name)
        _require(fmt, StatementFormat.AA_DEPOSIT_XML, file_name)
        return parse_aa_xml(data, file_name)
    if fmt in _AA:
        raise StatementError(f"{file_name} is a spreadsheet or CSV file, not {_DESCRIPTION[fmt]}")
    table = read_table(data, file_name)
    columns = find_header(table.rows, BANK_LAYOUTS)
    if columns is None:
        raise StatementError(_no_header(file_name, fmt))
    _require(fmt, columns.layout.format, file_name)
    return _bank_statement(table, columns, file_name)


def _require(fmt: StatementFormat | None, found: StatementFormat, file_name: str) -> None:
    if fmt is not None and fmt is not found:
        raise StatementError(
            f"{file_name} looks like {_DESCRIPTION[found]}, not {_DESCRIPTION[fmt]}"
        )


def _no_header(file_name: str, fmt: StatementFormat | None) -> str:
    if fmt is not None:
        return (
            f"{file_name} is not {_DESCRIPTION[fmt]}: no header row with the columns "
            f"{_EXPECTED[fmt]} was found"
        )
    return (
        f"{file_name} is not a statement this service can read: no HDFC, ICICI, SBI or Axis "
        "header row was found (upload the bank's CSV or Excel download, unedited)"
    )


def _bank_statement(table: Table, columns: ColumnMap, file_name: str) -> ParsedStatement:
    reading = read_lines(table, columns)
    if reading.problems and not reading.lines:
        first = reading.problems[0]
        raise StatementError(
            f"none of the rows of {file_name} could be read as "
            f"{_DESCRIPTION[columns.layout.format]}; row {first.row}: {first.message}"
        )
    check = check_balances(reading.lines, reading.opening, reading.closing)
    problems = sorted(reading.problems + check.problems, key=lambda problem: problem.row)
    return ParsedStatement(
        format=columns.layout.format,
        lines=reading.lines,
        problems=tuple(problems),
        opening_balance=check.opening,
        closing_balance=check.closing,
    )
