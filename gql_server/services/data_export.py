"""The caller's data export (issue 22): every row the server holds about a user, as JSON.

One description of the sections serves two readers: `iter_export` streams the whole document
as bytes (GET /export), `export_page` answers it in pages (exportMyData). Lists that can grow
long are read in keyset pages of raw rows (driver tuples, never model objects) and encoded a
page at a time, so a streamed export holds one page in memory however many rows the user has.

Values are the same on both databases: money as exact decimal strings, instants as ISO 8601
in UTC, days as ISO dates, flags as booleans, stored JSON as JSON. Never exported: password
and token hashes, refresh-token ids, webhook secrets, rate-limit counters (each table's
`left_out` and LEFT_OUT say what is kept back and why).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from tortoise.models import Model

from gql_server import db
from gql_server.auth import rate_limits
from gql_server.errors import BadUserInput
from gql_server.models import (
    AccountErasure,
    Alert,
    AlertPreferences,
    Buffer,
    BufferEntry,
    CategoryRule,
    ForecastLease,
    GenerationJob,
    IncomeSource,
    Insight,
    PasswordResetToken,
    RateLimitCounter,
    RecurringItem,
    RefitRequest,
    RefreshToken,
    SignInAddress,
    StatementImport,
    StoredOutlook,
    TaxPayment,
    TaxProfile,
    Transaction,
    User,
    Webhook,
    WebhookDelivery,
)
from gql_server.services.cursors import decode_cursor, encode_cursor

# Rows per read of a long list while streaming. A page of transactions is about 0.9 MB of
# JSON, and while it is converted the export holds some 4 KB per row (the driver's rows, their
# dicts and the bytes): about 8 MB, whatever the length of the ledger.
PAGE_ROWS = 2_000
# Transactions per page of exportMyData, whose answer is held whole (a GraphQL response).
DEFAULT_PAGE_ROWS = 5_000
MAX_PAGE_ROWS = 10_000
# Whole exports (a first page of exportMyData or a GET /export) per user per hour: each one
# reads every table of the user.
EXPORTS_PER_HOUR = 30
EXPORT_WINDOW = timedelta(hours=1)
_CURSOR_KIND = "export-transactions"
# Small pieces (a section's opening, a one-row section) are sent together, not one by one.
_CHUNK_BYTES = 64 * 1024
_CENT = Decimal("0.01")

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _money(value: Any) -> str | None:
    """NUMERIC(16,2) on PostgreSQL (a Decimal with two places), exact text on SQLite."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    return str(Decimal(str(value)).quantize(_CENT))


def _instant(value: Any) -> str | None:
    """A timestamptz on PostgreSQL, the UTC text Tortoise wrote on SQLite."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # SQLite text without an offset is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _day(value: Any) -> str | None:
    if value is None or isinstance(value, str):  # SQLite keeps ISO text already
        return value
    assert isinstance(value, date)
    return value.isoformat()


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)  # SQLite answers 0 and 1


def _json(value: Any) -> Any:
    """jsonb arrives as text from asyncpg, and JSON is text on SQLite."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)  # UUIDs


_CONVERTERS: dict[str, Convert] = {
    "": _same,
    "money": _money,
    "instant": _instant,
    "day": _day,
    "flag": _flag,
    "json": _json,
    "text": _text,
}


