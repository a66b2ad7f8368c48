"""Erasing an account: deleteAccount removes every row of the user in every table (the test
walks the models, so a table added with a relation to User fails it until the test gives the
victim a row of it), in one go; the user's tokens stop working; only a record that an erasure
happened is kept, naming no one. A wrong password changes nothing. Generated users can be
erased. Background work of an erased user (a refit, a webhook delivery) neither brings rows
back nor fails loudly."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

from gql_server import db, locks
from gql_server.core.alerts.conditions import AlertKind, Condition, Severity
from gql_server.models import (
    AccountErasure,
    Alert,
    AlertPreferences,
    Buffer,
    BufferEntry,
    CategoryRule,
    ForecastLease,
    GenerationJob,
    IncomeSource,
    Insight,
    PasswordResetToken,
    RateLimitCounter,
    RecurringItem,
    RefitRequest,
    RefreshToken,
    SignInAddress,
    StatementImport,
    StoredOutlook,
    TaxPayment,
    TaxProfile,
    Transaction,
    User,
    Webhook,
    WebhookDelivery,
)
from gql_server.services import alerts, erasure
from gql_server.services.forecast_pool import ForecastPool, local_executor
from gql_server.services.outlook import OutlookService
from gql_server.services.password_reset import email_counter_key
from gql_server.services.webhook_deliveries import DeliveryTimes, DeliveryWorker
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code, row_id
from tests.every_table import FAR_FUTURE_MS, fill_every_table
from tests.factories import give_generated_history

DELETE = "mutation($p: String!) { deleteAccount(password: $p) }"
ME = "{ me { email } }"
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c,
  newPassword: $n) { accessToken } }"""

# The user's rows in each table that relates to a user, as the test counts them ($1: the
# user's id). A model that relates to User and is missing here fails
# test_every_model_is_known: add it here and give both users a row of it in `fill`.
OWNED: dict[type[Model], str] = {
    User: "id = $1",
    RefreshToken: "user_id = $1",
    SignInAddress: "user_id = $1",
    ForecastLease: "user_id = $1",
    IncomeSource: "user_id = $1",
    Transaction: "user_id = $1",
    StoredOutlook: "user_id = $1",
    RecurringItem: "user_id = $1",
    Buffer: "user_id = $1",
    BufferEntry: "buffer_id IN (SELECT id FROM buffer WHERE user_id = $1)",
    Insight: "user_id = $1",
    StatementImport: "user_id = $1",
    CategoryRule: "user_id = $1",
    RefitRequest: "user_id = $1",
    TaxProfile: "user_id = $1",
    TaxPayment: "user_id = $1",
    AlertPreferences: "user_id = $1",
    Alert: "user_id = $1",
    Webhook: "user_id = $1",
    WebhookDelivery: "webhook_id IN (SELECT id FROM webhook WHERE user_id = $1)",
    PasswordResetToken: "user_id = $1",
}
# Relate to a user but are not the user's data: the reference is set to null, the row kept.
UNLINKED: dict[type[Model], str] = {GenerationJob: "requested_by_id = $1"}
OWNED_TABLES = {model._meta.db_table for model in OWNED}
# No relation to a user in the schema: rate-limit counters (their keys are checked apart) and
# the erasure records themselves.
UNRELATED: set[type[Model]] = {RateLimitCounter, AccountErasure}

NOW = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)


def every_model() -> set[type[Model]]:
    return set(Tortoise.apps[db.APP_LABEL].values())


def relating_to_a_user() -> set[type[Model]]:
    """Models with a foreign key or one-to-one field to User, or to such a model, followed to
    any depth (the test's own walk, not the one under test)."""
    related: set[type[Model]] = {User}
    grew = True
    while grew:
        grew = False
        for model in every_model() - related:
            meta = model._meta
            fields = [meta.fields_map[name] for name in meta.fk_fields | meta.o2o_fields]
            targets = {f.related_model for f in fields if isinstance(f, ForeignKeyFieldInstance)}
            if targets & related:
                related.add(model)
                grew = True
    return related


async def counts(user_id: int) -> dict[type[Model], int]:
    found = {}
    for model, where in {**OWNED, **UNLINKED}.items():
        sql = f"SELECT COUNT(*) AS n FROM {model._meta.db_table} WHERE {where}"
        found[model] = int((await db.fetch_rows(sql, user_id))[0]["n"])
    return found


