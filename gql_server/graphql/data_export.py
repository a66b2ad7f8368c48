"""exportMyData: everything the server holds about the caller, as JSON, in pages of
transactions (GET /export streams the same document as one file)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from gql_server.graphql.context import Info
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import data_export


@strawberry.type(
    description="A page of the caller's data export. The first page (no transactionsAfter) "
    "holds every section; later pages hold only `transactions`."
)
class DataExport:
    generated_at: datetime = strawberry.field(description="When this page was read.")
    data: JSON = strawberry.field(
        description="The first page: {profile, transactions, incomeSources, recurringItems, "
        "buffer (with entries), forecast, insights, statementImports, categoryRules, "
        "taxProfile, taxPayments, alertSettings, alerts, webhooks (with deliveries, without "
        "secrets), sessions, signInAddresses, passwordResets, generationJob, "
        "generationJobsRequested}; later pages: {transactions}. Money as decimal strings, "
        "instants ISO 8601 in UTC, days ISO dates. Never a password hash or a token."
    )
    transactions_end_cursor: str | None = strawberry.field(
        description="Pass as transactionsAfter for the next transactions (null: this page "
        "has none)."
    )
    has_more_transactions: bool = strawberry.field(
        description="Whether transactions follow this page's last one."
    )


@strawberry.type
class DataExportQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every row the server holds about the caller, transactions in pages in "
        "date order. First pages count against a limit of whole exports per hour (shared "
        "with GET /export, which streams the whole document as a file).",
    )
    async def export_my_data(
        self,
        info: Info,
        transactions_after: Annotated[
            str | None,
            strawberry.argument(
                description="The transactionsEndCursor of the previous page; null for the "
                "first page."
            ),
        ] = None,
        transactions_first: Annotated[
            int | None,
            strawberry.argument(
                description=f"Transactions on this page, 1 to {data_export.MAX_PAGE_ROWS} "
                "(null: the default)."
            ),
        ] = data_export.DEFAULT_PAGE_ROWS,
    ) -> DataExport:
        user = await info.context.require_live_session()
        first = data_export.DEFAULT_PAGE_ROWS if transactions_first is None else transactions_first
        page = await data_export.export_page(user.id, transactions_after, first)
        return DataExport(
            generated_at=page.generated_at,
            data=JSON(page.data),
            transactions_end_cursor=page.transactions_end_cursor,
            has_more_transactions=page.has_more_transactions,
        )