def _camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class Table:
    """What is exported of one table: its columns (SQL name, name in the export, how a raw
    value is converted), the columns kept back and why, and whose rows a read selects."""

    model: type[Model]
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    converters: tuple[Convert, ...]
    left_out: Mapping[str, str]
    owner: str  # the column naming the owner (not exported: it is the caller)
    order: tuple[str, ...]  # the keyset: unique, and an index serves it
    where: str

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    def present(self, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        keys, converters = self.keys, self.converters
        return [
            {key: convert(value) for key, convert, value in zip(keys, converters, row, strict=True)}
            for row in rows
        ]

    def key_of(self, row: Sequence[Any]) -> list[Any]:
        return [row[self.columns.index(column)] for column in self.order]


def _table(
    model: type[Model],
    spec: str,
    *,
    left_out: Mapping[str, str] | None = None,
    owner: str = "user_id",
    order: tuple[str, ...] = ("id",),
    where: str | None = None,
) -> Table:
    """A Table from a spec such as "id amount:money occurred_at:instant" (a column and how
    its raw value is converted)."""
    columns, kinds = zip(*(item.partition(":")[::2] for item in spec.split()), strict=True)
    return Table(
        model=model,
        columns=tuple(columns),
        keys=tuple(_camel(column) for column in columns),
        converters=tuple(_CONVERTERS[kind] for kind in kinds),
        left_out=dict(left_out or {}),
        owner=owner,
        order=order,
        where=where or f'"{owner}" = $1',
    )


PROFILE = _table(
    User,
    "id email full_name city occupation income_pattern currency timezone role is_active:flag "
    "opening_balance:money created_at:instant updated_at:instant",
    left_out={
        "password_hash": "a credential",
        "email_skeleton": "derived from the email, only to refuse look-alike addresses",
        "token_version": "revokes tokens when it changes: a credential's state",
        "generation_job_id": "exported as generationJob",
    },
    owner="id",
)
TRANSACTIONS = _table(
    Transaction,
    "id occurred_at:instant amount:money direction category merchant description "
    "income_source_id balance_after:money exclude_from_forecast:flag mode counterparty_vpa "
    "reference import_id created_at:instant updated_at:instant",
    # By (occurred_at, id), the index every ledger read uses: by id alone there is no index
    # per user, and each page would scan all of the user's rows again.
    order=("occurred_at", "id"),
)
INCOME_SOURCES = _table(
    IncomeSource,
    "id name kind frequency expected_monthly_amount:money tds_percent:money created_at:instant",
)
RECURRING_ITEMS = _table(
    RecurringItem,
    "id merchant counterparty category direction amount:money cadence interval_days "
    "day_of_month next_date:day last_date:day occurrences confidence source status "
    "income_source_id note created_at:instant updated_at:instant",
)
BUFFER = _table(
    Buffer,
    "id balance:money total_deposited:money total_withdrawn:money target_months "
    "paycheck_override:money created_at:instant updated_at:instant",
)
BUFFER_ENTRIES = _table(
    BufferEntry,
    "id kind amount:money balance_after:money note idempotency_key created_at:instant",
    owner="buffer_id",
)
FORECAST = _table(
    StoredOutlook,
    "id fingerprint as_of:day model outflow_model backtest_mase interval_coverage "
    "low_confidence:flag features:json horizons:json baseline_excluded:json choice:json "
    "generated_at:instant",
)
INSIGHTS = _table(
    Insight,
    "id kind severity title message metrics:json period_start:day period_end:day importance "
    "created_at:instant",
)
STATEMENT_IMPORTS = _table(
    StatementImport,
    "id format file_name file_sha256 rows_read added duplicates linked skipped first_date:day "
    "last_date:day statement_closing_balance:money ledger_closing_balance:money "
    "reconciled:flag opening_balance_set:money problems:json created_at:instant",
)
CATEGORY_RULES = _table(
    CategoryRule,
    "id position narration_contains vpa min_amount:money max_amount:money direction "
    "set_merchant set_category set_income_source_id created_at:instant",
)
TAX_PROFILE = _table(
    TaxProfile,
    "id regime scheme deductions:money business_expense_categories:json "
    "receipt_categories:json gst_registered:flag state updated_at:instant",
)
TAX_PAYMENTS = _table(
    TaxPayment, "id financial_year kind amount:money paid_on:day created_at:instant"
)
ALERT_SETTINGS = _table(
    AlertPreferences,
    "id shortfall_threshold_7 shortfall_threshold_30 low_balance_below:money "
    "income_overdue_days enabled_kinds:json updated_at:instant",
)
ALERTS = _table(
    Alert,
    "id key kind severity title message metrics:json created_at:instant cleared_at:instant",
)
WEBHOOKS = _table(
    Webhook,
    "id url kinds:json description created_at:instant failing_since:instant disabled_at:instant",
    left_out={"secret": "signs every delivery: a credential, shown once when created"},
)
WEBHOOK_DELIVERIES = _table(
    WebhookDelivery,
    "id message_id event_type body:json status attempts next_attempt_ms last_status "
    "last_error created_at:instant delivered_at:instant",
    left_out={
        "claimed_by": "the server process delivering it, for a moment",
        "claimed_until_ms": "when that process's claim lapses",
    },
    owner="webhook_id",
)
# The columns `sessions` is made of (read by _SESSIONS, one entry per refresh-token family).
REFRESH_TOKENS = _table(
    RefreshToken,
    "session_id:text session_started_at:instant issued_at:instant used_at:instant "
    "expires_at:instant user_agent",
    left_out={"jti": "the refresh token's id: with the signing key, the token itself"},
)
SIGN_IN_ADDRESSES = _table(SignInAddress, "id address last_signed_in_at:instant")
PASSWORD_RESETS = _table(
    PasswordResetToken,
    "id created_at:instant expires_at:instant used_at:instant",
    left_out={"token_hash": "the hash of a reset link: a credential"},
)
_JOB_COLUMNS = (
    "id status users_requested days seed patterns end_date:day users_done forecasts_done "
    "transactions_written cancel_requested:flag error created_at:instant started_at:instant "
    "finished_at:instant"
)
_JOB_LEFT_OUT = {
    "password_hash": "the hash of the password the job's users were given: a credential",
    "runner": "the server process that ran it",
    "heartbeat_at": "that process's liveness signal",
}
GENERATION_JOBS_REQUESTED = _table(
    GenerationJob, _JOB_COLUMNS, left_out=_JOB_LEFT_OUT, owner="requested_by_id"
)
# The job that made a generated user (its requester, another account, is not named).
GENERATION_JOB = _table(
    GenerationJob,
    _JOB_COLUMNS,
    left_out=_JOB_LEFT_OUT,
    owner="requested_by_id",
    where='"id" = (SELECT "generation_job_id" FROM "app_user" WHERE "id" = $1)',
)
TABLES: tuple[Table, ...] = (
    PROFILE,
    TRANSACTIONS,
    INCOME_SOURCES,
    RECURRING_ITEMS,
    BUFFER,
    BUFFER_ENTRIES,
    FORECAST,
    INSIGHTS,
    STATEMENT_IMPORTS,
    CATEGORY_RULES,
    TAX_PROFILE,
    TAX_PAYMENTS,
    ALERT_SETTINGS,
    ALERTS,
    WEBHOOKS,
    WEBHOOK_DELIVERIES,
    REFRESH_TOKENS,
    SIGN_IN_ADDRESSES,
    PASSWORD_RESETS,
    GENERATION_JOBS_REQUESTED,
    GENERATION_JOB,
)

# The tables not exported, and why: with SECTION_MODELS every table is accounted for (a test
# walks the models, so a new table that refers to a user must be placed in one or the other).
LEFT_OUT: Mapping[type[Model], str] = {
    ForecastLease: "a slot of the forecast pool held while one of the user's fits runs: "
    "the server's own bookkeeping, gone when the fit ends",
    RefitRequest: "that the user's outlook is due to be recomputed: the server's scheduling, "
    "gone once the outlook (exported as forecast) is stored",
    RateLimitCounter: "attempt counts under keys of addresses, emails and user ids: the "
    "protection of every account, never shown to anyone",
    AccountErasure: "the record that an account was erased, which by design names nobody",
}


async def _read(
    table: Table, owner_id: int, after: Sequence[Any] | None, limit: int
) -> Sequence[Sequence[Any]]:
    """One keyset page of raw rows (after the key `after`, in the table's order)."""
    order = ", ".join(f'"{column}"' for column in table.order)
    selected = ", ".join(f'"{column}"' for column in table.columns)
    sql = f'SELECT {selected} FROM "{table.name}" WHERE {table.where}'  # noqa: S608 - constants
    params: list[Any] = [owner_id]
    if after is not None:
        marks = ", ".join(f"${i}" for i in range(2, 2 + len(after)))
        sql += f" AND ({order}) > ({marks})"
        params.extend(after)
    params.append(limit)
    return await db.fetch_tuples(f"{sql} ORDER BY {order} LIMIT ${len(params)}", *params)


async def _pages(table: Table, owner_id: int) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of the owner's, a page at a time (no empty pages)."""
    size = PAGE_ROWS  # read here, not bound at import: a test makes pages small
    after: list[Any] | None = None
    while True:
        rows = await _read(table, owner_id, after, size)
        last = len(rows) < size
        after = None if last else table.key_of(rows[-1])
        page = table.present(rows)
        del rows  # the driver's rows go before the page is encoded, not after
        if page:
            yield page
        if last:
            return


@dataclass(frozen=True)
class _Paged:
    """A list read page by page when it is written out."""

    table: Table
    owner_id: int

    def pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        return _pages(self.table, self.owner_id)


Loader = Callable[[int], Awaitable[Any]]


def _many(table: Table) -> Loader:
    async def load(owner_id: int) -> _Paged:
        return _Paged(table, owner_id)

    return load


def _one(table: Table, children: tuple[str, Table] | None = None) -> Loader:
    """The owner's row (or None), with its children (a list read when written out)."""

    async def load(owner_id: int) -> dict[str, Any] | None:
        rows = await _read(table, owner_id, None, 1)
        if not rows:
            return None
        found = table.present(rows)[0]
        if children is not None:
            key, child = children
            found[key] = _Paged(child, found["id"])
        return found

    return load


def _each_with(table: Table, key: str, child: Table) -> Loader:
    """The owner's rows (a short list: webhooks), each with its children (a long one)."""

    async def load(owner_id: int) -> list[dict[str, Any]]:
        found = [row async for page in _pages(table, owner_id) for row in page]
        for row in found:
            row[key] = _Paged(child, row["id"])
        return found

    return load


# One entry per refresh-token family (a sign-in, continued by each refresh): when it started,
# its last use, whether it can still refresh, and the client that used it last.
_SESSIONS = (
    'SELECT r."session_id", MIN(COALESCE(r."session_started_at", r."issued_at")), '
    'MAX(r."issued_at"), '
    'MAX(CASE WHEN r."used_at" IS NULL AND r."expires_at" > $2 THEN 1 ELSE 0 END), '
    '(SELECT a."user_agent" FROM "refresh_token" a WHERE a."user_id" = $1 '
    'AND a."session_id" = r."session_id" ORDER BY a."issued_at" DESC LIMIT 1) '
    'FROM "refresh_token" r WHERE r."user_id" = $1 GROUP BY r."session_id" ORDER BY 3 DESC'
)
_SESSION_KEYS = ("id", "createdAt", "lastUsedAt", "active", "userAgent")
_SESSION_CONVERTERS = (_text, _instant, _instant, _flag, _same)


async def _sessions(user_id: int) -> list[dict[str, Any]]:
    """Never a jti or a token: a family is named by its session id, as `sessions` names it."""
    rows = await db.fetch_tuples(_SESSIONS, user_id, db.sql_timestamp(datetime.now(UTC)))
    return [
        {
            key: convert(value)
            for key, convert, value in zip(_SESSION_KEYS, _SESSION_CONVERTERS, row, strict=True)
        }
        for row in rows
    ]


@dataclass(frozen=True)
class Section:
    key: str
    models: tuple[type[Model], ...]  # the tables its rows come from
    load: Loader  # the owner's value, with long lists still to read (_Paged)


SECTIONS: tuple[Section, ...] = (
    Section("profile", (User,), _one(PROFILE)),
    Section("transactions", (Transaction,), _many(TRANSACTIONS)),
    Section("incomeSources", (IncomeSource,), _many(INCOME_SOURCES)),
    Section("recurringItems", (RecurringItem,), _many(RECURRING_ITEMS)),
    Section("buffer", (Buffer, BufferEntry), _one(BUFFER, ("entries", BUFFER_ENTRIES))),
    Section("forecast", (StoredOutlook,), _one(FORECAST)),
    Section("insights", (Insight,), _many(INSIGHTS)),
    Section("statementImports", (StatementImport,), _many(STATEMENT_IMPORTS)),
    Section("categoryRules", (CategoryRule,), _many(CATEGORY_RULES)),
    Section("taxProfile", (TaxProfile,), _one(TAX_PROFILE)),
    Section("taxPayments", (TaxPayment,), _many(TAX_PAYMENTS)),
    Section("alertSettings", (AlertPreferences,), _one(ALERT_SETTINGS)),
    Section("alerts", (Alert,), _many(ALERTS)),
    Section(
        "webhooks",
        (Webhook, WebhookDelivery),
        _each_with(WEBHOOKS, "deliveries", WEBHOOK_DELIVERIES),
    ),
    Section("sessions", (RefreshToken,), _sessions),
    Section("signInAddresses", (SignInAddress,), _many(SIGN_IN_ADDRESSES)),
    Section("passwordResets", (PasswordResetToken,), _many(PASSWORD_RESETS)),
    Section("generationJob", (GenerationJob,), _one(GENERATION_JOB)),
    Section("generationJobsRequested", (GenerationJob,), _many(GENERATION_JOBS_REQUESTED)),
)
# Which tables each section comes from: with LEFT_OUT, every table that refers to a user.
SECTION_MODELS: Mapping[str, tuple[type[Model], ...]] = {s.key: s.models for s in SECTIONS}


def _lazy(value: Any) -> bool:
    if isinstance(value, _Paged):
        return True
    if isinstance(value, dict):
        return any(_lazy(item) for item in value.values())
    if isinstance(value, list):
        return any(_lazy(item) for item in value)
    return False


async def _encode(value: Any) -> AsyncIterator[bytes]:
    """`value` as JSON bytes: a long list a page at a time, the rest at once."""
    if isinstance(value, _Paged):
        separator = b"["
        async for page in value.pages():
            yield separator + orjson.dumps(page)[1:-1]  # the page's rows, without [ ]
            separator = b","
        yield b"[]" if separator == b"[" else b"]"
    elif isinstance(value, dict) and _lazy(value):
        separator = b"{"
        for key, item in value.items():
            yield separator + orjson.dumps(key) + b":"
            separator = b","
            async for chunk in _encode(item):
                yield chunk
        yield b"}"
    elif isinstance(value, list) and _lazy(value):
        separator = b"["
        for item in value:
            yield separator
            separator = b","
            async for chunk in _encode(item):
                yield chunk
        yield b"]"
    else:
        yield orjson.dumps(value)


async def _collect(value: Any) -> Any:
    """`value` with its long lists read in full (for a GraphQL answer, held whole anyway)."""
    if isinstance(value, _Paged):
        return [row async for page in value.pages() for row in page]
    if isinstance(value, dict) and _lazy(value):
        return {key: await _collect(item) for key, item in value.items()}
    if isinstance(value, list) and _lazy(value):
        return [await _collect(item) for item in value]
    return value


async def _document(user_id: int) -> AsyncIterator[bytes]:
    generated_at = datetime.now(UTC).isoformat()
    yield b'{"generatedAt":' + orjson.dumps(generated_at) + b',"data":'
    separator = b"{"
    for section in SECTIONS:
        # Read when its turn comes, so the first bytes leave before the last table is read.
        value = await section.load(user_id)
        yield separator + orjson.dumps(section.key) + b":"
        separator = b","
        async for chunk in _encode(value):
            yield chunk
    yield b"}}"


async def iter_export(user_id: int) -> AsyncIterator[bytes]:
    """The whole export of `user_id` as JSON bytes, `{"generatedAt": ..., "data": {...}}`,
    read and sent progressively: memory holds a page of rows, not the ledger. Not rate
    limited here (charge_full_export before the response starts)."""
    pending: list[bytes] = []
    size = 0
    async for chunk in _document(user_id):
        pending.append(chunk)
        size += len(chunk)
        if size >= _CHUNK_BYTES:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


async def charge_full_export(user_id: int, per_hour: int = EXPORTS_PER_HOUR) -> None:
    """Count one whole export of the user's (RATE_LIMITED past `per_hour`): a first page of
    exportMyData and a GET /export count alike, later pages not at all."""
    await rate_limits.hit(f"data-export:{user_id}", per_hour, EXPORT_WINDOW)


@dataclass(frozen=True)
class ExportPage:
    generated_at: datetime
    data: dict[str, Any]
    transactions_end_cursor: str | None  # after the page's last transaction; None: no rows
    has_more_transactions: bool


def _transactions_cursor(row: Sequence[Any]) -> str:
    occurred_at, row_id = TRANSACTIONS.key_of(row)
    moment = occurred_at.isoformat() if isinstance(occurred_at, datetime) else str(occurred_at)
    return encode_cursor(_CURSOR_KIND, moment, row_id)


def _transactions_after(cursor: str) -> list[Any]:
    """The keyset a cursor names, as the database compares it: a timestamptz on PostgreSQL,
    the stored text itself on SQLite."""
    try:
        moment, row_id = decode_cursor(cursor, _CURSOR_KIND, 2)
        key: list[Any] = [moment, int(row_id)]
        if not db.is_sqlite():
            key[0] = datetime.fromisoformat(moment)
            if key[0].tzinfo is None:
                raise ValueError(moment)
    except (BadUserInput, ValueError):
        raise BadUserInput(
            "transactionsAfter is not a cursor exportMyData returned",
            field="transactionsAfter",
            reason="INVALID_CURSOR",
        ) from None
    return key


async def export_page(
    user_id: int,
    transactions_after: str | None,
    first: int = DEFAULT_PAGE_ROWS,
    *,
    per_hour: int = EXPORTS_PER_HOUR,
) -> ExportPage:
    """A page of the export: without a cursor, every section with the first `first`
    transactions (counted as a whole export); after one, only the next transactions."""
    if not 1 <= first <= MAX_PAGE_ROWS:
        raise BadUserInput(
            f"transactionsFirst must be from 1 to {MAX_PAGE_ROWS}; page on with transactionsAfter",
            field="transactionsFirst",
            reason="OUT_OF_RANGE",
        )
    after = _transactions_after(transactions_after) if transactions_after is not None else None
    if after is None:
        await charge_full_export(user_id, per_hour)
    generated_at = datetime.now(UTC)
    rows = await _read(TRANSACTIONS, user_id, after, first + 1)
    more = len(rows) > first
    rows = rows[:first]
    transactions = TRANSACTIONS.present(rows)
    cursor = _transactions_cursor(rows[-1]) if rows else None
    if after is not None:
        return ExportPage(generated_at, {"transactions": transactions}, cursor, more)
    data: dict[str, Any] = {}
    for section in SECTIONS:
        if section.key == "transactions":
            data[section.key] = transactions
        else:
            data[section.key] = await _collect(await section.load(user_id))
    return ExportPage(generated_at, data, cursor, more)
