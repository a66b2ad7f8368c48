"""Running balances: every transaction stores the balance right after it, kept exact on change.

After any insert, update or delete, the balances from the earliest affected moment onwards are
recomputed in one pass. Appending today's transaction touches one row; a back-dated change
touches the rows after it (measured in bench/ledger_reads.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from gql_server import db

_BALANCE_BEFORE = """
SELECT COALESCE(
  (SELECT balance_after FROM ledger_transaction
    WHERE user_id = $1 AND occurred_at < $2
    ORDER BY occurred_at DESC, id DESC LIMIT 1),
  (SELECT opening_balance FROM app_user WHERE id = $1)) AS balance
"""

# PostgreSQL: NUMERIC arithmetic is exact, so the database does the whole pass.
_RECOMPUTE_POSTGRES = """
WITH running AS (
  SELECT id, $3::numeric + SUM(CASE WHEN direction = 'income' THEN amount ELSE -amount END)
           OVER (ORDER BY occurred_at, id) AS balance
    FROM ledger_transaction
   WHERE user_id = $1 AND occurred_at >= $2
)
UPDATE ledger_transaction AS t SET balance_after = running.balance
  FROM running
 WHERE t.id = running.id AND t.balance_after IS DISTINCT FROM running.balance
"""

# SQLite keeps decimals as text and would sum them as floats, so Python adds them up.
_ROWS_FROM = """
SELECT id, amount, direction, balance_after FROM ledger_transaction
 WHERE user_id = $1 AND occurred_at >= $2 ORDER BY occurred_at, id
"""
_SET_BALANCE = "UPDATE ledger_transaction SET balance_after = $1 WHERE id = $2"


async def balance_before(user_id: int, moment: datetime, connection: BaseDBAsyncClient) -> Decimal:
    """The user's balance just before `moment`: after the last row earlier than it, or the
    opening balance when there is none."""
    at = db.sql_timestamp(moment, connection)
    rows = await db.fetch_rows(_BALANCE_BEFORE, user_id, at, connection=connection)
    return Decimal(str(rows[0]["balance"]))


async def recompute_balances(user_id: int, since: datetime, connection: BaseDBAsyncClient) -> None:
    """Rewrite balance_after for the user's transactions at or after `since`."""
    at = db.sql_timestamp(since, connection)
    base = await balance_before(user_id, since, connection)
    if not db.is_sqlite(connection):
        await db.execute(_RECOMPUTE_POSTGRES, user_id, at, base, connection=connection)
        return
    balance = base
    changes: list[list[object]] = []
    for row in await db.fetch_rows(_ROWS_FROM, user_id, at, connection=connection):
        amount = Decimal(str(row["amount"]))
        balance += amount if row["direction"] == "income" else -amount
        if Decimal(str(row["balance_after"])) != balance:
            changes.append([str(balance), row["id"]])
    if changes:
        await db.execute_many(_SET_BALANCE, changes, connection=connection)