async def counter_keys() -> set[str]:
    return {row.key for row in await RateLimitCounter.all()}


def keys_naming(keys: set[str], user_id: int, email: str) -> set[str]:
    by_id = {
        f"{kind}:{user_id}"
        for kind in ("password-change", "account-delete", "data-export", "password-reset-use:user")
    }
    return {key for key in keys if email in key or key == email_counter_key(email) or key in by_id}


async def fill(user_id: int, email: str) -> None:
    """A row of the user in every table that relates to a user (tests/every_table.py), and
    counters under keys that name them, as failed attempts leave them."""
    await fill_every_table(user_id, f"User{user_id}", NOW, queued=True)
    await RateLimitCounter.create(key=email_counter_key(email), window=1, expires_at=FAR_FUTURE_MS)
    await RateLimitCounter.create(key=f"login:account:{email}", window=1, expires_at=FAR_FUTURE_MS)
    for key in (f"data-export:{user_id}", f"password-reset-use:user:{user_id}"):
        await RateLimitCounter.create(key=key, window=1, expires_at=FAR_FUTURE_MS)


async def test_every_model_is_known(api: Api) -> None:
    """A new table must say whether it holds a user's rows: one with a relation to User
    belongs in OWNED (erased, and filled for the test) or UNLINKED."""
    models = every_model()
    assert models == set(OWNED) | set(UNLINKED) | UNRELATED, (
        "classify these models in test_delete_account.py: "
        f"{sorted(m.__name__ for m in models - set(OWNED) - set(UNLINKED) - UNRELATED)}"
    )
    related = relating_to_a_user()
    assert related <= set(OWNED) | set(UNLINKED), sorted(m.__name__ for m in related)
    assert not related & UNRELATED


