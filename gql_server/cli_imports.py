"""`gql-server import`: a statement file into one user's ledger, with a progress bar."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from gql_server.core.money_format import format_inr
from gql_server.errors import NotFound
from gql_server.models import User
from gql_server.services import statement_imports
from gql_server.services.statement_imports import ImportResult, StatementFormat
from gql_server.settings import Settings

console = Console()


async def run_import(
    settings: Settings, email: str, path: Path, fmt: StatementFormat | None, dry_run: bool
) -> ImportResult:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise NotFound(f"no account with the email {email}")
    data = await anyio.Path(path).read_bytes()
    columns = (
        TextColumn("[bold]{task.description:>6}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = await statement_imports.import_statement(
            user,
            data,
            path.name,
            fmt,
            dry_run=dry_run,
            max_transactions=settings.max_ledger_transactions,
            progress=tell,
            per_hour=None,
        )
    report(result)
    return result


def _money(value: Decimal | None) -> str:
    return "-" if value is None else format_inr(value, paise=True)


def report(result: ImportResult) -> None:
    title = "Dry run (nothing written)" if result.dry_run else f"Import {result.id}"
    table = Table(title=f"{title}: {result.file_name} as {result.format}")
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in (
        ("rows read", result.rows_read),
        ("added", result.added),
        ("already in the ledger", result.duplicates),
        ("linked to rows entered by hand", result.linked),
        ("skipped (unreadable)", result.skipped),
        ("dates", f"{result.first_date} to {result.last_date}"),
        ("statement's closing balance", _money(result.statement_closing_balance)),
        ("ledger's balance that day", _money(result.ledger_closing_balance)),
        ("reconciled", "yes" if result.reconciled else "NO"),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for problem in result.problems:
        console.print(f"  row {problem['row']}: {problem['message']}")
