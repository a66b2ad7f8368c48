"""The data export: exportMyData in pages and GET /export as one streamed file hold every row
the server keeps about the caller and nobody else's, never a credential, and the same
transactions either way; every table that refers to a user is exported or deliberately left
out; revoked tokens, bad pages and too many exports are refused with a code."""

from __future__ import annotations

import asyncio
import re
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.models import Model

from gql_server import db
from gql_server.models import (
    Alert,
    BufferEntry,
    CategoryRule,
    GenerationJob,
    IncomeSource,
    Insight,
    PasswordResetToken,
    RateLimitCounter,
    RecurringItem,
    RefreshToken,
    SignInAddress,
    StatementImport,
    TaxPayment,
    Transaction,
    User,
    Webhook,
    WebhookDelivery,
)
from gql_server.services import data_export
from gql_server.services.cursors import encode_cursor
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code
from tests.every_table import fill_every_table
from tests.factories import make_transactions, make_user
from tests.live_server import Server

EXPORT = """query($after: String, $first: Int) {
  exportMyData(transactionsAfter: $after, transactionsFirst: $first) {
    generatedAt data transactionsEndCursor hasMoreTransactions } }"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken refreshToken } }"""
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
OTHER_JTI = "0b5b7c1e-75a4-4b8e-9a34-3c1e0fbbd7a1"


async def _other_user() -> int:
    """Someone else, with rows in every section and a session of their own."""
    other = await make_user("other@example.in")
    await fill_every_table(other.id, "Zanzibar", NOW)
    await RefreshToken.create(
        jti=OTHER_JTI,
        user_id=other.id,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=30),
        session_id="3f2c59f4-8f67-4f0e-b0e2-7d8a6d6c9a11",
        session_started_at=NOW,
        user_agent="Zanzibar-Agent/1.0",
    )
    return other.id


async def _download(api: Api, token: str | None = None) -> tuple[bytes, Any]:
    response = await api.client.get(
        "/export", headers={"authorization": f"Bearer {token or api.token}"}
    )
    assert response.status_code == 200, response.text
    return response.content, response


async def _me(api: Api) -> User:
    return await User.get(email="priya@example.in")