@BOTH_BACKENDS
async def test_deleting_an_account_erases_every_row_of_it_and_only_of_it(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    other = Api(api.client)
    other_session = await other.register(email="ravi@example.in", full_name="Ravi Kumar")
    session = await api.register()
    victim = await User.get(email="priya@example.in")
    ravi = await User.get(email="ravi@example.in")
    for user in (victim, ravi):
        await fill(user.id, user.email)
    # Failed attempts of each: counters keyed by the account's id and email.
    for who, email in ((api, victim.email), (other, ravi.email)):
        await who.post(LOGIN, {"e": email, "p": "Wrong-guess-at-this-1"})
        await who.post(CHANGE, {"c": "Wrong-guess-at-this-2", "n": "Fresh-lantern-harbour-5"})
    before = await counts(victim.id)
    others_before = await counts(ravi.id)
    keys_before = await counter_keys()
    # Every table that relates to a user has rows of both: a new table without one fails here.
    assert [m.__name__ for m, n in before.items() if n == 0] == []
    assert [m.__name__ for m, n in others_before.items() if n == 0] == []
    assert keys_naming(keys_before, victim.id, victim.email)

    caplog.set_level(logging.WARNING, logger="gql_server")
    body = await api.post(DELETE, {"p": STRONG_PASSWORD})

    assert body == {"data": {"deleteAccount": True}}, body
    # Nothing after the mutation (the refit every mutation asks for) trips on the user gone.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    after = await counts(victim.id)
    assert {m.__name__: n for m, n in after.items() if n} == {}
    assert await counts(ravi.id) == others_before
    keys_after = await counter_keys()
    assert not keys_naming(keys_after, victim.id, victim.email)
    assert keys_after == keys_before - keys_naming(keys_before, victim.id, victim.email)
    # The admin's job a user asked for stays, no longer naming them.
    assert await GenerationJob.filter(requested_by_id=None).count() == 1
    # Tokens: the account is gone, so every one of them is refused.
    assert error_code(await api.post(ME, token=session["accessToken"])) == "UNAUTHENTICATED"
    refreshed = await api.post(REFRESH, {"t": session["refreshToken"]})
    assert error_code(refreshed) == "UNAUTHENTICATED"
    signed_in = await api.post(LOGIN, {"e": victim.email, "p": STRONG_PASSWORD})
    assert error_code(signed_in) == "UNAUTHENTICATED"
    assert (await other.post(ME, token=other_session["accessToken"]))["data"]["me"]
    # What is kept: that an erasure happened, when, who asked and how much; no one named.
    record = await AccountErasure.get()
    assert set(AccountErasure._meta.fields_map) == {"id", "erased_at", "requested_by", "rows"}
    assert record.requested_by == "SELF"
    assert {m._meta.db_table: n for m, n in before.items() if m in OWNED} == {
        table: n for table, n in record.rows.items() if table in OWNED_TABLES
    }
    assert set(record.rows) == OWNED_TABLES | {
        "rate_limit_counter",
        "generation_job.requested_by_id",
    }
    assert record.rows["generation_job.requested_by_id"] == 1
    # With the counter of the deleteAccount itself (account-delete:{id}).
    assert record.rows["rate_limit_counter"] == 1 + len(
        keys_naming(keys_before, victim.id, victim.email)
    )
    stored = json.dumps(record.rows) + record.requested_by
    assert victim.email not in stored
    assert "priya" not in stored
    # The address is free again.
    await Api(api.client).register()


@BOTH_BACKENDS
async def test_a_wrong_password_is_coded_and_changes_nothing(api: Api) -> None:
    await api.register()
    victim = await User.get(email="priya@example.in")
    await fill(victim.id, victim.email)
    before = await counts(victim.id)

    body = await api.post(DELETE, {"p": "Not-my-password-at-all-9"})

    assert error_code(body) == "BAD_USER_INPUT", body
    assert body["errors"][0]["extensions"]["reason"] == "WRONG_PASSWORD"
    assert body["errors"][0]["extensions"]["field"] == "password"
    assert await counts(victim.id) == before
    assert not await AccountErasure.exists()
    assert (await api.post(ME))["data"]["me"]["email"] == "priya@example.in"


async def test_guessing_the_password_to_delete_is_rate_limited(api: Api) -> None:
    """A stolen access token must not erase the account by guessing its password."""
    await api.register()
    codes = [error_code(await api.post(DELETE, {"p": f"Guess-number-{k}-wrong"})) for k in range(7)]
    assert codes[:5] == ["BAD_USER_INPUT"] * 5
    assert codes[-1] == "RATE_LIMITED"
    assert await User.exists(email="priya@example.in")


async def test_deleting_needs_a_signed_in_caller(api: Api) -> None:
    assert error_code(await api.post(DELETE, {"p": STRONG_PASSWORD})) == "UNAUTHENTICATED"


GENERATE = """mutation($i: GenerateDatasetInput!) { generateDataset(input: $i) { id } }"""
FOLLOW = "query($id: ID!) { generationJob(id: $id) { status error } }"


@BOTH_BACKENDS
async def test_a_generated_user_can_be_erased(api: Api) -> None:
    await api.register_admin()
    started = await api.post(
        GENERATE,
        {
            "i": {
                "users": 2,
                "days": 60,
                "seed": "5",
                "password": STRONG_PASSWORD,
                "endDate": "2026-10-31",
            }
        },
    )
    job_id = started["data"]["generateDataset"]["id"]
    for _ in range(1200):
        job = (await api.post(FOLLOW, {"id": job_id}))["data"]["generationJob"]
        if job["status"] != "PENDING" and job["status"] != "RUNNING":
            break
        await asyncio.sleep(0.05)
    assert job == {"status": "SUCCEEDED", "error": None}
    first, second = await User.filter(generation_job_id=row_id(job_id)).order_by("id")
    seconds_rows = await counts(second.id)
    assert (await counts(first.id))[Transaction] > 0
    generated = Api(api.client)
    signed_in = await generated.post(LOGIN, {"e": first.email, "p": STRONG_PASSWORD})
    generated.token = signed_in["data"]["login"]["accessToken"]

    body = await generated.post(DELETE, {"p": STRONG_PASSWORD})

    assert body == {"data": {"deleteAccount": True}}, body
    assert {m.__name__: n for m, n in (await counts(first.id)).items() if n} == {}
    assert await counts(second.id) == seconds_rows
    assert await GenerationJob.exists(id=row_id(job_id))


async def _generated_user(api: Api, email: str) -> User:
    await api.register(email=email)
    user = await User.get(email=email)
    await give_generated_history(user.id, seed=3, pattern="stable", days=120)
    return user


@BOTH_BACKENDS
async def test_a_refit_that_ends_after_its_user_was_erased_stores_nothing_quietly(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The erasure commits while the refit's fit runs in the pool: the refit finds the user
    gone when it comes to store, stores nothing and logs no warning."""
    user = await _generated_user(api, "refit@example.in")
    pool = ForecastPool(lambda: local_executor("thread", 1), max_in_flight=1, timeout_s=60)
    service = OutlookService(pool)
    fit = service.run

    async def fit_then_erase(user_id: int, function: Callable[..., Any], arguments: Any) -> Any:
        result = await fit(user_id, function, arguments)
        await erasure.erase_user(user_id, erasure.ADMIN)
        return result

    monkeypatch.setattr(service, "run", fit_then_erase)
    caplog.set_level(logging.INFO, logger="gql_server")
    try:
        # As the refit worker runs a claimed request (its claim row went with the user).
        await service.refits._run(user.id, version=1)
    finally:
        await service.leases.drain()
        pool.shutdown()

    assert {m.__name__: n for m, n in (await counts(user.id)).items() if n} == {}
    assert service.outlooks_computed == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "erased account" in caplog.text


@BOTH_BACKENDS
async def test_a_delivery_or_alert_after_its_user_was_erased_writes_nothing(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """A delivery claimed before the erasure ends after it: recording its outcome (and the
    endpoint's disabling, with its alert) must not bring rows back or fail."""
    await api.register()
    user = await User.get(email="priya@example.in")
    hook = await Webhook.create(
        user_id=user.id, url="https://hooks.example.in/in", kinds=[], secret="whsec_x"
    )
    delivery = await WebhookDelivery.create(
        webhook_id=hook.id,
        message_id="msg_1",
        event_type="alert.fired",
        body="{}",
        next_attempt_ms=FAR_FUTURE_MS,
    )
    worker = DeliveryWorker(allow_private=True, times=DeliveryTimes(disable_after_s=0))
    caplog.set_level(logging.INFO, logger="gql_server")

    await erasure.erase_user(user.id, erasure.ADMIN)
    await worker._failed(delivery, hook, 500, "down")  # a day of failures: disables it
    await worker._done(delivery, hook, 200)
    raised = await alerts.raise_alert(
        user.id,
        Condition(
            key=f"WEBHOOK_DISABLED:{hook.id}",
            kind=AlertKind.WEBHOOK_DISABLED,
            severity=Severity.WARNING,
            title="A webhook was turned off",
            message="Every delivery failed for a day.",
            metrics={"webhookId": hook.id},
        ),
    )

    assert raised is None
    assert {m.__name__: n for m, n in (await counts(user.id)).items() if n} == {}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_an_erasure_waits_for_a_store_that_holds_the_user(api: Api) -> None:
    """What a background store writes after finding the user (locks.user_kept) is committed
    before the erasure deletes anything, so the erasure takes it too: no row outlives it."""
    await api.register()
    user = await User.get(email="priya@example.in")
    holding, go_on = asyncio.Event(), asyncio.Event()

    async def store() -> None:  # as OutlookService._store does, held open
        async with in_transaction() as connection:
            assert await locks.user_kept(user.id, connection)
            holding.set()
            await go_on.wait()
            await Insight.create(
                user_id=user.id,
                kind="SPENDING_UP",
                severity="info",
                title="Spending rose",
                message="You spent more on food.",
                metrics={},
                importance=0.5,
                created_at=NOW,
                using_db=connection,
            )

    # Tasks of their own: a task started inside a transaction would share its connection.
    storing = asyncio.ensure_future(store())
    await holding.wait()
    erasing = asyncio.ensure_future(erasure.erase_user(user.id, erasure.ADMIN))
    await asyncio.sleep(0.3)
    assert not erasing.done()
    go_on.set()
    await storing
    erased = await erasing

    assert erased["insight"] == 1
    assert {m.__name__: n for m, n in (await counts(user.id)).items() if n} == {}


@BOTH_BACKENDS
async def test_erasing_an_account_that_is_gone_is_refused(api: Api) -> None:
    from gql_server.errors import AccountErased

    await api.register()
    user = await User.get(email="priya@example.in")
    await erasure.erase_user(user.id, erasure.ADMIN)
    with pytest.raises(AccountErased):
        await erasure.erase_user(user.id, erasure.ADMIN)
    assert await AccountErasure.all().count() == 1
