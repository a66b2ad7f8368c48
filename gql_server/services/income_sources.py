"""Income sources: the clients, platforms and employers a user earns from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from gql_server import locks
from gql_server.errors import BadUserInput, NotFound
from gql_server.models import IncomeFrequency, IncomeKind, IncomeSource, User
from gql_server.services import validation
from gql_server.services.validation import object_id

MAX_SOURCES_PER_USER = 200


@dataclass(frozen=True)
class IncomeSourceForm:
    name: str
    kind: IncomeKind = IncomeKind.CLIENT
    frequency: IncomeFrequency = IncomeFrequency.IRREGULAR
    expected_monthly_amount: Decimal | None = None
    tds_percent: Decimal | None = None


MAX_TDS_PERCENT = Decimal("30")  # above any TDS rate on fees (194J's is 10%)


async def list_income_sources(user: User) -> list[IncomeSource]:
    return await IncomeSource.filter(user_id=user.id).order_by("name", "id")


async def get_income_source(user: User, source_id: str) -> IncomeSource:
    """The caller's income source; another user's reads exactly like a missing one."""
    source = await IncomeSource.get_or_none(
        id=object_id(source_id, "income source"), user_id=user.id
    )
    if source is None:
        raise NotFound("income source not found", field="id")
    return source


def _expected(amount: Decimal | None) -> Decimal | None:
    if amount is None:
        return None
    return validation.money(amount, "expectedMonthlyAmount", allow_zero=True)


def _tds(percent: Decimal | None) -> Decimal | None:
    """A TDS rate in percent with at most two places, 0..30 (None: none withheld)."""
    if percent is None:
        return None
    if not (
        percent.is_finite()
        and Decimal(0) <= percent <= MAX_TDS_PERCENT
        and percent == percent.quantize(Decimal("0.01"))
    ):
        raise BadUserInput(
            f"tdsPercent must be between 0 and {MAX_TDS_PERCENT} with at most two decimals",
            field="tdsPercent",
        )
    return percent


async def create_income_source(user: User, form: IncomeSourceForm) -> IncomeSource:
    name = validation.text(form.name, "name", 100, required=True)
    expected = _expected(form.expected_monthly_amount)
    tds = _tds(form.tds_percent)
    async with in_transaction() as connection:
        # Counted under the user's row lock: concurrent creates at 199 end at 200, not past it.
        await locks.user_row(user.id, connection)
        if await IncomeSource.filter(user_id=user.id).using_db(connection).count() >= (
            MAX_SOURCES_PER_USER
        ):
            raise BadUserInput(f"a user can have at most {MAX_SOURCES_PER_USER} income sources")
        return await IncomeSource.create(
            user_id=user.id,
            name=name,
            kind=form.kind,
            frequency=form.frequency,
            expected_monthly_amount=expected,
            tds_percent=tds,
            using_db=connection,
        )


async def update_income_source(user: User, source_id: str, changes: dict[str, Any]) -> IncomeSource:
    """Apply the fields present in `changes` (a value of None clears the expected amount)."""
    source = await get_income_source(user, source_id)
    if "name" in changes:
        source.name = validation.text(changes["name"], "name", 100, required=True)
    if changes.get("kind") is not None:
        source.kind = IncomeKind(changes["kind"])
    if changes.get("frequency") is not None:
        source.frequency = IncomeFrequency(changes["frequency"])
    if "expected_monthly_amount" in changes:
        source.expected_monthly_amount = _expected(changes["expected_monthly_amount"])
    if "tds_percent" in changes:
        source.tds_percent = _tds(changes["tds_percent"])
    await source.save()
    return source


async def delete_income_source(user: User, source_id: str) -> None:
    """Delete the source; its transactions stay, no longer linked to it."""
    source = await get_income_source(user, source_id)
    await source.delete()
