"""Statement imports: a bank or Account Aggregator file into the user's ledger, exactly once.

The file is read and its narrations decoded in a thread (a few years of statements is a
second of parsing the event loop must not wait for). Then, in one transaction under the
user's row lock, its lines are matched against the ledger (core.statements.matching), the new
ones are written, the ones that confirm a row entered by hand are linked to it, balances are
recomputed once, and the ledger's balance at the statement's last day is compared with the
statement's. A dry run does all of that and rolls it back, so what it reports is exactly what
the import would do. Either every line lands or none does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from gql_server import clock, db, locks
from gql_server.auth import rate_limits
from gql_server.core.categories import (
    DEFAULT_EXPENSE_CATEGORY,
    DEFAULT_INCOME_CATEGORY,
    categorize,
)
from gql_server.core.category_rules import Row, Rule, apply_rules
from gql_server.core.statements.detect import parse_statement
from gql_server.core.statements.matching import LINK_DAYS, Existing, Incoming, match_lines
from gql_server.core.statements.narration import Narration, PaymentMode, decode_narration
from gql_server.core.statements.records import (
    ParsedStatement,
    RowProblem,
    StatementError,
    StatementFormat,
    StatementLine,
)
from gql_server.errors import BadUserInput
from gql_server.models import Direction, StatementImport, Transaction, User
from gql_server.services import category_rules
from gql_server.services.balances import balance_before, recompute_balances
from gql_server.services.ledger import MAX_TRANSACTIONS_PER_USER

MAX_PROBLEMS = 200  # rows listed in a result; the count of skipped rows is always whole
IMPORTS_PER_HOUR = 60
_IMPORT_WINDOW = timedelta(hours=1)
_NOON = time(12)
EARLIEST_DAY = date(2000, 1, 1)
_WRITE_BATCH = 2_000
# Told how far an import has come: (stage, done, total), stages "read" then "write".
Progress = Callable[[str, int, int], None]
# A mode's category when the merchant rules know nothing better. Bank transfers in and
# inward remittances are, for the freelancers this serves, mostly clients paying.
_MODE_CATEGORIES = {
    (PaymentMode.NEFT, True): "Freelance income",
    (PaymentMode.RTGS, True): "Freelance income",
    (PaymentMode.IMPS, True): "Freelance income",
    (PaymentMode.REMITTANCE, True): "Freelance income",
    (PaymentMode.ATM, False): "Cash withdrawal",
    (PaymentMode.INTEREST, True): "Interest",
    (PaymentMode.NACH, False): "EMI",
    (PaymentMode.UPI, False): "UPI transfer",
}


@dataclass(frozen=True)
class Line:
    """A statement line made ready for the ledger."""

    incoming: Incoming
    occurred_at: datetime  # UTC
    category: str
    mode: str
    source_row: int
    income_source_id: int | None = None


@dataclass(frozen=True)
class Prepared:
    statement: ParsedStatement
    lines: list[Line]
    sha256: str


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    id: int | None
    format: StatementFormat
    file_name: str
    rows_read: int
    added: int
    duplicates: int
    linked: int
    skipped: int
    dry_run: bool
    first_date: date | None
    last_date: date | None
    statement_closing_balance: Decimal | None
    ledger_closing_balance: Decimal | None
    reconciled: bool
    opening_balance_set: Decimal | None
    problems: list[dict[str, Any]]
    created_at: datetime


class _RolledBack(Exception):
    """Ends a dry run's transaction, carrying what the import would have done."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result


def _category(merchant: str, credit: bool, mode: PaymentMode) -> str:
    found = categorize(merchant, income=credit)
    if found in (DEFAULT_EXPENSE_CATEGORY, DEFAULT_INCOME_CATEGORY):
        return _MODE_CATEGORIES.get((mode, credit), found)
    return found


