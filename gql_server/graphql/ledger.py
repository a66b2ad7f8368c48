"""Transactions and cash flow in GraphQL: types, the connection, filters and mutations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeAlias
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.core.statements import narration
from gql_server.errors import NotFound
from gql_server.graphql.context import Info
from gql_server.graphql.ids import local_id
from gql_server.graphql.income_sources import (
    IncomeSourceType,
    linked_income_source,
    present_fields,
)
from gql_server.graphql.pagination import Connection, Edge, page_info
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import cashflow as cashflow_service
from gql_server.services import ledger, lookup, validation

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
Direction: TypeAlias = models.Direction
strawberry.enum(models.Direction, name="Direction")


PaymentMode: TypeAlias = narration.PaymentMode
strawberry.enum(
    narration.PaymentMode,
    name="PaymentMode",
    description="The rail money moved on, as a bank statement's narration names it.",
)


Interval: TypeAlias = cashflow_service.Interval
strawberry.enum(cashflow_service.Interval, name="Interval")


@strawberry.type(name="Transaction")
class TransactionType(relay.Node):
    id: relay.NodeID[int]
    occurred_at: datetime = strawberry.field(description="In the user's time zone.")
    amount: Decimal = strawberry.field(description="Always greater than 0; see direction.")
    direction: Direction
    category: str
    merchant: str
    description: str
    balance_after: Decimal = strawberry.field(
        description="The user's balance right after this transaction (negative in overdraft)."
    )
    exclude_from_forecast: bool | None = strawberry.field(
        description="Your word on the forecast: true keeps this row out of what the model "
        "learns (a one-off), false keeps it in whole; null lets the outlier rule decide (it "
        "clips a one-off to what is usual for its category)."
    )
    mode: PaymentMode | None = strawberry.field(
        description="The rail a bank statement named; null for rows entered by hand that no "
        "statement confirmed."
    )
    counterparty_vpa: str | None = strawberry.field(
        description="The other side's UPI address, when the statement gave one."
    )
    reference: str | None = strawberry.field(
        description="The bank's own reference (UPI or IMPS RRN, NEFT/RTGS UTR, cheque number, "
        "Account Aggregator txnId): what a re-import recognises the row by."
    )
    import_id: strawberry.ID | None = strawberry.field(
        description="The statement import that added this row (its StatementImport id); null "
        "for rows entered by hand, even when a statement confirmed them."
    )
    income_source_id: strawberry.Private[int | None]

    @strawberry.field
    async def income_source(self, info: Info) -> IncomeSourceType | None:
        return await linked_income_source(info, self.income_source_id)

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[TransactionType | None]:
        user = await info.context.require_user()
        zone = ZoneInfo(user.timezone)
        rows = await lookup.owned(models.Transaction, user, node_ids)
        return [to_gql_transaction(row, zone) if row else None for row in rows]


def to_gql_transaction(
    row: models.Transaction | ledger.TransactionRow, zone: ZoneInfo
) -> TransactionType:
    return TransactionType(
        id=row.id,
        occurred_at=row.occurred_at.astimezone(zone),
        amount=row.amount,
        direction=models.Direction(row.direction),
        category=row.category,
        merchant=row.merchant,
        description=row.description,
        balance_after=row.balance_after,
        exclude_from_forecast=row.exclude_from_forecast,
        mode=narration.PaymentMode(row.mode) if row.mode else None,
        counterparty_vpa=row.counterparty_vpa,
        reference=row.reference,
        import_id=import_global_id(row.import_id) if row.import_id is not None else None,
        income_source_id=row.income_source_id,
    )


def import_global_id(import_id: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID("StatementImport", str(import_id))))


@strawberry.input
class TransactionFilter:
    from_: date | None = strawberry.field(default=None, name="from", description="Local date.")
    to: date | None = strawberry.field(default=None, description="Local date, inclusive.")
    direction: Direction | None = None
    category: str | None = None
    merchant: str | None = strawberry.field(default=None, description="Part of the name.")
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


def to_service_filter(f: TransactionFilter | None, timezone: str) -> ledger.TransactionFilter:
    if f is None:
        return ledger.TransactionFilter()
    zone = ZoneInfo(timezone)
    validation.calendar_day(f.from_, "from")
    validation.calendar_day(f.to, "to")
    return ledger.TransactionFilter(
        since=datetime.combine(f.from_, time.min, zone) if f.from_ else None,
        until=datetime.combine(f.to + timedelta(days=1), time.min, zone) if f.to else None,
        direction=models.Direction(f.direction) if f.direction else None,
        category=f.category,
        merchant=f.merchant,
        min_amount=f.min_amount,
        max_amount=f.max_amount,
    )


@strawberry.input
class TransactionInput:
    occurred_at: datetime = strawberry.field(description="Without an offset: the user's zone.")
    amount: Decimal = strawberry.field(description='Rupees, > 0, at most 2 decimals: "4819.41".')
    direction: Direction
    category: str | None = strawberry.field(
        default=None, description="Left out: assigned from the merchant."
    )
    merchant: str = ""
    description: str = ""
    income_source_id: strawberry.ID | None = None


@strawberry.input
class TransactionPatch:
    occurred_at: datetime | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    direction: Direction | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    merchant: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    income_source_id: strawberry.ID | None = strawberry.UNSET
    exclude_from_forecast: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true: keep out of the forecast's baseline; false: keep in; null: automatic.",
    )


@strawberry.type
class CashflowPeriod:
    start: date
    end: date = strawberry.field(description="Last day of the period, inclusive.")
    income: Decimal
    expenses: Decimal
    net: Decimal
    essential_expenses: Decimal = strawberry.field(
        description="Rent, groceries, bills, EMIs... the part of expenses that must be paid."
    )
    transaction_count: int


async def resolve_transactions(
    info: Info, first: int, after: str | None, filter: TransactionFilter | None
) -> Connection[TransactionType]:
    user = await info.context.require_user()
    page = await ledger.list_transactions(
        user,
        first,
        after,
        to_service_filter(filter, user.timezone),
        limit=info.context.settings.max_page_size,
    )
    zone = ZoneInfo(user.timezone)
    edges = [
        Edge(cursor=ledger.encode_cursor(row), node=to_gql_transaction(row, zone))
        for row in page.items
    ]
    return Connection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], page.has_next_page, page.end_cursor, after),
        count=lambda: ledger.count_transactions(page.filters),
    )


async def resolve_cashflow(
    info: Info, interval: Interval, from_: date | None, to: date | None
) -> list[CashflowPeriod]:
    user = await info.context.require_user()
    periods = await cashflow_service.cashflow(user, cashflow_service.Interval(interval), from_, to)
    return [
        CashflowPeriod(
            start=p.start,
            end=p.end,
            income=p.income,
            expenses=p.expenses,
            net=p.net,
            essential_expenses=p.essential_expenses,
            transaction_count=p.transaction_count,
        )
        for p in periods
    ]


@strawberry.type
class LedgerQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Null unless it is the caller's."
    )
    async def transaction(self, info: Info, id: strawberry.ID) -> TransactionType | None:
        user = await info.context.require_user()
        try:
            row = await ledger.get_transaction(user, local_id(id, "Transaction"))
        except NotFound:
            return None
        return to_gql_transaction(row, ZoneInfo(user.timezone)) if row else None


@strawberry.type
class LedgerMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def create_transaction(self, info: Info, input: TransactionInput) -> TransactionType:
        user = await info.context.require_user()
        form = ledger.TransactionForm(
            occurred_at=input.occurred_at,
            amount=input.amount,
            direction=models.Direction(input.direction),
            category=input.category,
            merchant=input.merchant,
            description=input.description,
            income_source_id=local_id(input.income_source_id, "IncomeSource")
            if input.income_source_id is not None
            else None,
        )
        row = await ledger.create_transaction(
            user, form, max_transactions=info.context.settings.max_ledger_transactions
        )
        return to_gql_transaction(row, ZoneInfo(user.timezone))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_transaction(
        self, info: Info, id: strawberry.ID, input: TransactionPatch
    ) -> TransactionType:
        user = await info.context.require_user()
        changes = present_fields(input)
        if changes.get("income_source_id") is not None:
            changes["income_source_id"] = local_id(changes["income_source_id"], "IncomeSource")
        row = await ledger.update_transaction(user, local_id(id, "Transaction"), changes)
        return to_gql_transaction(row, ZoneInfo(user.timezone))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def delete_transaction(self, info: Info, id: strawberry.ID) -> bool:
        user = await info.context.require_user()
        await ledger.delete_transaction(user, local_id(id, "Transaction"))
        return True
