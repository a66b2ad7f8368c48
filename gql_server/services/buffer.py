"""The buffer's ledger: exact, atomic and idempotent deposits and withdrawals that never take
the balance below zero, whichever server process or concurrent request applies them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gql_server import locks
from gql_server.errors import BadUserInput, Conflict
from gql_server.models import Buffer, BufferEntry, BufferEntryKind, User
from gql_server.services import cursors, pages, validation

MAX_KEY_LENGTH = 100
MAX_NOTE_LENGTH = 200
MAX_TARGET_MONTHS = 24.0


@dataclass(frozen=True)
class EntryPage:
    items: list[BufferEntry]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.items[-1].id) if self.items else None


def encode_cursor(entry_id: int) -> str:
    return cursors.encode_cursor("entry", entry_id)


def decode_cursor(cursor: str) -> int:
    (value,) = cursors.decode_cursor(cursor, "entry", 1)
    try:
        return int(value)
    except ValueError:
        raise BadUserInput("after is not a cursor this API returned", field="after") from None


async def get_buffer(user: User) -> Buffer:
    """The user's buffer, created empty on first use."""
    buffer = await Buffer.get_or_none(user_id=user.id)
    if buffer is not None:
        return buffer
    try:
        return await Buffer.create(user_id=user.id)
    except IntegrityError:  # a concurrent first use created it
        return await Buffer.get(user_id=user.id)


async def list_entries(
    user: User, first: int = 20, after: str | None = None, limit: int = pages.DEFAULT_PAGE_SIZE
) -> EntryPage:
    pages.page_size(first, limit)
    buffer = await get_buffer(user)
    query = BufferEntry.filter(buffer_id=buffer.id)
    if after:
        query = query.filter(id__lt=decode_cursor(after))
    rows = await query.order_by("-id").limit(first + 1)
    return EntryPage(items=rows[:first], has_next_page=len(rows) > first)


async def count_entries(user: User) -> int:
    buffer = await get_buffer(user)
    return await BufferEntry.filter(buffer_id=buffer.id).count()


def _key(value: str) -> str:
    key = value.strip()
    if not key:
        raise BadUserInput("idempotencyKey must not be empty", field="idempotencyKey")
    if len(key) > MAX_KEY_LENGTH:
        raise BadUserInput(
            f"idempotencyKey must be at most {MAX_KEY_LENGTH} characters", field="idempotencyKey"
        )
    return key


async def deposit(user: User, amount: Decimal, key: str, note: str | None = None) -> BufferEntry:
    return await _apply(user, BufferEntryKind.DEPOSIT, amount, key, note)


async def withdraw(user: User, amount: Decimal, key: str, note: str | None = None) -> BufferEntry:
    return await _apply(user, BufferEntryKind.WITHDRAWAL, amount, key, note)


async def _apply(
    user: User, kind: BufferEntryKind, amount: Decimal, key: str, note: str | None
) -> BufferEntry:
    amount = validation.money(amount, "amount")
    key = _key(key)
    note = validation.text(note, "note", MAX_NOTE_LENGTH)
    buffer = await get_buffer(user)
    try:
        async with in_transaction() as connection:
            return await _apply_locked(buffer.id, kind, amount, key, note, connection)
    except IntegrityError:
        # The same key won a race on another connection: answer as that request did.
        return _same_request(
            await BufferEntry.get(buffer_id=buffer.id, idempotency_key=key), kind, amount, note
        )


async def _apply_locked(
    buffer_id: int,
    kind: BufferEntryKind,
    amount: Decimal,
    key: str,
    note: str,
    connection: BaseDBAsyncClient,
) -> BufferEntry:
    await locks.buffer_row(buffer_id, connection)  # the check below reads the balance
    earlier = await BufferEntry.get_or_none(
        buffer_id=buffer_id, idempotency_key=key, using_db=connection
    )
    if earlier is not None:
        return _same_request(earlier, kind, amount, note)
    buffer = await Buffer.get(id=buffer_id, using_db=connection)
    if kind == BufferEntryKind.WITHDRAWAL:
        if amount > buffer.balance:
            raise BadUserInput(
                f"amount exceeds the buffer balance of {buffer.balance}", field="amount"
            )
        buffer.balance -= amount
        buffer.total_withdrawn += amount
    else:
        buffer.balance += amount
        buffer.total_deposited += amount
    await buffer.save(
        using_db=connection, update_fields=["balance", "total_deposited", "total_withdrawn"]
    )
    return await BufferEntry.create(
        buffer_id=buffer_id,
        kind=kind,
        amount=amount,
        balance_after=buffer.balance,
        note=note,
        idempotency_key=key,
        using_db=connection,
    )


def _same_request(
    entry: BufferEntry, kind: BufferEntryKind, amount: Decimal, note: str
) -> BufferEntry:
    if (entry.kind, entry.amount, entry.note) != (kind, amount, note):
        raise Conflict(
            "idempotencyKey was already used for a different request", field="idempotencyKey"
        )
    return entry


async def update_settings(user: User, changes: dict[str, Any]) -> Buffer:
    """Set or clear (None) the target in months and the paycheck override."""
    buffer = await get_buffer(user)
    if "target_months" in changes:
        months = changes["target_months"]
        if months is not None and not 0.5 <= float(months) <= MAX_TARGET_MONTHS:
            raise BadUserInput(
                f"targetMonths must be between 0.5 and {MAX_TARGET_MONTHS:g}", field="targetMonths"
            )
        buffer.target_months = months
    if "paycheck_override" in changes:
        value = changes["paycheck_override"]
        buffer.paycheck_override = (
            None if value is None else validation.money(value, "paycheckOverride")
        )
    await buffer.save(update_fields=["target_months", "paycheck_override"])
    return buffer
