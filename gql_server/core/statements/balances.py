"""The running balance a statement prints, checked line by line.

A statement that prints balances must satisfy balance[i] == balance[i-1] + amount[i] (amount
signed: deposits add, withdrawals subtract). A line that breaks the chain is still returned,
with a RowProblem saying the balance does not follow: the amount may be right and the bank's
balance wrong, or a row was dropped above it, and the person deciding needs to see both.
Statements listed newest first are recognised (the chain holds read bottom-up) and checked in
that order. Opening and closing balances are the stated ones when the file states them, else
derived from the first and last lines in date order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from gql_server.core.statements.records import RowProblem, StatementLine


@dataclass(frozen=True)
class StatedBalance:
    """A balance the file states outright, and the row that states it."""

    amount: Decimal
    row: int


@dataclass(frozen=True)
class BalanceCheck:
    problems: tuple[RowProblem, ...]
    opening: Decimal | None
    closing: Decimal | None


def signed(line: StatementLine) -> Decimal:
    return line.amount if line.credit else -line.amount


def check_balances(
    lines: Sequence[StatementLine], opening: StatedBalance | None, closing: StatedBalance | None
) -> BalanceCheck:
    """The problems in the balance chain, and the opening and closing balances."""
    if not any(line.balance is not None for line in lines):
        return _without_running_balance(lines, opening, closing)
    chrono = list(reversed(lines)) if _newest_first(lines) else list(lines)
    problems = [
        RowProblem(line.row, _break_message(line, previous), skipped=False)
        for previous, line in pairwise(chrono)
        if _breaks(previous, line)
    ]
    first, last = chrono[0], chrono[-1]
    derived = None if first.balance is None else first.balance - signed(first)
    if opening is not None and derived is not None and derived != opening.amount:
        problems.append(
            RowProblem(
                first.row,
                f"the balance {first.balance} does not follow from the stated opening "
                f"balance {opening.amount} and this line's amount",
                skipped=False,
            )
        )
    if closing is not None and last.balance is not None and last.balance != closing.amount:
        problems.append(
            RowProblem(
                closing.row,
                f"the stated closing balance {closing.amount} differs from the last "
                f"line's balance {last.balance}",
                skipped=False,
            )
        )
    return BalanceCheck(
        tuple(problems),
        opening.amount if opening is not None else derived,
        closing.amount if closing is not None else last.balance,
    )


def _breaks(previous: StatementLine, line: StatementLine) -> bool:
    if previous.balance is None or line.balance is None:
        return False
    return previous.balance + signed(line) != line.balance


def _break_message(line: StatementLine, previous: StatementLine) -> str:
    expected = (previous.balance or Decimal(0)) + signed(line)
    return (
        f"the balance {line.balance} does not follow from the previous balance "
        f"{previous.balance} and this line's amount (expected {expected})"
    )


def _newest_first(lines: Sequence[StatementLine]) -> bool:
    """True when the chain breaks read top-down but holds read bottom-up."""
    forward = sum(_breaks(a, b) for a, b in pairwise(lines))
    backward = sum(_breaks(b, a) for a, b in pairwise(lines))
    return forward > 0 and backward == 0


def _without_running_balance(
    lines: Sequence[StatementLine], opening: StatedBalance | None, closing: StatedBalance | None
) -> BalanceCheck:
    """No per-line balances: the stated opening plus every line must give the stated closing."""
    problems: list[RowProblem] = []
    if opening is not None and closing is not None:
        total = opening.amount + sum((signed(line) for line in lines), Decimal(0))
        if total != closing.amount:
            problems.append(
                RowProblem(
                    closing.row,
                    f"the stated closing balance {closing.amount} differs from the opening "
                    f"balance plus the lines ({total})",
                    skipped=False,
                )
            )
    return BalanceCheck(
        tuple(problems),
        None if opening is None else opening.amount,
        None if closing is None else closing.amount,
    )
