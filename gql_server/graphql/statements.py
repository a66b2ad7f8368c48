"""Statements in, in GraphQL: the upload, its result and the imports made so far."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from gql_server.errors import BadUserInput
from gql_server.graphql.context import Info
from gql_server.graphql.ledger import import_global_id
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import statement_imports
from gql_server.services.statement_imports import ImportResult, StatementFormat


@strawberry.enum(
    name="StatementFormat",
    description="AUTO reads the file and picks the bank or Account Aggregator format it is in.",
)
class StatementFormatChoice(enum.Enum):
    AUTO = "AUTO"
    HDFC = "HDFC"
    ICICI = "ICICI"
    SBI = "SBI"
    AXIS = "AXIS"
    AA_DEPOSIT_JSON = "AA_DEPOSIT_JSON"
    AA_DEPOSIT_XML = "AA_DEPOSIT_XML"


@strawberry.type
class RowProblem:
    row: int = strawberry.field(description="The row's number in the file, as a person sees it.")
    message: str
    skipped: bool = strawberry.field(
        description="True: the row could not be read and was not imported. False: it was "
        "imported, but the balance the statement prints there does not follow from the row "
        "before it (a row missing above it, or the bank's own figure)."
    )


@strawberry.type(name="StatementImport")
class StatementImportType:
    id: strawberry.ID | None = strawberry.field(
        description="Null for a dry run, which records nothing."
    )
    format: StatementFormatChoice
    file_name: str
    rows_read: int = strawberry.field(description="Transaction rows found in the file.")
    added: int
    duplicates: int = strawberry.field(
        description="Rows the ledger already held (an earlier import, an overlapping statement)."
    )
    linked: int = strawberry.field(
        description="Rows that confirmed a transaction you entered by hand: it gains the "
        "statement's reference, mode and UPI address instead of being entered twice."
    )
    skipped: int = strawberry.field(description="Rows that could not be read; see problems.")
    dry_run: bool
    first_date: date | None
    last_date: date | None
    statement_closing_balance: Decimal | None = strawberry.field(
        description="The balance the statement states at its end."
    )
    ledger_closing_balance: Decimal | None = strawberry.field(
        description="Your ledger's balance at the end of the statement's last day, after it."
    )
    reconciled: bool = strawberry.field(
        description="Whether the two balances agree to the paisa. A difference is reported, "
        "never absorbed: a missing statement, a row entered by hand that the bank never saw."
    )
    opening_balance_set: Decimal | None = strawberry.field(
        description="The opening balance this import gave an empty ledger (from the "
        "statement's opening balance), so the ledger reconciles from its first day."
    )
    problems: list[RowProblem]
    created_at: datetime


def to_gql_import(result: ImportResult) -> StatementImportType:
    return StatementImportType(
        id=import_global_id(result.id) if result.id is not None else None,
        format=StatementFormatChoice(str(result.format)),
        file_name=result.file_name,
        rows_read=result.rows_read,
        added=result.added,
        duplicates=result.duplicates,
        linked=result.linked,
        skipped=result.skipped,
        dry_run=result.dry_run,
        first_date=result.first_date,
        last_date=result.last_date,
        statement_closing_balance=result.statement_closing_balance,
        ledger_closing_balance=result.ledger_closing_balance,
        reconciled=result.reconciled,
        opening_balance_set=result.opening_balance_set,
        problems=[
            RowProblem(row=p["row"], message=p["message"], skipped=p.get("skipped", True))
            for p in result.problems
        ],
        created_at=result.created_at,
    )


async def _read_upload(file: Upload, limit: int) -> tuple[bytes, str]:
    # A JSON request can put any value where the file goes; only a multipart part is one.
    if not isinstance(file, UploadFile):
        raise BadUserInput(
            "file must be sent as a file part of a multipart request (the GraphQL multipart "
            "request spec)",
            field="file",
        )
    # The body limit already refused a larger request; this guards a request that declared
    # no length, and reads one byte more than allowed to know.
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise BadUserInput(f"the file is larger than the limit of {limit:,} bytes", field="file")
    return data, file.filename or "statement"


@strawberry.type
class StatementQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="Your statement imports, newest first."
    )
    async def statement_imports(self, info: Info, first: int = 20) -> list[StatementImportType]:
        user = await info.context.require_user()
        rows = await statement_imports.list_imports(user, first)
        return [to_gql_import(statement_imports.from_record(row)) for row in rows]


@strawberry.type
class StatementMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Bring a bank statement (HDFC, ICICI, SBI or Axis, CSV or XLS/XLSX) or "
        "Account Aggregator deposit data (JSON or XML) into your ledger, exactly once: rows "
        "already there are recognised, all new rows land or none do. dryRun reports what "
        "would happen and writes nothing.",
    )
    async def import_statement(
        self,
        info: Info,
        file: Upload,
        format: StatementFormatChoice = StatementFormatChoice.AUTO,
        dry_run: bool = False,
    ) -> StatementImportType:
        user = await info.context.require_user()
        settings = info.context.settings
        data, name = await _read_upload(file, settings.max_upload_bytes)
        chosen = None if format == StatementFormatChoice.AUTO else StatementFormat(format.value)
        result = await statement_imports.import_statement(
            user,
            data,
            name,
            chosen,
            dry_run=dry_run,
            max_transactions=settings.max_ledger_transactions,
        )
        return to_gql_import(result)
