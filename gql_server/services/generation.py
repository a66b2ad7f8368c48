"""Generation jobs: validated requests, a runner that streams chunks to the database, progress,
cancellation and the sweep that fails jobs whose runner died. The job row is the truth."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from gql_server import clock, db, locks
from gql_server.auth import passwords
from gql_server.errors import BadUserInput, Conflict, NotFound
from gql_server.generator.payloads import ChunkRequest, build_chunk
from gql_server.generator.synth import PATTERNS, generate_user
from gql_server.generator.writers import DuplicateUser, reserve_ids, write_chunk
from gql_server.models import GenerationJob, JobStatus, User
from gql_server.services import pages
from gql_server.services.smoothing import seed_buffer_from_history
from gql_server.services.validation import object_id
from gql_server.settings import Settings
from gql_server.worker_processes import process_pool

if TYPE_CHECKING:
    # Only for types: the forecasting stack is heavy, and this module is imported by the
    # generator's worker processes' parent, whose main module they re-import when spawned.
    from gql_server.services.outlook import OutlookService

logger = logging.getLogger("gql_server.generation")

MIN_DAYS, MAX_DAYS = 30, 3650
# A running job whose heartbeat is older than this has lost its runner.
STALE_AFTER = timedelta(seconds=30)
# Runners beat this many times within STALE_AFTER, so one late beat is not a death.
BEATS_PER_STALE = 5
# Below this many users a worker process costs more to start than it saves.
AUTO_PROCESS_FROM = 200
ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING)
TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
INDIA = ZoneInfo("Asia/Kolkata")
ProgressCallback = Callable[[GenerationJob], Awaitable[None] | None]


@dataclass(frozen=True)
class DatasetRequest:
    users: int
    days: int = 720
    seed: int = 42
    patterns: tuple[str, ...] = PATTERNS
    password: str = ""
    end_date: date | None = None


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def validate_request(request: DatasetRequest, settings: Settings) -> DatasetRequest:
    if not 1 <= request.users <= settings.generation_max_users:
        raise BadUserInput(
            f"users must be between 1 and {settings.generation_max_users}", field="users"
        )
    if not MIN_DAYS <= request.days <= MAX_DAYS:
        raise BadUserInput(f"days must be between {MIN_DAYS} and {MAX_DAYS}", field="days")
    if not 0 <= request.seed < 2**63:
        raise BadUserInput("seed must be between 0 and 2^63 - 1", field="seed")
    patterns = tuple(dict.fromkeys(p.strip().lower() for p in request.patterns))
    unknown = [p for p in patterns if p not in PATTERNS]
    if unknown or not patterns:
        raise BadUserInput(
            f"unknown pattern(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(PATTERNS)}",
            field="patterns",
        )
    today = clock.today(INDIA)
    if request.end_date is not None and not date(2000, 1, 1) <= request.end_date <= today:
        raise BadUserInput("endDate must be between 2000-01-01 and today", field="endDate")
    passwords.check_password_policy(request.password)
    return DatasetRequest(
        request.users, request.days, request.seed, patterns, request.password, request.end_date
    )


def history_end(end_date: date | None) -> datetime:
    """The exclusive end of every generated history: midnight after `end_date` in India."""
    last_day = end_date or clock.today(INDIA)
    return datetime.combine(last_day + timedelta(days=1), time.min, INDIA).astimezone(UTC)


async def create_job(
    request: DatasetRequest, settings: Settings, requested_by: User | None
) -> GenerationJob:
    """Validate, check for a clash, hash the shared password once, and store the job."""
    request = validate_request(request, settings)
    # Off the loop: the first call loads Faker's data, which takes a moment.
    first = await asyncio.to_thread(
        generate_user, request.seed, 0, MIN_DAYS, history_end(request.end_date), request.patterns
    )
    if await User.filter(email=first.email).exists():
        raise Conflict(
            f"users generated with seed {request.seed} already exist here; use another seed",
            field="seed",
        )
    password_hash = await passwords.hash_password(request.password)
    async with in_transaction() as connection:
        # One job at a time: two at once would only share two cores, and a clash of seeds
        # would fail one of them late. The lock makes check-then-insert atomic.
        await locks.advisory(locks.Advisory.GENERATION_JOBS, 0, connection)
        running = await GenerationJob.filter(status__in=ACTIVE).using_db(connection).first()
        if running is not None:
            raise Conflict(f"generation job {running.id} is still {running.status.value}")
        return await GenerationJob.create(
            users_requested=request.users,
            days=request.days,
            seed=request.seed,
            patterns=",".join(request.patterns),
            password_hash=password_hash,
            requested_by=requested_by,
            end_date=request.end_date,
            using_db=connection,
        )


async def get_job(job_id: str | int) -> GenerationJob:
    job = await GenerationJob.get_or_none(id=object_id(job_id, "generation job"))
    if job is None:
        raise NotFound("generation job not found", field="id")
    return job


async def list_jobs(first: int, limit: int = pages.DEFAULT_PAGE_SIZE) -> list[GenerationJob]:
    pages.page_size(first, limit)
    return await GenerationJob.all().order_by("-id").limit(first)


async def request_cancel(job_id: str | int) -> GenerationJob:
    """Ask the runner to stop after its current chunk; a job not started yet stops now."""
    job = await get_job(job_id)
    now = datetime.now(UTC)
    await GenerationJob.filter(id=job.id, status=JobStatus.PENDING).update(
        status=JobStatus.CANCELLED,
        cancel_requested=True,
        finished_at=now,
        error="cancelled before it started",
    )
    await GenerationJob.filter(id=job.id, status=JobStatus.RUNNING).update(cancel_requested=True)
    return await get_job(job.id)


async def fail_abandoned_jobs(
    now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> int:
    """Fail jobs whose runner stopped beating (process killed, machine lost)."""
    now = now or datetime.now(UTC)
    stale = now - stale_after
    failed = await GenerationJob.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale).update(
        status=JobStatus.FAILED,
        finished_at=now,
        error="the server running this job stopped (no heartbeat); rows of finished users "
        "were kept, no user is half-written",
    )
    failed += await GenerationJob.filter(status=JobStatus.PENDING, created_at__lt=stale).update(
        status=JobStatus.FAILED, finished_at=now, error="no server picked this job up"
    )
    return failed


def make_executor(settings: Settings, users: int) -> Executor:
    mode = settings.generation_workers
    if mode == "auto":
        mode = "process" if users > AUTO_PROCESS_FROM else "thread"
    if mode == "thread":
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="generator")
    return process_pool(1)


async def run_job(
    job_id: int,
    settings: Settings,
    executor: Executor,
    on_progress: ProgressCallback | None = None,
    outlook: OutlookService | None = None,
) -> GenerationJob:
    """Claim the job and write it chunk by chunk (each chunk commits whole, or not at all);
    then compute each generated user's outlook, as a real user would see it."""
    now = datetime.now(UTC)
    claimed = await GenerationJob.filter(id=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, runner=runner_name()
    )
    if not claimed:
        return await get_job(job_id)
    heart = asyncio.create_task(_beat(job_id, settings.generation_stale_after / BEATS_PER_STALE))
    try:
        job = await get_job(job_id)
        completed = await _write_all_chunks(job, settings, executor, on_progress) and (
            outlook is None or await _compute_outlooks(job, outlook, on_progress)
        )
        if completed:
            await _finish(job_id, JobStatus.SUCCEEDED, None)
    except asyncio.CancelledError:
        await asyncio.shield(
            _finish(
                job_id,
                JobStatus.FAILED,
                "the server shut down while the job ran; finished users were kept",
            )
        )
        raise
    except DuplicateUser:
        await _finish(
            job_id,
            JobStatus.FAILED,
            "a generated user clashed with an existing one "
            "(same seed run before?); nothing of that chunk was written",
        )
    except Exception as exc:
        logger.exception("generation job %s failed", job_id)
        await _record_failure(job_id, exc)
    finally:
        heart.cancel()
    return await get_job(job_id)


