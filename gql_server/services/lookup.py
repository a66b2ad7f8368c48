"""Rows by id for global object identification (`node`, `nodes`), always within what the caller
may see: a user's own rows, or generation jobs for an administrator. An id that is not a
number, is out of the column's range, or names a row the caller may not see is simply absent
from the answer, exactly like a missing row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from tortoise.models import Model

from gql_server.models import (
    Alert,
    BufferEntry,
    CategoryRule,
    GenerationJob,
    IncomeSource,
    Insight,
    RecurringItem,
    Role,
    Transaction,
    User,
    Webhook,
)
from gql_server.services.validation import BIGINT_ID_MAX, INT_ID_MAX

M = TypeVar("M", bound=Model)

# Per-user tables, the bound of their primary key, and the filter that keeps them the user's.
_ID_MAX: dict[type[Model], int] = {
    Transaction: BIGINT_ID_MAX,
    IncomeSource: INT_ID_MAX,
    RecurringItem: BIGINT_ID_MAX,
    BufferEntry: BIGINT_ID_MAX,
    Insight: BIGINT_ID_MAX,
    GenerationJob: INT_ID_MAX,
    CategoryRule: BIGINT_ID_MAX,
    Alert: BIGINT_ID_MAX,
    Webhook: INT_ID_MAX,
}


def _as_id(value: str, maximum: int) -> int | None:
    """The id a string names, if a column bounded by `maximum` can hold it."""
    if value.isascii() and value.isdigit() and len(value) < 20 and 0 < int(value) <= maximum:
        return int(value)
    return None


async def owned(model: type[M], user: User, raw_ids: Sequence[str]) -> list[M | None]:
    """The caller's rows for `raw_ids`, in their order, None where there is none to see.
    Generation jobs are visible to administrators only (they are nobody's own data)."""
    ids = [_as_id(value, _ID_MAX[model]) for value in raw_ids]
    wanted = [i for i in ids if i is not None]
    if not wanted or (model is GenerationJob and user.role != Role.ADMIN):
        return [None] * len(ids)
    query = model.filter(id__in=wanted)
    if model is BufferEntry:
        query = query.filter(buffer__user_id=user.id)
    elif model is not GenerationJob:
        query = query.filter(user_id=user.id)
    rows = {row.pk: row for row in await query}
    return [rows.get(i) if i is not None else None for i in ids]
