"""Turn generated users into what the database's bulk path takes: PostgreSQL COPY text and
SQLite rows. Pure and picklable, so a worker (thread or process) can build a chunk while the
event loop writes the previous one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from gql_server.auth.emails import email_skeleton
from gql_server.generator.synth import GeneratedUser, generate_user

# COPY's text format: backslash, tab, newline and carriage return must be escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
USER_COLUMNS = (
    "id",
    "email",
    "email_skeleton",
    "password_hash",
    "full_name",
    "city",
    "occupation",
    "income_pattern",
    "generation_job_id",
    "currency",
    "timezone",
    "role",
    "is_active",
    "token_version",
    "opening_balance",
    "created_at",
    "updated_at",
)
SOURCE_COLUMNS = (
    "id",
    "user_id",
    "name",
    "kind",
    "frequency",
    "expected_monthly_amount",
    "created_at",
)
TRANSACTION_COLUMNS = (
    "user_id",
    "occurred_at",
    "amount",
    "direction",
    "category",
    "merchant",
    "description",
    "income_source_id",
    "balance_after",
    "created_at",
    "updated_at",
)
MAX_SOURCES_PER_USER = 3


@dataclass(frozen=True)
class ChunkRequest:
    """Everything a worker needs to generate and encode users `first .. first + count - 1`."""

    seed: int
    first: int
    count: int
    days: int
    end: datetime
    patterns: tuple[str, ...]
    user_ids: tuple[int, ...]
    source_ids: tuple[int, ...]  # MAX_SOURCES_PER_USER reserved per user, unused ones skipped
    password_hash: str
    job_id: int | None
    created_at: datetime
    dialect: str  # "postgres" (COPY text) or "sqlite" (row tuples)
    # The demo account: a generated history under a known address.
    email_override: str | None = None


@dataclass(frozen=True)
class ChunkPayload:
    users: Any  # bytes for COPY, or a list of row lists for SQLite
    sources: Any
    transactions: Any
    user_count: int
    transaction_count: int
    emails: tuple[str, ...]


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _copy_lines(rows: Sequence[Sequence[object]]) -> bytes:
    return "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows).encode()


def paise_text(paise: np.ndarray) -> np.ndarray:
    """Exact rupee strings ("4819.41", "-12.05") from integer paise, vectorised."""
    sign = np.where(paise < 0, "-", "")
    magnitude = np.abs(paise)
    rupees = (magnitude // 100).astype(str)
    cents = np.char.zfill((magnitude % 100).astype(str), 2)
    return np.char.add(np.char.add(np.char.add(sign, rupees), "."), cents)


def _timestamp_text(moments: np.ndarray, dialect: str) -> np.ndarray:
    # SQLite must match the text Tortoise stores ("YYYY-MM-DD HH:MM:SS+00:00");
    # PostgreSQL reads the same text as a UTC instant.
    text = np.datetime_as_string(moments.astype("datetime64[s]"), unit="s")
    return np.char.add(np.char.replace(text, "T", " "), "+00:00")


def _email(user: GeneratedUser, request: ChunkRequest) -> str:
    return request.email_override or user.email


def _user_row(user: GeneratedUser, user_id: int, request: ChunkRequest) -> list[object]:
    created = str(request.created_at)
    email = _email(user, request)
    return [
        user_id,
        email,
        email_skeleton(email),
        request.password_hash,
        user.full_name,
        user.city,
        user.occupation,
        user.income_pattern,
        request.job_id,
        "INR",
        "Asia/Kolkata",
        "user",
        True,
        0,
        f"{user.opening_balance:.2f}",
        created,
        created,
    ]


def build_chunk(request: ChunkRequest) -> ChunkPayload:
    users_rows: list[list[object]] = []
    source_rows: list[list[object]] = []
    transaction_parts: list[Any] = []
    emails: list[str] = []
    transactions = 0
    created = str(request.created_at)
    for offset in range(request.count):
        user = generate_user(
            request.seed, request.first + offset, request.days, request.end, request.patterns
        )
        user_id = request.user_ids[offset]
        reserved = request.source_ids[
            offset * MAX_SOURCES_PER_USER : (offset + 1) * MAX_SOURCES_PER_USER
        ]
        users_rows.append(_user_row(user, user_id, request))
        emails.append(_email(user, request))
        for source, source_id in zip(user.sources, reserved, strict=False):
            source_rows.append(
                [
                    source_id,
                    user_id,
                    source.name,
                    source.kind,
                    source.frequency,
                    f"{source.expected_monthly_amount:.2f}",
                    created,
                ]
            )
        transaction_parts.append(_transaction_rows(user, user_id, reserved, request, created))
        transactions += user.transaction_count
    if request.dialect == "sqlite":
        rows = [row for part in transaction_parts for row in part]
        return ChunkPayload(
            users_rows, source_rows, rows, request.count, transactions, tuple(emails)
        )
    return ChunkPayload(
        _copy_lines(users_rows),
        _copy_lines(source_rows),
        b"".join(transaction_parts),
        request.count,
        transactions,
        tuple(emails),
    )


def _transaction_rows(
    user: GeneratedUser,
    user_id: int,
    reserved_sources: Sequence[int],
    request: ChunkRequest,
    created: str,
) -> Any:
    n = user.transaction_count
    source_lookup = np.array([*reserved_sources, -1], dtype=np.int64)
    source_ids = source_lookup[np.where(user.source_index >= 0, user.source_index, -1)]
    columns = [
        [str(user_id)] * n,
        _timestamp_text(user.occurred_at, request.dialect).tolist(),
        paise_text(user.amount_paise).tolist(),
        np.where(user.is_income, "income", "expense").tolist(),
        user.category.tolist(),
        user.merchant.tolist(),
        user.description.tolist(),
        source_ids.tolist(),
        paise_text(user.balance_paise).tolist(),
        [created] * n,
        [created] * n,
    ]
    if request.dialect == "sqlite":
        rows = [list(row) for row in zip(*columns, strict=True)]
        for row in rows:
            row[0] = user_id
            row[7] = None if row[7] < 0 else row[7]
        return rows
    columns[7] = ["\\N" if s < 0 else str(s) for s in columns[7]]
    for index in (4, 5, 6):  # text: category, merchant and description
        columns[index] = [text.translate(_COPY_ESCAPES) for text in columns[index]]
    return ("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n").encode()


def day_end(moment: datetime) -> datetime:
    """Midnight after `moment` in its own zone: the exclusive end of a generated history."""
    return (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