async def _write_all_chunks(
    job: GenerationJob,
    settings: Settings,
    executor: Executor,
    on_progress: ProgressCallback | None,
) -> bool:
    """Write every chunk; False when the job was cancelled on the way."""
    loop = asyncio.get_running_loop()
    patterns = tuple(job.patterns.split(","))
    end = history_end(job.end_date)
    size = settings.generation_chunk_users
    dialect = "sqlite" if db.is_sqlite() else "postgres"
    in_flight: deque[asyncio.Future] = deque()
    next_index = 0
    try:
        while next_index < job.users_requested or in_flight:
            # Keep two chunks in the worker so generation overlaps writing.
            while len(in_flight) < 2 and next_index < job.users_requested:
                count = min(size, job.users_requested - next_index)
                user_ids, source_ids = await reserve_ids(count)
                request = ChunkRequest(
                    seed=job.seed,
                    first=next_index,
                    count=count,
                    days=job.days,
                    end=end,
                    patterns=patterns,
                    user_ids=user_ids,
                    source_ids=source_ids,
                    password_hash=job.password_hash,
                    job_id=job.id,
                    created_at=datetime.now(UTC),
                    dialect=dialect,
                )
                in_flight.append(loop.run_in_executor(executor, build_chunk, request))
                next_index += count
            payload = await in_flight.popleft()
            if await _cancelled(job.id):
                return False
            await write_chunk(payload, job.id)
            await _report(job.id, on_progress)
    finally:
        for future in in_flight:
            future.cancel()
    return True


