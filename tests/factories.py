"""Build users, income sources and transactions straight into the database for a test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from gql_server.models import Direction, IncomeSource, Transaction, User
from gql_server.services.balances import recompute_balances


async def make_user(email: str = "other@example.in", opening: str = "0.00") -> User:
    return await User.create(
        email=email,
        password_hash="x",
        full_name="Other Person",
        opening_balance=Decimal(opening),
    )


async def make_source(user_id: int, name: str = "Upwork") -> IncomeSource:
    return await IncomeSource.create(user_id=user_id, name=name)


async def make_transactions(
    user_id: int,
    count: int,
    *,
    start: datetime = datetime(2026, 1, 1, 6, 0, tzinfo=UTC),
    step: timedelta = timedelta(hours=7),
    source_ids: list[int] | None = None,
) -> list[Transaction]:
    """Alternating income and expenses at a fixed step, with exact running balances."""
    rows = []
    for i in range(count):
        income = i % 4 == 0
        rows.append(
            Transaction(
                user_id=user_id,
                occurred_at=start + i * step,
                amount=Decimal(f"{(i % 9 + 1) * 111}.{i % 100:02d}"),
                direction=Direction.INCOME if income else Direction.EXPENSE,
                category="Freelance income" if income else "Groceries",
                merchant="Acme Studio" if income else ("BigBasket" if i % 3 else "Zomato"),
                income_source_id=source_ids[i % len(source_ids)] if income and source_ids else None,
            )
        )
    await Transaction.bulk_create(rows, batch_size=500)
    async with in_transaction() as connection:
        await recompute_balances(user_id, start, connection)
    return await Transaction.filter(user_id=user_id).order_by("occurred_at", "id")


async def assert_balances_exact(user_id: int) -> None:
    user = await User.get(id=user_id)
    balance = user.opening_balance
    for row in await Transaction.filter(user_id=user_id).order_by("occurred_at", "id"):
        balance += row.amount if row.direction == Direction.INCOME else -row.amount
        assert row.balance_after == balance, (row.id, row.balance_after, balance)


async def give_generated_history(
    user_id: int, seed: int, pattern: str, days: int = 720, end: datetime | None = None
) -> None:
    """Replace a user's ledger with a generated one (same pattern, same numbers every run)."""
    from gql_server.generator.synth import generate_user
    from gql_server.services.generation import history_end

    generated = generate_user(seed, 0, days, end or history_end(None), (pattern,))
    await User.filter(id=user_id).update(
        opening_balance=generated.opening_balance, income_pattern=pattern
    )
    await Transaction.filter(user_id=user_id).delete()
    moments = generated.occurred_at.astype("datetime64[us]").tolist()
    rows = [
        Transaction(
            user_id=user_id,
            occurred_at=moment.replace(tzinfo=UTC),
            amount=Decimal(int(paise)) / 100,
            direction=Direction.INCOME if income else Direction.EXPENSE,
            category=category,
            merchant=merchant,
            balance_after=Decimal(int(balance)) / 100,
        )
        for moment, paise, income, category, merchant, balance in zip(
            moments,
            generated.amount_paise.tolist(),
            generated.is_income.tolist(),
            generated.category.tolist(),
            generated.merchant.tolist(),
            generated.balance_paise.tolist(),
            strict=True,
        )
    ]
    await Transaction.bulk_create(rows, batch_size=1000)
