"""Rows below a statement's header read into lines, problems, and stated balances.

Each row is read only through the header's column positions. A row that is clearly not a
transaction (blank, a '*****' separator, footer text, a totals row) is skipped silently; a row
that looks like one but cannot be read becomes a RowProblem naming the column as the file
does. A row with more filled cells than the header has, or a date where an amount belongs, is
a problem, never a silently shifted number. A footer summary (HDFC's 'STATEMENT SUMMARY':
Opening Balance ... Closing Bal over a row of values) or an 'OPENING BALANCE'/'CLOSING
BALANCE' row (Axis) gives the stated balances."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gql_server.core.statements.balances import StatedBalance
from gql_server.core.statements.layouts import ColumnMap, Field, header_key
from gql_server.core.statements.records import RowProblem, StatementLine
from gql_server.core.statements.tables import MAX_CELL_CHARS, Table
from gql_server.core.statements.values import is_blank, parse_amount, parse_date

_SEPARATOR = re.compile(r"^[*\-=_.~\s]+$")
# '=CMD()', '@SUM()', '+HYPERLINK(' and '-cmd|' are spreadsheet formulas, whatever the file.
_FORMULA = re.compile(r"^(?:[=@]|[+\-][A-Za-z_][\w.]*\s*[(|!])")
_OPENING = frozenset({"openingbalance", "balancebroughtforward", "broughtforward"})
_CLOSING = frozenset({"closingbalance", "balancecarriedforward", "carriedforward"})
_FOOTER_PREFIXES = ("total", "transactiontotal", "grandtotal", "pagetotal")
_CREDIT_MARKS = frozenset({"cr", "c", "credit"})
_DEBIT_MARKS = frozenset({"dr", "d", "debit"})


@dataclass(frozen=True)
class TableReading:
    lines: tuple[StatementLine, ...]
    problems: tuple[RowProblem, ...]
    opening: StatedBalance | None
    closing: StatedBalance | None


def read_lines(table: Table, columns: ColumnMap) -> TableReading:
    """Every row below the header, until a footer summary ends the table."""
    lines: list[StatementLine] = []
    problems: list[RowProblem] = []
    stated: dict[str, StatedBalance] = {}
    start = columns.header_index + 1
    for index in range(start, len(table.rows)):
        cells, number = table.rows[index], table.numbers[index]
        if _is_summary_start(cells):
            stated.update(_summary(table, index))
            break
        outcome = _read_row(cells, number, columns)
        if isinstance(outcome, StatementLine):
            lines.append(outcome)
        elif isinstance(outcome, RowProblem):
            problems.append(outcome)
        elif outcome is not None:
            stated[outcome[0]] = outcome[1]
    return TableReading(tuple(lines), tuple(problems), stated.get("opening"), stated.get("closing"))


_Outcome = StatementLine | RowProblem | tuple[str, StatedBalance] | None


def _read_row(cells: Sequence[str], number: int, columns: ColumnMap) -> _Outcome:
    if all(not cell or _SEPARATOR.match(cell) for cell in cells):
        return None
    date_text = _cell(cells, columns, Field.DATE)
    has_amount = any(
        not is_blank(_cell(cells, columns, field))
        for field in (Field.DEBIT, Field.CREDIT, Field.AMOUNT)
    )
    if is_blank(date_text):
        return _undated(cells, number, columns, has_amount)
    if not any(char.isdigit() for char in date_text) and not has_amount:
        return None  # footer or legend text that happens to sit in the date column
    if problem := _shape_problem(cells, columns):
        return RowProblem(number, problem)
    try:
        return _line(cells, number, columns)
    except ValueError as exc:
        return RowProblem(number, str(exc))


def _cell(cells: Sequence[str], columns: ColumnMap, field: Field) -> str:
    position = columns.positions.get(field)
    if position is None or position >= len(cells):
        return ""
    return cells[position]


def _undated(cells: Sequence[str], number: int, columns: ColumnMap, has_amount: bool) -> _Outcome:
    keys = {header_key(cell) for cell in cells}
    for name, markers in (("opening", _OPENING), ("closing", _CLOSING)):
        if keys & markers:
            return _stated(name, _cell(cells, columns, Field.BALANCE), number)
    if not has_amount or any(key.startswith(_FOOTER_PREFIXES) for key in keys):
        return None
    return RowProblem(number, "this row has an amount but no date")


def _stated(name: str, text: str, number: int) -> tuple[str, StatedBalance] | RowProblem | None:
    try:
        amount = parse_amount(text)
    except ValueError as exc:
        return RowProblem(number, f"{name} balance: {exc}")
    return None if amount is None else (name, StatedBalance(amount, number))


def _shape_problem(cells: Sequence[str], columns: ColumnMap) -> str | None:
    if any(cells[columns.width :]):
        return (
            f"this row has {len(cells)} cells but the header has {columns.width}: "
            "a column is shifted (an unquoted comma in the narration?)"
        )
    for field, position in columns.positions.items():
        text = cells[position] if position < len(cells) else ""
        if len(text) > MAX_CELL_CHARS:
            return f"{columns.labels[field]}: longer than {MAX_CELL_CHARS:,} characters"
        if _FORMULA.match(text):
            return f"{columns.labels[field]}: a spreadsheet formula ({text[:40]}), not a value"
    return None


def _line(cells: Sequence[str], number: int, columns: ColumnMap) -> StatementLine:
    try:
        booked = parse_date(_cell(cells, columns, Field.DATE))
    except ValueError as exc:
        raise ValueError(f"{columns.labels[Field.DATE]}: {exc}") from exc
    amount, credit = _money(cells, columns)
    reference = _cell(cells, columns, Field.REFERENCE)
    return StatementLine(
        row=number,
        booked_on=booked,
        amount=amount,
        credit=credit,
        narration=_cell(cells, columns, Field.NARRATION),
        reference=None if is_blank(reference) else reference,
        balance=_amount(cells, columns, Field.BALANCE),
    )


def _amount(cells: Sequence[str], columns: ColumnMap, field: Field) -> Decimal | None:
    """A column's amount; its ValueError names the column as the file's header does."""
    try:
        return parse_amount(_cell(cells, columns, field))
    except ValueError as exc:
        raise ValueError(f"{columns.labels[field]}: {exc}") from exc


def _money(cells: Sequence[str], columns: ColumnMap) -> tuple[Decimal, bool]:
    if Field.AMOUNT in columns.positions:
        return _amount_and_direction(cells, columns)
    debit = _positive(cells, columns, Field.DEBIT)
    credit = _positive(cells, columns, Field.CREDIT)
    if credit is not None and debit is None:
        return credit, True
    if debit is not None and credit is None:
        return debit, False
    if credit is not None:
        raise ValueError("this row has both a withdrawal and a deposit")
    raise ValueError("this row has neither a withdrawal nor a deposit")


def _positive(cells: Sequence[str], columns: ColumnMap, field: Field) -> Decimal | None:
    value = _amount(cells, columns, field)
    if value is not None and value < 0:
        raise ValueError(f"{columns.labels[field]}: a negative amount ({value})")
    return value or None  # 0.00 in the unused column means 'not this column'


def _amount_and_direction(cells: Sequence[str], columns: ColumnMap) -> tuple[Decimal, bool]:
    value = _positive(cells, columns, Field.AMOUNT)
    if value is None:
        raise ValueError("this row has no amount")
    mark = header_key(_cell(cells, columns, Field.DIRECTION))
    if mark in _CREDIT_MARKS:
        return value, True
    if mark in _DEBIT_MARKS:
        return value, False
    label = columns.labels.get(Field.DIRECTION, "Debit/Credit")
    raise ValueError(f"{label}: '{_cell(cells, columns, Field.DIRECTION)}' is neither Dr nor Cr")


def _is_summary_start(cells: Sequence[str]) -> bool:
    keys = [header_key(cell) for cell in cells]
    if any(key.startswith("statementsummary") for key in keys):
        return True
    return "openingbalance" in keys and any(key.startswith("closingbal") for key in keys)


def _summary(table: Table, index: int) -> dict[str, StatedBalance]:
    """Opening and closing balance from a footer summary: a header row naming 'Opening
    Balance' and 'Closing Bal(ance)' and, within the next rows, the first row holding amounts
    under them. A summary without such a row states nothing (the chain is still checked)."""
    rows = table.rows
    for header in range(index, min(index + 4, len(rows))):
        keys = [header_key(cell) for cell in rows[header]]
        if "openingbalance" not in keys:
            continue
        spots = {"opening": keys.index("openingbalance")}
        closing = [i for i, key in enumerate(keys) if key.startswith("closingbal")]
        if closing:
            spots["closing"] = closing[0]
        for values in range(header + 1, min(header + 4, len(rows))):
            if found := _summary_values(rows[values], table.numbers[values], spots):
                return found
    return {}


def _summary_values(
    cells: Sequence[str], number: int, spots: dict[str, int]
) -> dict[str, StatedBalance]:
    found: dict[str, StatedBalance] = {}
    for name, position in spots.items():
        outcome = _stated(name, cells[position] if position < len(cells) else "", number)
        if isinstance(outcome, tuple):
            found[outcome[0]] = outcome[1]
    return found