def _line(source: StatementLine, decoded: Narration, zone: ZoneInfo, rules: list[Rule]) -> Line:
    merchant = decoded.counterparty[:120]
    moment = datetime.combine(source.booked_on, source.at or _NOON, tzinfo=zone)
    reference = (source.reference or decoded.reference or "")[:64] or None
    vpa = decoded.vpa[:120] if decoded.vpa else None
    narration = " ".join(source.narration.split())[:500]
    category = _category(merchant, source.credit, decoded.mode)
    row = Row(narration, merchant, vpa, source.amount, source.credit, category, None)
    outcome = apply_rules(rules, row) if rules else None
    if outcome is not None:
        merchant, category = outcome.merchant, outcome.category
    return Line(
        incoming=Incoming(
            day=source.booked_on,
            amount=source.amount,
            credit=source.credit,
            narration=narration,
            reference=reference,
            counterparty=merchant,
            vpa=vpa,
        ),
        occurred_at=moment.astimezone(UTC),
        category=category,
        mode=str(decoded.mode),
        source_row=source.row,
        income_source_id=outcome.income_source_id if outcome else None,
    )


def _within_dates(
    statement: ParsedStatement, today: date
) -> tuple[ParsedStatement, list[StatementLine]]:
    """Lines dated before 2000 or after today are not money that moved: a misread year, or
    another file's dates. They are listed as problems, not imported."""
    kept: list[StatementLine] = []
    problems = list(statement.problems)
    for line in statement.lines:
        if EARLIEST_DAY <= line.booked_on <= today:
            kept.append(line)
        else:
            problems.append(RowProblem(line.row, f"the date {line.booked_on} is outside "
                                       f"{EARLIEST_DAY} to today ({today})"))  # fmt: skip
    if len(problems) == len(statement.problems):
        return statement, kept
    problems.sort(key=lambda p: p.row)
    return replace(statement, problems=tuple(problems)), kept


def prepare(
    data: bytes, file_name: str, fmt: StatementFormat | None, timezone: str, rules: list[Rule]
) -> Prepared:
    """Parse, decode and apply the user's category rules (runs in a thread). Lines come out
    oldest first, keeping the file's order within a day: banks list newest first or oldest
    first, and the order of a day's lines is what makes the running balance come out as the
    statement's."""
    statement = parse_statement(data, file_name, fmt)
    statement, source = _within_dates(statement, clock.today(timezone))
    if source and source[0].booked_on > source[-1].booked_on:
        source.reverse()
    source.sort(key=lambda s: (s.booked_on, s.at or _NOON))
    zone = ZoneInfo(timezone)
    lines = [_line(s, decode_narration(s.narration), zone, rules) for s in source]
    return Prepared(statement, lines, hashlib.sha256(data).hexdigest())


async def import_statement(
    user: User,
    data: bytes,
    file_name: str,
    fmt: StatementFormat | None,
    *,
    dry_run: bool = False,
    max_transactions: int = MAX_TRANSACTIONS_PER_USER,
    progress: Progress | None = None,
    per_hour: int | None = IMPORTS_PER_HOUR,
) -> ImportResult:
    """Import a statement file (`per_hour`: the caller's bound on imports, counted across
    server processes; None for the operator's command line)."""
    if per_hour is not None:
        await rate_limits.hit(f"statement-import:{user.id}", per_hour, _IMPORT_WINDOW)
    name = " ".join(file_name.split())[:255] or "statement"
    rules = [category_rules.as_rule(row) for row in await category_rules.list_rules(user)]
    try:
        prepared = await anyio.to_thread.run_sync(prepare, data, name, fmt, user.timezone, rules)
    except StatementError as exc:
        raise BadUserInput(str(exc), field="file") from None
    if not prepared.lines:
        raise BadUserInput(_nothing_readable(prepared.statement), field="file")
    tell = progress or _quiet
    tell("read", len(prepared.lines), len(prepared.lines))
    try:
        async with in_transaction() as connection:
            await locks.user_row(user.id, connection)
            result = await _write(
                user, prepared, name, (dry_run, max_transactions, tell), connection
            )
            if dry_run:
                raise _RolledBack(result)
    except _RolledBack as rolled_back:
        return rolled_back.result
    return result


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def _nothing_readable(statement: ParsedStatement) -> str:
    first = statement.problems[0] if statement.problems else None
    reason = f" (row {first.row}: {first.message})" if first else ""
    return f"no transaction in this file could be read{reason}; nothing was imported"


