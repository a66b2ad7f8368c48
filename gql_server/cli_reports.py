"""What `gql-server generate` and `validate` print: a progress bar, then the reference
report's tables, through rich."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gql_server import clock
from gql_server.core.money_format import format_inr
from gql_server.errors import ApiError
from gql_server.generator.statement_export import export_statements
from gql_server.generator.synth import PATTERNS, REFERENCE
from gql_server.models import GenerationJob, JobStatus
from gql_server.services import dataset_stats, generation
from gql_server.services.forecast_pool import ForecastPool, executor_factory
from gql_server.services.outlook import OutlookService
from gql_server.settings import Settings

console = Console()
_COLUMNS = (
    TextColumn("[bold]{task.description:>8}"),
    BarColumn(),
    MofNCompleteColumn(),
    TextColumn("{task.fields[detail]}"),
    TimeElapsedColumn(),
)


async def run_generation(settings: Settings, options: dict[str, Any]) -> None:
    statements: Path | None = options.get("statements")
    if statements is not None:
        _prepare_directory(statements)
    request = generation.DatasetRequest(
        users=options["users"],
        days=options["days"],
        seed=options["seed"],
        patterns=options["patterns"] or PATTERNS,
        password=options["password"],
        # Pinned when files are written after the job, so both end on the same day even if
        # midnight passes in between.
        end_date=clock.today(generation.INDIA) if statements is not None else None,
    )
    job = await generation.create_job(request, settings, requested_by=None)
    started = time.perf_counter()
    pool = ForecastPool(
        executor_factory(settings.forecast_executor, settings.forecast_pool_size),
        max_in_flight=settings.forecast_max_in_flight,
        timeout_s=settings.forecast_timeout_s,
    )
    with Progress(*_COLUMNS, console=console) as progress:
        writing = progress.add_task("users", total=job.users_requested, detail="")
        forecasting = progress.add_task(
            "outlooks", total=job.users_requested, detail="features, forecasts, risk"
        )

        def show(current: GenerationJob) -> None:
            detail = f"{current.transactions_written:,} transactions"
            progress.update(writing, completed=current.users_done, detail=detail)
            progress.update(forecasting, completed=current.forecasts_done)

        executor = generation.make_executor(settings, job.users_requested)
        try:
            job = await generation.run_job(
                job.id,
                settings,
                executor,
                show,
                OutlookService(pool, settings.forecast_jobs_per_user),
            )
        finally:
            executor.shutdown(cancel_futures=True)
            pool.shutdown()
    elapsed = time.perf_counter() - started
    if job.status != JobStatus.SUCCEEDED:
        raise ApiError(f"job {job.id} {job.status.value}: {job.error}")
    console.print(
        f"Job {job.id}: {job.users_done:,} users, {job.transactions_written:,} transactions "
        f"and {job.forecasts_done:,} outlooks (features, forecasts, risk) in {elapsed:.1f} s"
    )
    print_statistics(await dataset_stats.dataset_statistics())
    if statements is not None:
        await _write_statements(job, statements)


def _prepare_directory(directory: Path) -> None:
    """Refused before the job runs, not after: a directory that cannot be written to."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ApiError(f"cannot write statements to {directory}: {exc}") from None


async def _write_statements(job: GenerationJob, directory: Path) -> None:
    """Each user's history again from the job's own arguments, as one file per format."""
    with Progress(*_COLUMNS, console=console) as progress:
        task = progress.add_task("files", total=job.users_done, detail="statements")
        written = await anyio.to_thread.run_sync(
            partial(
                export_statements,
                directory,
                seed=job.seed,
                users=job.users_done,
                days=job.days,
                end=generation.history_end(job.end_date),
                patterns=tuple(job.patterns.split(",")),
                on_user=lambda done: progress.update(task, completed=done),
            )
        )
    console.print(f"Wrote {written:,} statement files to {directory}")


def print_statistics(stats: dataset_stats.Statistics) -> None:
    table = Table(title="Dataset statistics (whole database)")
    table.add_column("figure")
    table.add_column("this dataset", justify="right")
    table.add_column("reference (100 users, 720 days)", justify="right")
    ref = REFERENCE
    rows = (
        ("users", f"{stats.users:,}", f"{ref.users:,}"),
        ("transactions", f"{stats.transactions:,}", f"{ref.transactions:,}"),
        (
            "transactions per user",
            f"{stats.transactions_per_user:,.0f}",
            f"{ref.transactions_per_user:,.0f}",
        ),
        ("income share of transactions", f"{stats.income_share:.1%}", f"{ref.income_share:.1%}"),
        ("average income transaction", format_inr(stats.avg_income), format_inr(ref.avg_income)),
        ("average expense transaction", format_inr(stats.avg_expense), format_inr(ref.avg_expense)),
        (
            "income ÷ expenses",
            f"{stats.income_over_expenses:.2f}",
            f"{ref.income_over_expenses:.2f}",
        ),
        ("income sources per user", f"{stats.sources_per_user:.2f}", f"{ref.sources_per_user:.2f}"),
        (
            "transactions with a negative balance",
            f"{stats.negative_balance_share:.1%}",
            f"{ref.negative_balance_share:.1%}",
        ),
        ("smoothing buffers", f"{stats.buffers:,}", "one per user"),
        ("average buffer balance", format_inr(stats.avg_buffer_balance), "-"),
        ("average total deposited in a buffer", format_inr(stats.avg_buffer_deposited), "-"),
    )
    for row in rows:
        table.add_row(*row)
    console.print(table)


async def run_validation() -> bool:
    print_statistics(await dataset_stats.dataset_statistics())
    table = Table(title="Data-quality checks")
    table.add_column("check")
    table.add_column("result")
    results = await dataset_stats.quality_checks()
    for result in results:
        verdict = "[green]pass" if result.passed else f"[red]FAIL ({result.offending_rows:,} rows)"
        table.add_row(result.name, verdict)
    console.print(table)
    return all(result.passed for result in results)
