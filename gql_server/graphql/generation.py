"""Bulk generation in GraphQL (admin only): start, follow, list and cancel jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import TypeAlias

import strawberry
from strawberry import relay

from gql_server import models
from gql_server.errors import BadUserInput, NotFound
from gql_server.generator.synth import PATTERNS
from gql_server.graphql.context import Info
from gql_server.graphql.ids import local_id
from gql_server.graphql.permissions import IsAdmin
from gql_server.services import generation, lookup

# strawberry.enum registers the model's enum in place and returns it: annotations use
# the enum itself, through an alias mypy accepts as a type (a call's result is not).
JobStatus: TypeAlias = models.JobStatus
strawberry.enum(models.JobStatus, name="JobStatus")
POLL_SECONDS = 0.5


@strawberry.type(name="GenerationJob")
class GenerationJobType(relay.Node):
    id: relay.NodeID[int]
    status: JobStatus
    users_requested: int
    users_done: int
    forecasts_done: int = strawberry.field(
        description="Generated users whose features and forecasts are computed (after writing)."
    )
    transactions_written: int
    days: int
    seed: str = strawberry.field(description="A string: seeds go up to 2^63 - 1.")
    patterns: list[str]
    error: str | None = strawberry.field(description="Why it failed or was cancelled.")
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[GenerationJobType | None]:
        # lookup.owned answers administrators only: to anyone else a job is not there.
        user = await info.context.require_user()
        rows = await lookup.owned(models.GenerationJob, user, node_ids)
        return [to_gql_job(row) if row else None for row in rows]


def to_gql_job(job: models.GenerationJob) -> GenerationJobType:
    return GenerationJobType(
        id=job.id,
        status=models.JobStatus(job.status),
        users_requested=job.users_requested,
        users_done=job.users_done,
        forecasts_done=job.forecasts_done,
        transactions_written=job.transactions_written,
        days=job.days,
        seed=str(job.seed),
        patterns=job.patterns.split(","),
        error=job.error,
        cancel_requested=job.cancel_requested,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@strawberry.input
class GenerateDatasetInput:
    users: int
    password: str = strawberry.field(description="Every generated user gets this password.")
    days: int = 720
    seed: str = strawberry.field(default="42", description="Same seed, same data.")
    patterns: list[str] = strawberry.field(
        default_factory=lambda: list(PATTERNS),
        description=f"Income patterns to mix: {', '.join(PATTERNS)}.",
    )
    end_date: date | None = strawberry.field(
        default=None, description="Last day of the histories (default: today, in India)."
    )


def to_request(data: GenerateDatasetInput) -> generation.DatasetRequest:
    try:
        seed = int(data.seed)
    except ValueError:
        raise BadUserInput("seed must be a whole number", field="seed") from None
    return generation.DatasetRequest(
        users=data.users,
        days=data.days,
        seed=seed,
        patterns=tuple(data.patterns),
        password=data.password,
        end_date=data.end_date,
    )


@strawberry.type
class GenerationQueries:
    @strawberry.field(permission_classes=[IsAdmin])
    async def generation_job(self, id: strawberry.ID) -> GenerationJobType | None:
        try:
            return to_gql_job(await generation.get_job(local_id(id, "GenerationJob")))
        except NotFound:
            return None

    @strawberry.field(permission_classes=[IsAdmin], description="Newest first.")
    async def generation_jobs(self, info: Info, first: int = 20) -> list[GenerationJobType]:
        jobs = await generation.list_jobs(first, info.context.settings.max_page_size)
        return [to_gql_job(job) for job in jobs]


@strawberry.type
class GenerationMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Starts a background job; follow it with generationJob.",
    )
    async def generate_dataset(self, info: Info, input: GenerateDatasetInput) -> GenerationJobType:
        ctx = info.context
        admin = await ctx.require_admin()
        job = await generation.create_job(to_request(input), ctx.settings, admin)
        assert ctx.resources is not None
        ctx.resources.job_runner.launch(job)
        return to_gql_job(job)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def cancel_generation_job(self, id: strawberry.ID) -> GenerationJobType:
        return to_gql_job(await generation.request_cancel(local_id(id, "GenerationJob")))


@strawberry.type
class GenerationSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAdmin],
        description="One event per progress step; ends when the job ends.",
    )
    async def generation_job(self, id: strawberry.ID) -> AsyncGenerator[GenerationJobType, None]:
        # Polling the row works whichever process runs the job.
        last = None
        while True:
            job = await generation.get_job(local_id(id, "GenerationJob"))
            state = (job.status, job.users_done, job.transactions_written, job.cancel_requested)
            if state != last:
                last = state
                yield to_gql_job(job)
            if job.status in generation.TERMINAL:
                return
            await asyncio.sleep(POLL_SECONDS)