async def _write(
    user: User,
    prepared: Prepared,
    file_name: str,
    options: tuple[bool, int, Progress],
    connection: BaseDBAsyncClient,
) -> ImportResult:
    dry_run, max_transactions, tell = options
    lines = prepared.lines
    first, last = lines[0].incoming.day, lines[-1].incoming.day
    zone = ZoneInfo(user.timezone)
    existing = await _existing(user, first, last, zone, connection)
    # Pure CPU over every line: off the loop, like the parsing.
    matches = await anyio.to_thread.run_sync(
        match_lines, [line.incoming for line in lines], existing
    )
    held = await Transaction.filter(user_id=user.id).using_db(connection).count()
    if held + len(matches.added) > max_transactions:
        raise BadUserInput(
            f"a ledger holds at most {max_transactions:,} transactions; this import would "
            f"bring it to {held + len(matches.added):,}; nothing was imported",
            limit=max_transactions,
        )
    opening = prepared.statement.opening_balance if held == 0 else None
    if opening is not None:
        await User.filter(id=user.id).using_db(connection).update(opening_balance=opening)
    record = StatementImport(user_id=user.id)  # its id marks the rows it adds
    if not dry_run:
        await _save_record(record, prepared, file_name, connection)
    added = [lines[p] for p in matches.added]
    await _add(user, added, record.id, connection, tell)
    for position, row_id in matches.links:
        await _link(row_id, lines[position], connection)
    if added:
        await recompute_balances(user.id, min(line.occurred_at for line in added), connection)
    end_of_last = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    ledger_closing = await balance_before(user.id, end_of_last, connection)
    stated = prepared.statement.closing_balance
    problems = [
        {"row": p.row, "message": p.message, "skipped": p.skipped}
        for p in prepared.statement.problems
    ]
    skipped = sum(1 for p in prepared.statement.problems if p.skipped)
    result = ImportResult(
        id=None if dry_run else record.id,
        format=prepared.statement.format,
        file_name=file_name,
        rows_read=len(lines) + skipped,
        added=len(added),
        duplicates=len(matches.duplicates),
        linked=len(matches.links),
        skipped=skipped,
        dry_run=dry_run,
        first_date=first,
        last_date=last,
        statement_closing_balance=stated,
        ledger_closing_balance=ledger_closing,
        reconciled=stated is not None and stated == ledger_closing,
        opening_balance_set=opening,
        problems=problems[:MAX_PROBLEMS],
        created_at=datetime.now(UTC),
    )
    if not dry_run:
        await _finish_record(record, result, connection)
    return result


async def _existing(
    user: User, first: date, last: date, zone: ZoneInfo, connection: BaseDBAsyncClient
) -> list[Existing]:
    """The ledger's rows the statement's lines could match: its dates, and the days a row
    entered by hand may be off by."""
    since = datetime.combine(first - timedelta(days=LINK_DAYS), time(0), tzinfo=zone)
    until = datetime.combine(last + timedelta(days=LINK_DAYS + 1), time(0), tzinfo=zone)
    rows = await (
        Transaction.filter(user_id=user.id, occurred_at__gte=since, occurred_at__lt=until)
        .using_db(connection)
        .values_list(
            "id",
            "occurred_at",
            "amount",
            "direction",
            "description",
            "reference",
            "merchant",
            "import_id",
            "counterparty_vpa",
            "mode",
        )
    )
    return [
        Existing(
            id=row_id,
            day=moment.astimezone(zone).date(),
            amount=Decimal(amount),
            credit=direction == Direction.INCOME,
            narration=description,
            reference=reference,
            counterparty=merchant,
            imported=import_id is not None,
            vpa=vpa,
            confirmed=mode is not None,
        )
        for row_id, moment, amount, direction, description, reference, merchant, import_id,
        vpa, mode in rows
    ]  # fmt: skip


