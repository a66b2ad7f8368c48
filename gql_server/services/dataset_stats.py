"""What is in the database: the dataset's statistics (the reference report's table) and the
data-quality checks `gql-server validate` runs. Plain SQL that runs on PostgreSQL and SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gql_server import clock, db

# Amounts compared in whole paise, so SQLite (decimals kept as text) checks them exactly.
_PAISE = "CAST(ROUND({} * 100) AS BIGINT)"
_SIGNED = (
    f"CASE WHEN t.direction = 'income' THEN {_PAISE.format('t.amount')} "
    f"ELSE -{_PAISE.format('t.amount')} END"
)

_TOTALS = f"""
SELECT
  (SELECT COUNT(*) FROM app_user WHERE role = 'user') AS users,
  (SELECT COUNT(*) FROM income_source) AS sources,
  COUNT(*) AS transactions,
  COALESCE(SUM(CASE WHEN direction = 'income' THEN 1 ELSE 0 END), 0) AS income_count,
  COALESCE(SUM(CASE WHEN direction = 'income' THEN {_PAISE.format("amount")} ELSE 0 END), 0)
    AS income_paise,
  COALESCE(SUM(CASE WHEN direction = 'expense' THEN {_PAISE.format("amount")} ELSE 0 END), 0)
    AS expense_paise,
  COALESCE(SUM(CASE WHEN {_PAISE.format("balance_after")} < 0 THEN 1 ELSE 0 END), 0)
    AS negative
FROM ledger_transaction
"""

_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "every user has transactions",
        "SELECT COUNT(*) AS n FROM app_user u WHERE u.role = 'user' AND NOT EXISTS "
        "(SELECT 1 FROM ledger_transaction t WHERE t.user_id = u.id)",
    ),
    (
        "every generated user has income sources",
        "SELECT COUNT(*) AS n FROM app_user u WHERE u.generation_job_id IS NOT NULL AND "
        "NOT EXISTS (SELECT 1 FROM income_source s WHERE s.user_id = u.id)",
    ),
    (
        "every generated user has a buffer",
        "SELECT COUNT(*) AS n FROM app_user u WHERE u.generation_job_id IS NOT NULL AND "
        "NOT EXISTS (SELECT 1 FROM buffer b WHERE b.user_id = u.id)",
    ),
    (
        "no buffer balance below zero, and each equals its deposits minus withdrawals",
        f"SELECT COUNT(*) AS n FROM buffer b WHERE {_PAISE.format('b.balance')} < 0 OR "
        f"{_PAISE.format('b.balance')} <> COALESCE((SELECT SUM(CASE WHEN e.kind = 'deposit' "
        f"THEN {_PAISE.format('e.amount')} ELSE -{_PAISE.format('e.amount')} END) "
        "FROM buffer_entry e WHERE e.buffer_id = b.id), 0)",
    ),
    (
        "no amount is zero or negative",
        f"SELECT COUNT(*) AS n FROM ledger_transaction t WHERE {_PAISE.format('t.amount')} <= 0",
    ),
    (
        "dates in range (2000 to 31 days ahead)",
        "SELECT COUNT(*) AS n FROM ledger_transaction WHERE occurred_at < $1 OR occurred_at > $2",
    ),
    (
        "income sources belong to the transaction's user",
        "SELECT COUNT(*) AS n FROM ledger_transaction t JOIN income_source s "
        "ON s.id = t.income_source_id WHERE s.user_id <> t.user_id",
    ),
    (
        "every balance equals opening balance plus the signed amounts before it",
        f"""SELECT COUNT(*) AS n FROM (
              SELECT {_PAISE.format("t.balance_after")} AS stored,
                     {_PAISE.format("u.opening_balance")} + SUM({_SIGNED})
                       OVER (PARTITION BY t.user_id ORDER BY t.occurred_at, t.id) AS expected
                FROM ledger_transaction t JOIN app_user u ON u.id = t.user_id) AS b
            WHERE stored <> expected""",
    ),
)


@dataclass(frozen=True)
class Statistics:
    users: int
    transactions: int
    transactions_per_user: float
    income_share: float
    avg_income: Decimal
    avg_expense: Decimal
    income_over_expenses: float
    sources_per_user: float
    negative_balance_share: float
    buffers: int = 0
    avg_buffer_balance: Decimal = Decimal("0.00")
    avg_buffer_deposited: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class CheckResult:
    name: str
    offending_rows: int

    @property
    def passed(self) -> bool:
        return self.offending_rows == 0


_BUFFERS = f"""
SELECT COUNT(*) AS buffers,
       COALESCE(SUM({_PAISE.format("balance")}), 0) AS balance_paise,
       COALESCE(SUM({_PAISE.format("total_deposited")}), 0) AS deposited_paise
FROM buffer
"""


def _mean_rupees(paise: int, count: int) -> Decimal:
    return (Decimal(paise) / 100 / count).quantize(Decimal("0.01")) if count else Decimal("0.00")


async def dataset_statistics() -> Statistics:
    row = (await db.fetch_rows(_TOTALS))[0]
    buffers = (await db.fetch_rows(_BUFFERS))[0]
    buffer_count = int(buffers["buffers"])
    users, count = int(row["users"]), int(row["transactions"])
    income_count = int(row["income_count"])
    expense_count = count - income_count
    income, expense = int(row["income_paise"]), int(row["expense_paise"])
    return Statistics(
        users=users,
        transactions=count,
        transactions_per_user=count / users if users else 0.0,
        income_share=income_count / count if count else 0.0,
        avg_income=(Decimal(income) / 100 / income_count).quantize(Decimal("0.01"))
        if income_count
        else Decimal("0.00"),
        avg_expense=(Decimal(expense) / 100 / expense_count).quantize(Decimal("0.01"))
        if expense_count
        else Decimal("0.00"),
        income_over_expenses=income / expense if expense else 0.0,
        sources_per_user=int(row["sources"]) / users if users else 0.0,
        negative_balance_share=int(row["negative"]) / count if count else 0.0,
        buffers=buffer_count,
        avg_buffer_balance=_mean_rupees(int(buffers["balance_paise"]), buffer_count),
        avg_buffer_deposited=_mean_rupees(int(buffers["deposited_paise"]), buffer_count),
    )


async def quality_checks() -> list[CheckResult]:
    low = db.sql_timestamp(datetime(2000, 1, 1, tzinfo=UTC))
    high = db.sql_timestamp(clock.now() + timedelta(days=31))
    results = []
    for name, sql in _CHECKS:
        params = (low, high) if "$1" in sql else ()
        rows = await db.fetch_rows(sql, *params)
        results.append(CheckResult(name, int(rows[0]["n"])))
    return results