@BOTH_BACKENDS
async def test_every_section_holds_the_callers_rows_and_nobody_elses(api: Api) -> None:
    await api.register()
    me = await _me(api)
    await fill_every_table(me.id, "Marigold", NOW)
    await _other_user()
    phone = await api.client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"e": "priya@example.in", "p": STRONG_PASSWORD}},
        headers={"user-agent": "GigCash/2.1 (Android 14)"},
    )
    assert "errors" not in phone.json()

    raw, response = await _download(api)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="gigcash-export-\d{4}-\d{2}-\d{2}\.json"',
        response.headers["content-disposition"],
    )
    assert b"anzibar" not in raw  # the other user's tag, in any case
    assert OTHER_JTI.encode() not in raw
    document = orjson.loads(raw)
    datetime.fromisoformat(document["generatedAt"])
    data = document["data"]
    assert list(data) == list(data_export.SECTION_MODELS)

    # Every list holds exactly the caller's rows.
    owned: dict[str, tuple[type[Model], dict[str, Any]]] = {
        "transactions": (Transaction, {"user_id": me.id}),
        "incomeSources": (IncomeSource, {"user_id": me.id}),
        "recurringItems": (RecurringItem, {"user_id": me.id}),
        "insights": (Insight, {"user_id": me.id}),
        "statementImports": (StatementImport, {"user_id": me.id}),
        "categoryRules": (CategoryRule, {"user_id": me.id}),
        "taxPayments": (TaxPayment, {"user_id": me.id}),
        "alerts": (Alert, {"user_id": me.id}),
        "webhooks": (Webhook, {"user_id": me.id}),
        "signInAddresses": (SignInAddress, {"user_id": me.id}),
        "passwordResets": (PasswordResetToken, {"user_id": me.id}),
        "generationJobsRequested": (GenerationJob, {"requested_by_id": me.id}),
    }
    for key, (model, mine) in owned.items():
        expected = set(await model.filter(**mine).values_list("id", flat=True))
        assert expected, key
        assert {row["id"] for row in data[key]} == expected, key

    assert data["profile"]["email"] == "priya@example.in"
    assert data["profile"]["openingBalance"] == "0.00"
    assert data["profile"]["isActive"] is True
    assert {"passwordHash", "emailSkeleton", "tokenVersion"}.isdisjoint(data["profile"])
    buffer = data["buffer"]
    assert buffer["balance"] == "500.00"
    assert [entry["note"] for entry in buffer["entries"]] == ["Marigold deposit"]
    assert data["forecast"]["horizons"] == [{"days": 30, "p50": "1200.50"}]
    assert data["forecast"]["asOf"] == "2026-11-20"
    assert data["forecast"]["generatedAt"] == "2026-11-20T09:30:00+00:00"
    assert data["taxProfile"]["deductions"] == "150000.00"
    assert data["taxProfile"]["gstRegistered"] is False
    assert data["taxPayments"][0]["amount"] == "12345.67"
    assert data["taxPayments"][0]["paidOn"] == "2026-09-15"
    assert data["alertSettings"]["lowBalanceBelow"] == "1000.00"
    assert data["alertSettings"]["shortfallThreshold7"] == 0.2
    assert data["statementImports"][0]["problems"] == [{"row": 4, "message": "no date"}]
    assert data["statementImports"][0]["reconciled"] is True
    [hook] = data["webhooks"]
    assert "secret" not in hook
    assert hook["url"] == "https://marigold.example.in/hook"
    assert [d["messageId"] for d in hook["deliveries"]] == ["msg_Marigold"]
    assert hook["deliveries"][0]["body"]["data"]["title"] == "Marigold alert"
    assert data["generationJob"]["id"] == data["generationJobsRequested"][0]["id"]
    assert "passwordHash" not in data["generationJob"]
    assert set(data["passwordResets"][0]) == {"id", "createdAt", "expiresAt", "usedAt"}

    # Money exact, instants ISO 8601 in UTC, as the ledger holds them.
    rows = await Transaction.filter(user_id=me.id).order_by("occurred_at", "id")
    assert [t["id"] for t in data["transactions"]] == [row.id for row in rows]
    for exported, row in zip(data["transactions"], rows, strict=True):
        assert exported["amount"] == str(row.amount)
        assert exported["balanceAfter"] == str(row.balance_after)
        assert datetime.fromisoformat(exported["occurredAt"]) == row.occurred_at
        assert exported["occurredAt"].endswith("+00:00")

    # One session per sign-in (registration, the phone's login), named as `sessions` names it.
    families = {
        str(s)
        for s in await RefreshToken.filter(user_id=me.id).values_list("session_id", flat=True)
    }
    assert {s["id"] for s in data["sessions"]} == families
    assert len(families) == 2
    assert "GigCash/2.1 (Android 14)" in {s["userAgent"] for s in data["sessions"]}
    assert all(s["active"] for s in data["sessions"])
    assert set(data["sessions"][0]) == {"id", "createdAt", "lastUsedAt", "active", "userAgent"}

    # The first page of exportMyData holds the same document.
    body = await api.post(EXPORT, {"first": 100})
    assert "errors" not in body, body
    page = body["data"]["exportMyData"]
    assert page["data"] == data
    assert page["hasMoreTransactions"] is False


@BOTH_BACKENDS
async def test_pages_give_every_transaction_once_and_match_the_download(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.register()
    me = await _me(api)
    rows = await make_transactions(me.id, 57)
    # Twenty rows at one instant: pages must break ties by id, across page boundaries.
    tied = [row.id for row in rows[5:25]]
    await Transaction.filter(id__in=tied).update(occurred_at=rows[5].occurred_at)
    await make_transactions((await make_user()).id, 13)
    # Small pages in the stream too, so that GET /export reads by keyset as well.
    monkeypatch.setattr(data_export, "PAGE_ROWS", 7)

    seen: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        body = await api.post(EXPORT, {"after": after, "first": 10})
        assert "errors" not in body, body
        page = body["data"]["exportMyData"]
        pages += 1
        if after is None:
            assert "profile" in page["data"]
        else:
            assert list(page["data"]) == ["transactions"]
        seen.extend(page["data"]["transactions"])
        if not page["hasMoreTransactions"]:
            break
        after = page["transactionsEndCursor"]
    assert pages == 6

    ids = [row["id"] for row in seen]
    assert len(ids) == len(set(ids)) == 57
    ordered = await Transaction.filter(user_id=me.id).order_by("occurred_at", "id")
    assert ids == [row.id for row in ordered]

    raw, _ = await _download(api)
    assert orjson.loads(raw)["data"]["transactions"] == seen


@BOTH_BACKENDS
async def test_no_credential_is_ever_exported(api: Api) -> None:
    first = await api.register()
    me = await _me(api)
    credentials = await fill_every_table(me.id, "Marigold", NOW)
    second = (await api.post(LOGIN, {"e": "priya@example.in", "p": STRONG_PASSWORD}))["data"][
        "login"
    ]
    refreshed = (
        await api.post(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }",
            {"t": second["refreshToken"]},
        )
    )["data"]["refreshToken"]
    me = await _me(api)
    credentials["password hash"] = me.password_hash
    for n, pair in enumerate((first, second, refreshed)):
        credentials[f"access token {n}"] = pair["accessToken"]
        credentials[f"refresh token {n}"] = pair["refreshToken"]
    jtis = await RefreshToken.filter(user_id=me.id).values_list("jti", flat=True)
    assert len(jtis) == 3
    for n, jti in enumerate(jtis):
        credentials[f"jti {n}"] = str(jti)
        credentials[f"jti hex {n}"] = uuid.UUID(str(jti)).hex

    downloaded, _ = await _download(api, refreshed["accessToken"])
    answered = (
        await api.client.post(
            "/graphql",
            json={"query": EXPORT, "variables": {}},
            headers={"authorization": f"Bearer {refreshed['accessToken']}"},
        )
    ).content
    assert b'"sessions"' in answered
    for where, raw in (("GET /export", downloaded), ("exportMyData", answered)):
        for what, value in credentials.items():
            assert value.encode() not in raw, f"{what} in {where}"
        for key in (b'"passwordHash"', b'"secret"', b'"jti"', b'"tokenHash"', b"tokenVersion"):
            assert key not in raw, f"{key!r} in {where}"