async def _compute_outlooks(
    job: GenerationJob, outlook: OutlookService, on_progress: ProgressCallback | None
) -> bool:
    """What every generated user sees: a buffer seeded by replaying their history under the
    smoothing rule, then features, forecasts and risks. False when cancelled."""
    ids = User.filter(generation_job_id=job.id).order_by("id").values_list("id", flat=True)
    # Tortoise types values_list as tuples even with flat=True, which returns the values.
    user_ids: list[int] = await ids  # type: ignore[assignment]

    async def progress(done: int) -> None:
        await GenerationJob.filter(id=job.id).update(
            forecasts_done=done, heartbeat_at=datetime.now(UTC)
        )
        await _report(job.id, on_progress)

    async def stop() -> bool:
        return await _cancelled(job.id)

    done = await outlook.refresh_many(
        list(user_ids), progress, stop, first=seed_buffer_from_history
    )
    # Stopping early only happens on a cancel request.
    return done == len(user_ids)


async def _record_failure(job_id: int, exc: Exception) -> None:
    """Mark the job FAILED with a reason; if the database itself is gone, keep trying for a
    while (the sweep fails the job later if it never comes back)."""
    lost = db.connection_lost(exc)
    reason = (
        f"lost the database connection while writing ({type(exc).__name__}); "
        "users written before were kept whole"
        if lost
        else f"failed: {type(exc).__name__}; users written before were kept whole"
    )
    for attempt in range(5):
        try:
            await _finish(job_id, JobStatus.FAILED, reason)
            return
        except Exception:
            await asyncio.sleep(0.5 * 2**attempt)


async def _cancelled(job_id: int) -> bool:
    if await GenerationJob.filter(id=job_id, cancel_requested=True).exists():
        await _finish(job_id, JobStatus.CANCELLED, "cancelled by an administrator")
        return True
    return False


async def _report(job_id: int, on_progress: ProgressCallback | None) -> None:
    if on_progress is not None:
        result = on_progress(await get_job(job_id))
        if asyncio.iscoroutine(result):
            await result


async def _finish(job_id: int, status: JobStatus, error: str | None) -> None:
    await GenerationJob.filter(id=job_id, status=JobStatus.RUNNING).update(
        status=status, error=error, finished_at=datetime.now(UTC)
    )


async def _beat(job_id: int, every: timedelta) -> None:
    while True:
        await asyncio.sleep(every.total_seconds())
        with contextlib.suppress(Exception):
            await GenerationJob.filter(id=job_id, status=JobStatus.RUNNING).update(
                heartbeat_at=datetime.now(UTC)
            )


class JobRunner:
    """Runs jobs started through this process as background tasks. The tasks are handles,
    not state: the job rows say what is running, and any process can read or cancel them."""

    def __init__(self, settings: Settings, outlook: OutlookService | None = None) -> None:
        self.settings = settings
        self.outlook = outlook
        self._tasks: set[asyncio.Task[GenerationJob]] = set()

    def launch(self, job: GenerationJob) -> None:
        task = asyncio.create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: GenerationJob) -> GenerationJob:
        executor = make_executor(self.settings, job.users_requested)
        try:
            return await run_job(job.id, self.settings, executor, outlook=self.outlook)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    async def sweep_forever(self) -> None:
        """At start-up and then every STALE_AFTER: fail the jobs whose runner died."""
        stale_after = self.settings.generation_stale_after
        while True:
            with contextlib.suppress(Exception):
                await fail_abandoned_jobs(stale_after=stale_after)
            await asyncio.sleep(stale_after.total_seconds())

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
