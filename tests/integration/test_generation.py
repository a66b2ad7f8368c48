"""Bulk generation as an admin uses it: start, follow, cancel, fail cleanly, and the data."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gql_server import db
from gql_server.app import create_app
from gql_server.generator.synth import generate_user
from gql_server.models import (
    Buffer,
    GenerationJob,
    IncomeSource,
    JobStatus,
    StoredOutlook,
    Transaction,
    User,
)
from gql_server.services import generation
from gql_server.services.generation import history_end
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, empty_tables, error_code, row_id
from tests.factories import assert_balances_exact

START = """mutation($i: GenerateDatasetInput!) { generateDataset(input: $i) {
  id status usersRequested usersDone seed patterns } }"""
FOLLOW = """query($id: ID!) { generationJob(id: $id) {
  id status usersDone transactionsWritten forecastsDone error cancelRequested } }"""
CANCEL = "mutation($id: ID!) { cancelGenerationJob(id: $id) { id status cancelRequested } }"


def _input(**overrides: object) -> dict:
    return {
        "users": 6,
        "days": 60,
        "seed": "7",
        "password": STRONG_PASSWORD,
        "endDate": "2026-10-31",
        **overrides,
    }


async def _wait(api: Api, job_id: str, seconds: float = 60) -> dict:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        job = (await api.post(FOLLOW, {"id": job_id}))["data"]["generationJob"]
        if job["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.05)


@BOTH_BACKENDS
async def test_admin_generates_users_who_can_sign_in_with_their_data(api: Api) -> None:
    await api.register_admin()
    started = (await api.post(START, {"i": _input()}))["data"]["generateDataset"]
    assert (started["status"], started["usersRequested"], started["seed"]) == ("PENDING", 6, "7")

    job = await _wait(api, started["id"])

    assert (job["status"], job["usersDone"], job["error"]) == ("SUCCEEDED", 6, None)
    generated = await User.filter(generation_job_id=row_id(job["id"])).order_by("id")
    assert len(generated) == 6
    assert (
        await Transaction.filter(user_id__in=[u.id for u in generated]).count()
        == job["transactionsWritten"]
    )
    for user in generated:
        assert await IncomeSource.filter(user_id=user.id).count() >= 1
        await assert_balances_exact(user.id)
    ids = [u.id for u in generated]
    # What a generated user sees is ready: a buffer from the replay, features and forecasts.
    assert job["forecastsDone"] == 6
    assert await StoredOutlook.filter(user_id__in=ids).count() == 6
    assert await Buffer.filter(user_id__in=ids).count() == 6
    login = await api.post(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        {"e": generated[0].email, "p": STRONG_PASSWORD},
    )
    token = login["data"]["login"]["accessToken"]
    page = await api.post(
        "{ transactions(first: 5) { totalCount edges { node { merchant } } } }", token=token
    )
    assert page["data"]["transactions"]["totalCount"] > 20


async def test_same_seed_gives_the_same_rows(api: Api) -> None:
    end = history_end(datetime(2026, 10, 31).date())
    await api.register_admin()
    job = await _wait(
        api, (await api.post(START, {"i": _input(users=2)}))["data"]["generateDataset"]["id"]
    )
    assert job["status"] == "SUCCEEDED"
    user = await User.filter(generation_job_id=row_id(job["id"])).order_by("id").first()
    assert user is not None
    stored = await Transaction.filter(user_id=user.id).order_by("occurred_at", "id")
    expected = generate_user(7, 0, 60, end, generation.PATTERNS)

    assert user.email == expected.email
    assert [int(r.amount * 100) for r in stored] == expected.amount_paise.tolist()
    assert [r.merchant for r in stored] == expected.merchant.tolist()
    assert [r.occurred_at.replace(tzinfo=None) for r in stored] == expected.occurred_at.astype(
        "datetime64[us]"
    ).tolist()


async def test_only_admins_may_generate(api: Api) -> None:
    anonymous = await api.post(START, {"i": _input()})
    await api.register()
    as_user = await api.post(START, {"i": _input()})
    jobs = await api.post("{ generationJobs { id } }")

    assert error_code(anonymous) == "UNAUTHENTICATED"
    assert error_code(as_user) == error_code(jobs) == "FORBIDDEN"
    assert await GenerationJob.all().count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"users": 0}, "users"),
        ({"users": 501}, "users"),
        ({"days": 29}, "days"),
        ({"days": 3651}, "days"),
        ({"patterns": ["stable", "lucky"]}, "patterns"),
        ({"password": "password1"}, "password"),
        ({"seed": "-1"}, "seed"),
        ({"seed": "forty-two"}, "seed"),
        ({"endDate": "2099-01-01"}, "endDate"),
    ],
)
async def test_bad_requests_start_nothing(api: Api, overrides: dict, field: str) -> None:
    await api.register_admin()
    body = await api.post(START, {"i": _input(**overrides)})
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert await GenerationJob.all().count() == 0


async def test_a_second_job_while_one_runs_is_a_conflict(api: Api) -> None:
    await api.register_admin()
    await GenerationJob.create(
        users_requested=5,
        days=60,
        seed=1,
        patterns="stable",
        password_hash="x",
        status=JobStatus.RUNNING,
        heartbeat_at=datetime.now(UTC),
    )
    assert error_code(await api.post(START, {"i": _input()})) == "CONFLICT"
    assert await GenerationJob.all().count() == 1


async def test_cancel_stops_between_users_and_leaves_no_half_written_user(api: Api) -> None:
    await api.register_admin()
    started = (await api.post(START, {"i": _input(users=300, days=365)}))["data"]
    job_id = started["generateDataset"]["id"]
    while (await GenerationJob.get(id=row_id(job_id))).users_done < 4:
        await asyncio.sleep(0.02)

    cancelled = (await api.post(CANCEL, {"id": job_id}))["data"]["cancelGenerationJob"]
    job = await _wait(api, job_id)

    assert cancelled["cancelRequested"] is True
    assert job["status"] == "CANCELLED"
    assert 4 <= job["usersDone"] < 300
    users = await User.filter(generation_job_id=row_id(job_id))
    assert len(users) == job["usersDone"]
    assert (
        await Transaction.filter(user_id__in=[u.id for u in users]).count()
        == job["transactionsWritten"]
    )


async def test_a_clash_fails_the_job_with_a_reason_and_keeps_whole_users_only(api: Api) -> None:
    await api.register_admin()
    end = history_end(datetime(2026, 10, 31).date())
    clash = generate_user(7, 5, 60, end, generation.PATTERNS)  # the 6th user, second chunk
    await User.create(email=clash.email, password_hash="x", full_name="Already here")

    job = await _wait(
        api, (await api.post(START, {"i": _input()}))["data"]["generateDataset"]["id"]
    )

    assert job["status"] == "FAILED"
    assert "clashed" in job["error"]
    users = await User.filter(generation_job_id=row_id(job["id"]))
    assert len(users) == job["usersDone"] == 4  # the first chunk of four, whole
    for user in users:
        assert await Transaction.filter(user_id=user.id).count() > 0


async def test_jobs_whose_runner_died_are_failed_by_the_sweep(app_client) -> None:
    old = datetime.now(UTC) - timedelta(minutes=5)
    dead = await GenerationJob.create(
        users_requested=5,
        days=60,
        seed=1,
        patterns="stable",
        password_hash="x",
        status=JobStatus.RUNNING,
        heartbeat_at=old,
    )
    alive = await GenerationJob.create(
        users_requested=5,
        days=60,
        seed=2,
        patterns="stable",
        password_hash="x",
        status=JobStatus.RUNNING,
        heartbeat_at=datetime.now(UTC),
    )

    assert await generation.fail_abandoned_jobs() == 1

    dead, alive = await GenerationJob.get(id=dead.id), await GenerationJob.get(id=alive.id)
    assert dead.status == JobStatus.FAILED
    assert dead.error is not None
    assert "stopped" in dead.error
    assert alive.status == JobStatus.RUNNING


async def test_subscription_streams_progress_until_the_job_ends(api: Api) -> None:
    payload = await api.register_admin()
    job_id = (await api.post(START, {"i": _input(users=10)}))["data"]["generateDataset"]["id"]
    query = (
        "subscription($id: ID!) { generationJob(id: $id) { status usersDone transactionsWritten } }"
    )

    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": {"id": job_id}},
        headers={
            "authorization": f"Bearer {payload['accessToken']}",
            "accept": "multipart/mixed;subscriptionSpec=1.0,application/json",
        },
    )

    events = [
        json.loads(part.split("\r\n\r\n", 1)[1])
        for part in response.text.split("--graphql")
        if "\r\n\r\n" in part and '"payload"' in part
    ]
    jobs = [e["payload"]["data"]["generationJob"] for e in events]
    assert jobs[-1]["status"] == "SUCCEEDED"
    assert jobs[-1]["usersDone"] == 10
    done = [j["usersDone"] for j in jobs]
    assert done == sorted(done)


async def test_a_worker_process_generates_the_same_data_as_a_thread(app_client, settings) -> None:
    request = generation.DatasetRequest(
        users=3, days=45, seed=99, password=STRONG_PASSWORD, end_date=datetime(2026, 10, 31).date()
    )
    process_settings = replace(settings, generation_workers="process")
    job = await generation.create_job(request, process_settings, requested_by=None)
    executor = generation.make_executor(process_settings, job.users_requested)
    try:
        job = await generation.run_job(job.id, process_settings, executor)
    finally:
        executor.shutdown()

    end = history_end(request.end_date)
    expected = sum(
        generate_user(99, i, 45, end, generation.PATTERNS).transaction_count for i in range(3)
    )
    assert (job.status, job.users_done, job.transactions_written) == (
        JobStatus.SUCCEEDED,
        3,
        expected,
    )


async def test_shutting_the_server_down_fails_its_running_job_with_a_reason(settings) -> None:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            await api.register_admin()
            body = await api.post(START, {"i": _input(users=400, days=365)})
            job_id = row_id(body["data"]["generateDataset"]["id"])
            while (await GenerationJob.get(id=job_id)).users_done < 4:
                await asyncio.sleep(0.02)
    # The lifespan has shut down while the job was still writing; look at what it left.
    await db.open_database(settings.database_url, 2)
    try:
        job = await GenerationJob.get(id=job_id)
        users = await User.filter(generation_job_id=job_id)
        rows = await Transaction.filter(user_id__in=[u.id for u in users]).count()
    finally:
        await db.close_database()

    assert job.status == JobStatus.FAILED
    assert job.error is not None
    assert "shut down" in job.error
    assert len(users) == job.users_done < 400
    assert rows == job.transactions_written


async def test_a_job_id_that_cannot_exist_reads_as_null(api: Api) -> None:
    await api.register_admin()
    for bad_id in ("abc", "3000000000", "-1"):
        body = await api.post(FOLLOW, {"id": bad_id})
        assert body["data"]["generationJob"] is None
        assert error_code(await api.post(CANCEL, {"id": bad_id})) == "NOT_FOUND"
