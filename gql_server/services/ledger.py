"""The ledger: a user's transactions, read newest first in keyset pages, and changed atomically
with their running balances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gql_server import db, locks
from gql_server.core.categories import categorize, normalize_category
from gql_server.errors import BadUserInput, NotFound
from gql_server.models import Direction, IncomeSource, Transaction, User
from gql_server.services import cursors, pages, validation
from gql_server.services.balances import recompute_balances
from gql_server.services.validation import BIGINT_ID_MAX, object_id


@dataclass(frozen=True)
class TransactionFilter:
    since: datetime | None = None
    until: datetime | None = None
    direction: Direction | None = None
    category: str | None = None
    merchant: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


@dataclass(frozen=True)
class TransactionForm:
    occurred_at: datetime
    amount: Decimal
    direction: Direction
    category: str | None = None
    merchant: str = ""
    description: str = ""
    income_source_id: str | None = None


class TransactionRow(NamedTuple):
    """A transaction as a page shows it: read as a tuple, not a Tortoise model (building a
    model object per row cost more server CPU than the query, bench.api_load --profile)."""

    id: int
    occurred_at: datetime
    amount: Decimal
    direction: str
    category: str
    merchant: str
    description: str
    balance_after: Decimal
    exclude_from_forecast: bool | None
    mode: str | None
    counterparty_vpa: str | None
    reference: str | None
    import_id: int | None
    income_source_id: int | None


@dataclass(frozen=True)
class Page:
    items: list[TransactionRow]
    has_next_page: bool
    filters: Q = field(repr=False)

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.items[-1]) if self.items else None


def encode_cursor(row: Transaction | TransactionRow) -> str:
    return cursors.encode_cursor("tx", row.occurred_at.astimezone(UTC).isoformat(), row.id)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    moment, row_id = cursors.decode_cursor(cursor, "tx", 2)
    try:
        return datetime.fromisoformat(moment), int(row_id)
    except ValueError:
        raise BadUserInput("after is not a cursor this API returned", field="after") from None


def _filter_q(user: User, f: TransactionFilter | None) -> Q:
    q = Q(user_id=user.id)
    if f is None:
        return q
    if f.since and f.until and f.since > f.until:
        raise BadUserInput("filter.from must not be after filter.to", field="from")
    for name in ("min_amount", "max_amount"):
        amount = getattr(f, name)
        if amount is not None:
            field = "minAmount" if name == "min_amount" else "maxAmount"
            validation.money(amount, f"filter.{field}", allow_zero=True)
    if f.min_amount is not None and f.max_amount is not None and f.min_amount > f.max_amount:
        raise BadUserInput("filter.minAmount must not exceed maxAmount", field="minAmount")
    conditions: dict[str, Any] = {
        "occurred_at__gte": f.since,
        "occurred_at__lt": f.until,
        "direction": f.direction,
        "category__iexact": validation.text(f.category, "category", 40) or None,
        "merchant__icontains": validation.text(f.merchant, "merchant", 120) or None,
        "amount__gte": f.min_amount,
        "amount__lte": f.max_amount,
    }
    return q & Q(**{key: value for key, value in conditions.items() if value is not None})


async def list_transactions(
    user: User,
    first: int = 20,
    after: str | None = None,
    f: TransactionFilter | None = None,
    limit: int = pages.DEFAULT_PAGE_SIZE,
) -> Page:
    """Newest first. A keyset cursor (time, id) keeps pages stable while rows are added."""
    size = pages.page_size(first, limit)
    filters = _filter_q(user, f)  # validates the filter too
    key = decode_cursor(after) if after else None
    if db.is_sqlite():
        # SQLite's driver hands back text for times and amounts: Tortoise converts them.
        query = Transaction.filter(filters)
        if key:
            moment, row_id = key
            query = query.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, id__lt=row_id))
        found: Sequence[Sequence[Any]] = await (
            query.order_by("-occurred_at", "-id")
            .limit(size + 1)
            .values_list(*TransactionRow._fields)
        )
    else:
        # asyncpg already gives aware datetimes, Decimals and text: no per-value conversion
        # and no query builder on the read every client makes most.
        found = await db.fetch_tuples(*_page_sql(user.id, f, key, size + 1))
    rows = [TransactionRow(*values) for values in found[:size]]
    return Page(items=rows, has_next_page=len(found) > size, filters=filters)


_PAGE_COLUMNS = ", ".join(f'"{name}"' for name in TransactionRow._fields)


def _page_sql(
    user_id: int, f: TransactionFilter | None, key: tuple[datetime, int] | None, limit: int
) -> tuple[Any, ...]:
    """The page's query for PostgreSQL with the same conditions as `_filter_q` (already
    validated there), newest first after `key`: the SQL, then its parameters."""
    params: list[Any] = [user_id]
    where = ['"user_id" = $1']

    def condition(template: str, *values: Any) -> None:
        numbers = [f"${len(params) + i + 1}" for i in range(len(values))]
        params.extend(values)
        where.append(template.format(*numbers))

    if f is not None:
        if f.since:
            condition('"occurred_at" >= {}', f.since)
        if f.until:
            condition('"occurred_at" < {}', f.until)
        if f.direction:
            condition('"direction" = {}', Direction(f.direction).value)
        category = validation.text(f.category, "category", 40)
        if category:
            condition('UPPER("category") = UPPER({})', category)
        merchant = validation.text(f.merchant, "merchant", 120)
        if merchant:
            escaped = merchant.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            condition("UPPER(\"merchant\") LIKE UPPER({}) ESCAPE '\\'", f"%{escaped}%")
        if f.min_amount is not None:
            condition('"amount" >= {}', f.min_amount)
        if f.max_amount is not None:
            condition('"amount" <= {}', f.max_amount)
    if key is not None:
        condition('("occurred_at" < {0} OR ("occurred_at" = {0} AND "id" < {1}))', *key)
    # Column names and numbered parameters only: no value is ever spelled into the SQL.
    sql = (
        f'SELECT {_PAGE_COLUMNS} FROM "ledger_transaction" WHERE {" AND ".join(where)} '  # noqa: S608
        f'ORDER BY "occurred_at" DESC, "id" DESC LIMIT {int(limit)}'
    )
    return (sql, *params)


async def count_transactions(filters: Q) -> int:
    return await Transaction.filter(filters).count()


async def get_transaction(user: User, transaction_id: str) -> Transaction | None:
    return await Transaction.get_or_none(
        id=object_id(transaction_id, "transaction", BIGINT_ID_MAX), user_id=user.id
    )


async def _income_source_id(user: User, value: str | None, direction: Direction) -> int | None:
    if value is None:
        return None
    if direction != Direction.INCOME:
        raise BadUserInput("incomeSourceId can only be set on income", field="incomeSourceId")
    source_id = object_id(value, "income source", field="incomeSourceId")
    if not await IncomeSource.filter(id=source_id, user_id=user.id).exists():
        raise NotFound("income source not found", field="incomeSourceId")
    return source_id


def _category(value: str | None, merchant: str, direction: Direction) -> str:
    if value is None or not value.strip():
        return categorize(merchant, income=direction == Direction.INCOME)
    try:
        return normalize_category(value)
    except ValueError as exc:
        raise BadUserInput(str(exc), field="category") from None


# The default cap of a user's ledger (MAX_LEDGER_TRANSACTIONS): every outlook and what-if
# reads the whole of it into a worker.
MAX_TRANSACTIONS_PER_USER = 100_000
_AT_CAP = "SELECT 1 FROM ledger_transaction WHERE user_id = $1 LIMIT 1 OFFSET $2"


async def _check_room(user_id: int, cap: int, connection: BaseDBAsyncClient) -> None:
    """Refuse a new row when the ledger holds `cap` already (read under the user's row lock,
    so concurrent creates cannot pass it together)."""
    if await db.fetch_rows(_AT_CAP, user_id, cap - 1, connection=connection):
        raise BadUserInput(
            f"a ledger holds at most {cap:,} transactions; delete old ones to add more",
            limit=cap,
        )


async def create_transaction(
    user: User, form: TransactionForm, max_transactions: int = MAX_TRANSACTIONS_PER_USER
) -> Transaction:
    occurred_at = validation.moment(form.occurred_at, "occurredAt", user.timezone)
    amount = validation.money(form.amount, "amount")
    merchant = validation.text(form.merchant, "merchant", 120)
    description = validation.text(form.description, "description", 500)
    category = _category(form.category, merchant, form.direction)
    source_id = await _income_source_id(user, form.income_source_id, form.direction)
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        await _check_room(user.id, max_transactions, connection)
        row = await Transaction.create(
            user_id=user.id,
            occurred_at=occurred_at,
            amount=amount,
            direction=form.direction,
            category=category,
            merchant=merchant,
            description=description,
            income_source_id=source_id,
            using_db=connection,
        )
        await recompute_balances(user.id, occurred_at, connection)
        await row.refresh_from_db(fields=["balance_after"], using_db=connection)
    return row


async def update_transaction(
    user: User, transaction_id: str, changes: dict[str, Any]
) -> Transaction:
    """Apply the fields present in `changes`; balances from the earliest moved point are redone."""
    values: dict[str, Any] = {}
    if changes.get("occurred_at") is not None:
        values["occurred_at"] = validation.moment(
            changes["occurred_at"], "occurredAt", user.timezone
        )
    if changes.get("amount") is not None:
        values["amount"] = validation.money(changes["amount"], "amount")
    if changes.get("direction") is not None:
        values["direction"] = Direction(changes["direction"])
    for name, limit in (("merchant", 120), ("description", 500)):
        if name in changes:
            values[name] = validation.text(changes[name], name, limit)
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        row = await _own_transaction(user, transaction_id, connection)
        before = row.occurred_at
        row.update_from_dict(values)
        if "exclude_from_forecast" in changes:  # null hands the row back to the outlier rule
            row.exclude_from_forecast = changes["exclude_from_forecast"]
        if "category" in changes:
            row.category = _category(changes["category"], row.merchant, row.direction)
        if "income_source_id" in changes:
            row.income_source_id = await _income_source_id(
                user, changes["income_source_id"], row.direction
            )
        elif row.direction != Direction.INCOME:
            row.income_source_id = None
        await row.save(using_db=connection)
        await recompute_balances(user.id, min(before, row.occurred_at), connection)
        await row.refresh_from_db(fields=["balance_after"], using_db=connection)
    return row


async def _own_transaction(
    user: User, transaction_id: str, connection: BaseDBAsyncClient
) -> Transaction:
    """The caller's transaction, read inside the locked change; another's is not found."""
    row = await Transaction.get_or_none(
        id=object_id(transaction_id, "transaction", BIGINT_ID_MAX),
        user_id=user.id,
        using_db=connection,
    )
    if row is None:
        raise NotFound("transaction not found", field="id")
    return row


async def delete_transaction(user: User, transaction_id: str) -> None:
    async with in_transaction() as connection:
        await locks.user_row(user.id, connection)
        row = await _own_transaction(user, transaction_id, connection)
        await row.delete(using_db=connection)
        await recompute_balances(user.id, row.occurred_at, connection)
