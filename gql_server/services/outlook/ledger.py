"""The ledger as the outlook reads it: arrays, built off the event loop. PostgreSQL sends the
rows as CSV through COPY, parsed by pandas' C reader; the outlook's own reads leave the
parsing to the worker process that computes with them (`RawLedger`), others parse in a
thread."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from gql_server import db
from gql_server.core.known_money.plan import AUTOMATIC, EXCLUDE, INCLUDE
from gql_server.core.series import Ledger
from gql_server.models import User

# Money as floats for the statistics (the one place they are allowed), cast by the database:
# a Decimal object per value would cost more than the row.
# PostgreSQL sends the ledger as CSV through COPY, parsed into arrays by pandas' C reader in a
# thread: row tuples cost 0.26 s of the event loop and 0.2 s more of Python for 100,000 rows
# (a datetime, two floats and two strings per row), and a what-if stalled every request.
_LEDGER_COLUMNS = (
    "id",
    "at",
    "amount",
    "income",
    "category",
    "merchant",
    "source",
    "balance",
    "exclude",
)
_LEDGER_POSTGRES = """
SELECT id, FLOOR(EXTRACT(EPOCH FROM occurred_at))::bigint, amount::float8,
       CASE WHEN direction = 'income' THEN 1 ELSE 0 END, category, merchant,
       COALESCE(income_source_id, -1), balance_after::float8,
       CASE exclude_from_forecast WHEN TRUE THEN 1 WHEN FALSE THEN 0 ELSE -1 END
  FROM ledger_transaction WHERE user_id = $1 ORDER BY occurred_at, id
"""
_LEDGER = """
SELECT id, occurred_at, CAST(amount AS DOUBLE PRECISION), direction = 'income', category,
       merchant, COALESCE(income_source_id, -1), CAST(balance_after AS DOUBLE PRECISION),
       exclude_from_forecast
  FROM ledger_transaction WHERE user_id = $1 ORDER BY occurred_at, id
"""


@dataclass(frozen=True)
class LoadedLedger:
    """The ledger as the core reads it, with what stays beside it, one entry per row."""

    ledger: Ledger
    merchants: np.ndarray  # object array of str
    ids: np.ndarray  # int64 transaction ids
    overrides: np.ndarray  # int8: known_money.plan.EXCLUDE, INCLUDE or AUTOMATIC


@dataclass(frozen=True)
class RawLedger:
    """The user's ledger as PostgreSQL sent it, COPY's CSV, not parsed yet: the outlook ships
    it to the worker process that computes with it, which parses it (`parse`). Parsed in a
    thread of the server, 100,000 rows took 11 s instead of about 0.1 s while the event loop
    was busy with other requests: the thread got the GIL back only at the interpreter's
    switch intervals (bench/large_ledger.py). SQLite's rows (the embedded database) come as
    Python tuples, parsed in a thread as they are read and kept in the `parsed` field."""

    csv: bytes | None
    parsed: LoadedLedger | None
    opening_balance: float
    timezone: str
    as_of: date

    def parse(self) -> LoadedLedger:
        if self.parsed is not None:
            return self.parsed
        return _from_csv(self.csv or b"", self.opening_balance, self.timezone, self.as_of)


async def read_ledger(user: User, as_of: date) -> RawLedger:
    """The user's ledger as the database sends it (`RawLedger`)."""
    opening, zone = float(user.opening_balance), user.timezone
    if db.is_sqlite():
        rows = await db.fetch_tuples(_LEDGER, user.id)
        parsed = await asyncio.to_thread(_as_arrays, rows, opening, zone, as_of)
        return RawLedger(None, parsed, opening_balance=opening, timezone=zone, as_of=as_of)
    text = await db.copy_out_csv(_LEDGER_POSTGRES, user.id)
    return RawLedger(text, None, opening_balance=opening, timezone=zone, as_of=as_of)


async def load_ledger(user: User, as_of: date) -> Ledger:
    return (await load_ledger_rows(user, as_of)).ledger


async def load_ledger_rows(user: User, as_of: date) -> LoadedLedger:
    """The user's ledger as arrays, built in a thread: on PostgreSQL from COPY's CSV (pandas'
    C reader), on SQLite from row tuples. For a large ledger that is work the event loop
    would otherwise spend (0.45 s for 100,000 rows as tuples on the loop)."""
    return await asyncio.to_thread((await read_ledger(user, as_of)).parse)


def _from_csv(text: bytes, opening_balance: float, timezone: str, as_of: date) -> LoadedLedger:
    if not text:  # no transactions (pandas refuses an empty file)
        return _as_arrays((), opening_balance, timezone, as_of)
    table = pd.read_csv(
        io.BytesIO(text),
        header=None,
        names=list(_LEDGER_COLUMNS),
        dtype={"category": object, "merchant": object},
        keep_default_na=False,  # an empty merchant is "", not NaN
    )
    exclude = table["exclude"].to_numpy()
    ledger = Ledger(
        occurred_at=table["at"].to_numpy(dtype=np.int64).astype("datetime64[s]"),
        amount=table["amount"].to_numpy(dtype=np.float64),
        is_income=table["income"].to_numpy(dtype=np.int8).astype(bool),
        category=table["category"].to_numpy(dtype=object),
        source_id=table["source"].to_numpy(dtype=np.int64),
        balance_after=table["balance"].to_numpy(dtype=np.float64),
        opening_balance=opening_balance,
        timezone=timezone,
        as_of=as_of,
    )
    overrides = np.select([exclude == 1, exclude == 0], [EXCLUDE, INCLUDE], AUTOMATIC)
    return LoadedLedger(
        ledger=ledger,
        merchants=table["merchant"].to_numpy(dtype=object),
        ids=table["id"].to_numpy(dtype=np.int64),
        overrides=overrides.astype(np.int8),
    )


_OVERRIDE = {None: AUTOMATIC, True: EXCLUDE, False: INCLUDE}  # SQLite's 1 and 0 are equal


def _as_arrays(
    rows: Sequence[Sequence[Any]], opening_balance: float, timezone: str, as_of: date
) -> LoadedLedger:
    (ids, moments, amounts, incoming, categories, merchants, sources, balances, excluded) = (
        zip(*rows, strict=True) if rows else ((),) * 9
    )
    if moments and isinstance(moments[0], str):  # SQLite hands back text
        moments = tuple(
            datetime.fromisoformat(m).astimezone(UTC).replace(tzinfo=None) for m in moments
        )
    ledger = Ledger(
        occurred_at=np.array(moments, dtype="datetime64[s]"),
        amount=np.array(amounts, dtype=np.float64),
        is_income=np.array(incoming, dtype=bool),
        category=np.array(categories, dtype=object),
        source_id=np.array(sources, dtype=np.int64),
        balance_after=np.array(balances, dtype=np.float64),
        opening_balance=opening_balance,
        timezone=timezone,
        as_of=as_of,
    )
    return LoadedLedger(
        ledger=ledger,
        merchants=np.array(merchants, dtype=object),
        ids=np.array(ids, dtype=np.int64),
        overrides=np.array([_OVERRIDE[e] for e in excluded], dtype=np.int8),
    )
