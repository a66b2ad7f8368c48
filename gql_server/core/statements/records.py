"""What a parsed statement holds: its lines, the rows that could not be read, its balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum


class StatementFormat(StrEnum):
    HDFC = "HDFC"
    ICICI = "ICICI"
    SBI = "SBI"
    AXIS = "AXIS"
    AA_DEPOSIT_JSON = "AA_DEPOSIT_JSON"
    AA_DEPOSIT_XML = "AA_DEPOSIT_XML"


class StatementError(ValueError):
    """The file as a whole cannot be read (not a statement, the wrong bank, no rows); the
    message is written for the person who uploaded it."""


@dataclass(frozen=True)
class StatementLine:
    """One transaction as the statement states it. `row` is the row number a person sees in
    the file (1-based line or sheet row; for AA data, the transaction's position)."""

    row: int
    booked_on: date  # the transaction date (not the value date)
    amount: Decimal  # positive, two places
    credit: bool  # money in
    narration: str
    reference: str | None = None  # the bank's own reference: cheque/ref number, AA txnId
    balance: Decimal | None = None  # the closing balance after this line, when given
    at: time | None = None  # the time of day, when the source gives one (AA timestamps)


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read (`skipped`), or a line that was read but whose stated
    balance does not follow from the one before it (not skipped: the person decides)."""

    row: int
    message: str
    skipped: bool = True


@dataclass(frozen=True)
class ParsedStatement:
    format: StatementFormat
    lines: tuple[StatementLine, ...]
    problems: tuple[RowProblem, ...]
    opening_balance: Decimal | None  # stated by the statement, when it states one
    closing_balance: Decimal | None  # stated, else the last line's balance, else None