async def _add(
    user: User,
    lines: list[Line],
    import_id: int | None,
    connection: BaseDBAsyncClient,
    tell: Progress,
) -> None:
    """Write the new rows in batches, in the order given (ids follow it, so a day's rows keep
    the statement's order). PostgreSQL takes them by binary COPY (a 50,000-row statement was
    ~4,000 rows/s as ORM objects, bench/imports.py); SQLite as the ORM writes them."""
    for start in range(0, len(lines), _WRITE_BATCH):
        batch = lines[start : start + _WRITE_BATCH]
        if db.is_sqlite(connection):
            await Transaction.bulk_create(_rows(user, batch, import_id), using_db=connection)
        else:
            now = datetime.now(UTC)
            records = [_record(user.id, line, import_id, now) for line in batch]
            await db.copy_records("ledger_transaction", _COPY_COLUMNS, records, connection)
        tell("write", start + len(batch), len(lines))


_COPY_COLUMNS = (
    "user_id", "occurred_at", "amount", "direction", "category", "merchant", "description",
    "income_source_id", "balance_after", "mode", "counterparty_vpa", "reference", "import_id",
    "created_at", "updated_at",
)  # fmt: skip


def _record(user_id: int, line: Line, import_id: int | None, now: datetime) -> tuple[Any, ...]:
    incoming = line.incoming
    return (
        user_id, line.occurred_at, incoming.amount,
        str(Direction.INCOME if incoming.credit else Direction.EXPENSE), line.category,
        incoming.counterparty, incoming.narration, line.income_source_id, Decimal(0), line.mode,
        incoming.vpa, incoming.reference, import_id, now, now,
    )  # fmt: skip


def _rows(user: User, lines: list[Line], import_id: int | None) -> list[Transaction]:
    return [
        Transaction(
            user_id=user.id,
            occurred_at=line.occurred_at,
            amount=line.incoming.amount,
            direction=Direction.INCOME if line.incoming.credit else Direction.EXPENSE,
            category=line.category,
            merchant=line.incoming.counterparty,
            description=line.incoming.narration,
            mode=line.mode,
            counterparty_vpa=line.incoming.vpa,
            reference=line.incoming.reference,
            import_id=import_id,
            income_source_id=line.income_source_id,
        )
        for line in lines
    ]


async def _link(row_id: int, line: Line, connection: BaseDBAsyncClient) -> None:
    """A row entered by hand that the statement confirms keeps the person's date, words and
    category, and gains what the bank knows: the rail, the UPI address, the reference."""
    await (
        Transaction.filter(id=row_id)
        .using_db(connection)
        .update(
            mode=line.mode,
            counterparty_vpa=line.incoming.vpa,
            reference=line.incoming.reference,
        )
    )


async def _save_record(
    record: StatementImport, prepared: Prepared, file_name: str, connection: BaseDBAsyncClient
) -> None:
    record.format = str(prepared.statement.format)
    record.file_name = file_name
    record.file_sha256 = prepared.sha256
    record.rows_read = record.added = record.duplicates = record.linked = record.skipped = 0
    record.reconciled = False
    record.problems = []
    await record.save(using_db=connection)


async def _finish_record(
    record: StatementImport, result: ImportResult, connection: BaseDBAsyncClient
) -> None:
    for name in (
        "rows_read", "added", "duplicates", "linked", "skipped", "first_date", "last_date",
        "statement_closing_balance", "ledger_closing_balance", "reconciled",
        "opening_balance_set", "problems",
    ):  # fmt: skip
        setattr(record, name, getattr(result, name))
    await record.save(using_db=connection)
    result.created_at = record.created_at


def from_record(row: StatementImport) -> ImportResult:
    return ImportResult(
        id=row.id,
        format=StatementFormat(row.format),
        file_name=row.file_name,
        rows_read=row.rows_read,
        added=row.added,
        duplicates=row.duplicates,
        linked=row.linked,
        skipped=row.skipped,
        dry_run=False,
        first_date=row.first_date,
        last_date=row.last_date,
        statement_closing_balance=row.statement_closing_balance,
        ledger_closing_balance=row.ledger_closing_balance,
        reconciled=row.reconciled,
        opening_balance_set=row.opening_balance_set,
        problems=list(row.problems),
        created_at=row.created_at,
    )


async def list_imports(user: User, first: int) -> list[StatementImport]:
    if not 0 <= first <= 100:
        raise BadUserInput("first must be between 0 and 100", field="first")
    return await StatementImport.filter(user_id=user.id).order_by("-id").limit(first)