async def test_every_table_that_refers_to_a_user_is_exported_or_left_out(api: Api) -> None:
    assert Tortoise.apps is not None
    models = list(Tortoise.apps.get_models_iterable())
    exported = {model for found in data_export.SECTION_MODELS.values() for model in found}
    left_out = set(data_export.LEFT_OUT)
    assert not exported & left_out
    assert exported | left_out <= set(models)

    def parents(model: type[Model]) -> set[type[Model]]:
        fields = model._meta.fields_map.values()
        return {
            field.related_model
            for field in fields
            if isinstance(field, ForeignKeyFieldInstance | OneToOneFieldInstance)
        }

    refers = {User}
    while True:
        more = {model for model in models if parents(model) & refers} - refers
        if not more:
            break
        refers |= more
    assert refers >= {BufferEntry, WebhookDelivery, GenerationJob, RefreshToken}
    missing = sorted(model.__name__ for model in refers - exported - left_out)
    assert not missing, f"neither exported nor left out with a reason: {missing}"
    # A table that holds a user's id without a foreign key (as rate-limit keys do) is found
    # by no walk: every table is classified.
    unclassified = sorted(model.__name__ for model in set(models) - exported - left_out)
    assert not unclassified, f"classify these tables in data_export: {unclassified}"

    # Every column of an exported table is exported or left out with a reason.
    for table in data_export.TABLES:
        columns = set(table.model._meta.fields_db_projection.values())
        shown, kept = set(table.columns), set(table.left_out)
        assert not shown & kept, table.name
        assert columns == shown | kept | {table.owner}, (table.name, columns - shown - kept)
        assert all(reason for reason in table.left_out.values())


