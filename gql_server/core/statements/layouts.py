"""Column layouts of bank statements and how a header row is found in a table.

A layout names each field's accepted header texts; the header row's positions then decide
where every value is read from, so column order does not matter and a preamble of account
details above the header is skipped. Header text is compared with case, spaces, dots and
brackets removed ('Withdrawal Amt.' == 'WITHDRAWAL AMT' == 'withdrawal amt')."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from gql_server.core.statements.records import StatementFormat

HEADER_SEARCH_ROWS = 200  # preambles are 10-25 rows; a header further down is not a header


class Field(StrEnum):
    DATE = "date"
    VALUE_DATE = "value date"
    NARRATION = "narration"
    REFERENCE = "reference"
    DEBIT = "withdrawal"
    CREDIT = "deposit"
    AMOUNT = "amount"  # one amount column with a separate Dr/Cr column (DIRECTION)
    DIRECTION = "debit/credit"
    BALANCE = "balance"


@dataclass(frozen=True)
class Layout:
    """One bank's table: the accepted (normalised) header texts per field, and the fields a
    header row must have to be this bank's."""

    format: StatementFormat
    columns: Mapping[Field, frozenset[str]]
    required: frozenset[Field]


@dataclass(frozen=True)
class ColumnMap:
    """Where each field sits in the file: the layout found, the header's row index in the
    table, its width, the position of each field it names, and the header text of each (for
    messages that name the column as the file does)."""

    layout: Layout
    header_index: int
    width: int
    positions: Mapping[Field, int]
    labels: Mapping[Field, str]


def header_key(text: str) -> str:
    """A header cell reduced to lowercase letters and digits."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def layout(
    fmt: StatementFormat, columns: Mapping[Field, Sequence[str]], required: Sequence[Field]
) -> Layout:
    """A Layout from human-written header texts (normalised here, once)."""
    keys = {field: frozenset(map(header_key, names)) for field, names in columns.items()}
    return Layout(format=fmt, columns=keys, required=frozenset(required))


def match_header(row: Sequence[str], candidate: Layout) -> dict[Field, int] | None:
    """The field positions if `row` is `candidate`'s header row, else None. The first column
    claiming a field wins, so 'Date' before 'Value Date' keeps the transaction date."""
    positions: dict[Field, int] = {}
    for index, cell in enumerate(row):
        key = header_key(cell)
        if not key:
            continue
        for field, names in candidate.columns.items():
            if key in names and field not in positions:
                positions[field] = index
                break
    if candidate.required <= positions.keys():
        return positions
    return None


def find_header(rows: Sequence[Sequence[str]], layouts: Sequence[Layout]) -> ColumnMap | None:
    """The first row (from the top) that is some layout's header; when a row fits several,
    the layout that names more of its columns wins."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fits = [(cand, pos) for cand in layouts if (pos := match_header(row, cand)) is not None]
        if fits:
            chosen, positions = max(fits, key=lambda fit: len(fit[1]))
            labels = {field: row[position] for field, position in positions.items()}
            return ColumnMap(chosen, index, len(row), positions, labels)
    return None