@BOTH_BACKENDS
async def test_a_revoked_or_missing_token_is_unauthenticated_on_both_paths(api: Api) -> None:
    await api.register()
    token = api.token
    head = await api.client.head("/export", headers={"authorization": f"Bearer {token}"})
    assert head.status_code == 200
    assert head.headers["content-disposition"].startswith("attachment")
    assert (await api.post("mutation { logout }"))["data"]["logout"]

    assert error_code(await api.post(EXPORT, token=token)) == "UNAUTHENTICATED"
    for headers in ({"authorization": f"Bearer {token}"}, {}, {"authorization": "Bearer nope"}):
        response = await api.client.get("/export", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["message"]
    assert not await RateLimitCounter.filter(key__startswith="data-export:").exists()


@BOTH_BACKENDS
async def test_bad_pages_are_bad_user_input_and_count_nothing(api: Api) -> None:
    await api.register()
    for first in (0, -1, data_export.MAX_PAGE_ROWS + 1):
        body = await api.post(EXPORT, {"first": first})
        assert error_code(body) == "BAD_USER_INPUT"
        extensions = body["errors"][0]["extensions"]
        assert extensions["field"] == "transactionsFirst"
        assert extensions["reason"] == "OUT_OF_RANGE"
        assert "10000" in body["errors"][0]["message"]
    for cursor in ("not-a-cursor", encode_cursor("export-transactions", "x", "y")):
        body = await api.post(EXPORT, {"after": cursor})
        assert error_code(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["reason"] == "INVALID_CURSOR"
    assert not await RateLimitCounter.filter(key__startswith="data-export:").exists()

    # Two pages in one request fit the budget; three do not.
    three = (
        "{ " + " ".join(f"e{i}: exportMyData {{ hasMoreTransactions }}" for i in range(3)) + " }"
    )
    body = await api.post(three)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["cost"] == 3 * 20
    two = "{ " + " ".join(f"e{i}: exportMyData {{ hasMoreTransactions }}" for i in range(2)) + " }"
    assert "errors" not in await api.post(two)
    # A null page size is the default one.
    page = await api.post(EXPORT, {"first": None})
    assert page["data"]["exportMyData"]["hasMoreTransactions"] is False


@BOTH_BACKENDS
async def test_whole_exports_are_rate_limited_and_later_pages_are_not(api: Api) -> None:
    await api.register()
    me = await _me(api)
    await make_transactions(me.id, 3)
    for _ in range(data_export.EXPORTS_PER_HOUR - 1):
        await data_export.charge_full_export(me.id)

    first = await api.post(EXPORT, {"first": 1})
    assert "errors" not in first, first
    cursor = first["data"]["exportMyData"]["transactionsEndCursor"]
    for _ in range(3):  # later pages are not whole exports
        later = await api.post(EXPORT, {"after": cursor, "first": 1})
        assert "errors" not in later, later

    assert error_code(await api.post(EXPORT)) == "RATE_LIMITED"
    response = await api.client.get("/export", headers={"authorization": f"Bearer {api.token}"})
    assert response.status_code == 429
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) > 0

    # Someone else's limit is their own.
    await api.register(email="asha@example.in", full_name="Asha Rao")
    assert "errors" not in await api.post(EXPORT)


async def test_the_stream_holds_a_page_of_rows_not_the_ledger(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory while streaming 20,000 transactions is a page's worth (here 200 rows), far
    below the export itself (reading them all at once peaks near 60 MB)."""
    await api.register()
    me = await _me(api)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    await db.execute_many(
        "INSERT INTO ledger_transaction (user_id, occurred_at, amount, direction, category, "
        "merchant, description, balance_after, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        [
            [
                me.id,
                start + timedelta(minutes=37 * i),
                Decimal(f"{i % 997}.{i % 100:02d}"),
                "expense",
                "Groceries",
                f"Merchant number {i % 50}",
                "UPI/DR/123456789012/SOME NARRATION TEXT/okaxis",
                Decimal("0.00"),
                start,
            ]
            for i in range(20_000)
        ],
    )
    monkeypatch.setattr(data_export, "PAGE_ROWS", 200)

    total = chunks = 0
    tracemalloc.start()
    try:
        async for chunk in data_export.iter_export(me.id):
            total += len(chunk)
            chunks += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 8_000_000
    assert chunks >= 50  # sent as it is read: 64 KB and more at a time
    assert peak < total / 4, (peak, total)


@pytest.fixture
def server(postgres_url: str, app_client: Any, tmp_path: Path) -> Iterator[Server]:
    """A real server process on the test database (emptied by app_client)."""
    live = Server(postgres_url, tmp_path, keep_log=True)
    yield live
    live.stop()


async def test_a_real_server_streams_the_file_and_survives_a_client_that_leaves(
    server: Server,
) -> None:
    """Over a socket the body leaves in pieces as pages are read (each page on a pooled
    connection of the serving process, given back between pages), and a client hanging up
    mid-download leaves the server answering the next one."""
    body = server.post(
        """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }""",
        {"i": {"email": "priya@example.in", "password": STRONG_PASSWORD, "fullName": "Priya"}},
    )
    token = body["data"]["register"]["accessToken"]
    me = await User.get(email="priya@example.in")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    await db.execute_many(
        "INSERT INTO ledger_transaction (user_id, occurred_at, amount, direction, category, "
        "merchant, description, balance_after, created_at, updated_at) "
        "VALUES ($1, $2, $3, 'income', 'Freelance income', 'Acme', '', $3, $4, $4)",
        [[me.id, start + timedelta(hours=i), Decimal(f"{i}.50"), start] for i in range(25_000)],
    )
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        pieces = []
        async with client.stream("GET", "/export", headers=headers) as response:
            assert response.status_code == 200
            async for piece in response.aiter_raw():
                pieces.append(piece)
        document = orjson.loads(b"".join(pieces))
        assert len(document["data"]["transactions"]) == 25_000
        assert len(pieces) > 1

        for _ in range(3):  # hang up after the first bytes of some 9 MB
            async with client.stream("GET", "/export", headers=headers) as response:
                async for _piece in response.aiter_raw():
                    break
        await asyncio.sleep(0.5)
        again = await client.get("/export", headers=headers)
        assert again.status_code == 200
        assert len(orjson.loads(again.content)["data"]["transactions"]) == 25_000
    assert "Traceback" not in server.log_text(), server.log_text()
