"""Alerts through the API: evaluated when an outlook is stored, fired once and cleared,
delivered to a real local HTTP receiver as signed Standard Webhooks from the durable outbox,
and live on the `alerts` subscription over a websocket of a real server process."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from tortoise.transactions import in_transaction
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gql_server.app import create_app
from gql_server.errors import RateLimited
from gql_server.models import (
    Alert,
    DeliveryStatus,
    Direction,
    RefitRequest,
    StoredOutlook,
    Transaction,
    User,
    Webhook,
    WebhookDelivery,
)
from gql_server.services import alerts
from gql_server.services.balances import recompute_balances
from gql_server.services.outlook import inputs
from gql_server.services.outlook.refits import RefitQueue
from gql_server.settings import Settings
from gql_server.webhooks import signing
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, empty_tables, error_code
from tests.live_server import Server

CREATE = """mutation($i: WebhookInput!) { createWebhook(input: $i) {
  secret webhook { id url kinds description disabledAt } } }"""
ALERTS = "{ alerts(first: 50) { id kind severity title message metrics createdAt clearedAt } }"
FORECAST = "{ forecast(horizonDays: 30, maxStalenessSeconds: 0) { shortfallProbability } }"
ADD = """mutation($i: TransactionInput!) { createTransaction(input: $i) { id } }"""


@dataclass
class Receiver:
    """A plain HTTP/1.1 receiver on 127.0.0.1 that answers `status` and keeps what came."""

    status: int = 200
    seen: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)  # the status each request got
    port: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            headers = {}
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.seen.append((headers, body))
            self.answered.append(self.status)
            self.arrived.set()
            writer.write(f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.seen]

    async def wait_for(self, count: int, within_s: float = 15) -> None:
        deadline = time.monotonic() + within_s
        while len(self.seen) < count:
            self.arrived.clear()
            left = deadline - time.monotonic()
            assert left > 0, f"{len(self.seen)} deliveries arrived, expected {count}"
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                continue


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    await found.stop()


async def _rows(user_id: int, rows: Sequence[tuple[datetime, str, str, str]]) -> None:
    await Transaction.bulk_create(
        [
            Transaction(
                user_id=user_id,
                occurred_at=at,
                amount=Decimal(amount),
                direction=Direction.INCOME if category.endswith("income") else Direction.EXPENSE,
                category=category,
                merchant=merchant,
            )
            for at, amount, category, merchant in rows
        ]
    )
    async with in_transaction() as connection:
        await recompute_balances(user_id, datetime(2000, 1, 1, tzinfo=UTC), connection)


def _months(months: int, day: int) -> list[datetime]:
    out, year, month = [], 2026, 11
    for _ in range(months):
        out.append(datetime(year, month, day, 6, tzinfo=UTC))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


async def _short_of_money(api: Api) -> User:
    """Rent of Rs 30,000 on the 1st and fees of Rs 25,000 on the 3rd for six months: the
    balance is below zero, and the forecast sees it stay there."""
    await api.register()
    user = await User.get(email="priya@example.in")
    rows = [(at, "30000.00", "Rent", "Landlord") for at in _months(6, 1)]
    rows += [(at, "25000.00", "Freelance income", "Acme") for at in _months(6, 3)]
    await _rows(user.id, rows)
    return user


async def _kinds_open(user: User) -> set[str]:
    return {row.kind for row in await Alert.filter(user_id=user.id, cleared_at=None)}


@BOTH_BACKENDS
async def test_an_alert_fires_once_reaches_the_webhook_signed_and_clears(
    api: Api, receiver: Receiver
) -> None:
    user = await _short_of_money(api)
    body = await api.post(CREATE, {"i": {"url": receiver.url, "kinds": ["SHORTFALL_RISK"]}})
    created = body["data"]["createWebhook"]
    assert created["secret"].startswith("whsec_")
    assert created["webhook"]["kinds"] == ["SHORTFALL_RISK"]

    assert (await api.post(FORECAST))["data"]["forecast"]["shortfallProbability"] > 0.9
    listed = (await api.post(ALERTS))["data"]["alerts"]
    shortfall = [a for a in listed if a["kind"] == "SHORTFALL_RISK"]
    assert len(shortfall) >= 1
    assert all(a["clearedAt"] is None for a in shortfall)
    assert "LOW_BALANCE_AHEAD" in await _kinds_open(user)
    await receiver.wait_for(len(shortfall))
    fired = receiver.events()
    assert {e["type"] for e in fired} == {"alert.fired"}
    assert {e["data"]["kind"] for e in fired} == {"SHORTFALL_RISK"}  # the kinds it asked for
    for headers, raw in receiver.seen:
        assert signing.verify(created["secret"], headers, raw)
    assert len({headers["webhook-id"] for headers, _ in receiver.seen}) == len(receiver.seen)

    # Computed again with nothing new: the condition holds, nothing fires twice.
    await api.post("mutation { refreshForecasts { horizonDays } }")
    again = (await api.post(ALERTS))["data"]["alerts"]
    assert len(again) == len(listed)

    # A large payment today: the shortfall ends, the alert clears, and the webhook hears so.
    body = await api.post(
        ADD,
        {
            "i": {
                "occurredAt": "2026-11-28T04:00:00Z",
                "amount": "1000000",
                "direction": "INCOME",
                "category": "Freelance income",
            }
        },
    )
    assert "errors" not in body, body
    await api.post(FORECAST)
    assert "SHORTFALL_RISK" not in await _kinds_open(user)
    cleared = [a for a in (await api.post(ALERTS))["data"]["alerts"] if a["clearedAt"]]
    assert {a["kind"] for a in cleared} >= {"SHORTFALL_RISK"}
    await receiver.wait_for(len(shortfall) * 2)
    assert [e["type"] for e in receiver.events()].count("alert.cleared") == len(shortfall)

    # The receiver has the last event before the sender has recorded its answer: on a busy
    # machine the delivery reads PENDING for a moment longer.
    for _ in range(100):
        log = await api.post(
            """query { webhooks { deliveries(first: 10) { messageId eventType status attempts
              lastStatus } } }"""
        )
        deliveries = log["data"]["webhooks"][0]["deliveries"]
        if "PENDING" not in {d["status"] for d in deliveries}:
            break
        await asyncio.sleep(0.1)
    assert {d["status"] for d in deliveries} == {"DELIVERED"}
    assert {d["lastStatus"] for d in deliveries} == {200}


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_receiver_that_is_down_gets_every_alert_later_under_one_webhook_id(
    settings: Settings,
) -> None:
    """Down for the first attempts, then up: each delivery arrives, every attempt of one
    delivery under the same webhook-id, none twice."""
    settings = replace(settings, webhook_retry_seconds=(0.3, 0.3, 0.3, 0.3, 0.3, 5))
    receiver = Receiver(status=503)
    await receiver.start()
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            await _short_of_money(api)
            await api.post(CREATE, {"i": {"url": receiver.url}})
            await api.post(FORECAST)
            expected = await WebhookDelivery.all().count()
            assert expected >= 2
            await receiver.wait_for(expected)  # refused: 503s
            receiver.status = 200
            deadline = time.monotonic() + 20
            while await WebhookDelivery.filter(status=DeliveryStatus.PENDING).exists():
                assert time.monotonic() < deadline, "deliveries still pending"
                await asyncio.sleep(0.2)
            rows = await WebhookDelivery.all()
    await receiver.stop()
    assert {row.status for row in rows} == {DeliveryStatus.DELIVERED}
    assert all(row.attempts >= 2 for row in rows)
    ids = [headers["webhook-id"] for headers, _ in receiver.seen]
    accepted = [i for i, status in zip(ids, receiver.answered, strict=True) if status == 200]
    # Each delivery accepted exactly once, and every attempt under its own delivery's id.
    assert sorted(accepted) == sorted(row.message_id for row in rows)
    assert set(ids) == {row.message_id for row in rows}


@BOTH_BACKENDS
async def test_bad_webhooks_are_coded_and_capped(api: Api, settings: Settings) -> None:
    await api.register()
    cases = [
        ("ftp://example.com/x", "UNSUPPORTED_SCHEME"),
        ("https://example.com/" + "a" * 2000, "URL_TOO_LONG"),
        ("not a url", "INVALID_URL"),
    ]
    for url, reason in cases:
        body = await api.post(CREATE, {"i": {"url": url}})
        assert error_code(body) == "BAD_USER_INPUT", body
        assert body["errors"][0]["extensions"]["reason"] == reason, body
    for k in range(20):
        body = await api.post(CREATE, {"i": {"url": f"https://hooks.example.com/{k}"}})
        assert "errors" not in body, body
    body = await api.post(CREATE, {"i": {"url": "https://hooks.example.com/21"}})
    assert body["errors"][0]["extensions"]["reason"] == "TOO_MANY_WEBHOOKS"
    assert await Webhook.all().count() == 20
    # The secret is shown once: never in the list.
    listed = await api.post("{ webhooks { id url } }")
    assert "secret" not in json.dumps(listed)

    # Someone else's webhook is not found, and stays.
    first = listed["data"]["webhooks"][0]["id"]
    other = Api(api.client)
    await other.register(email="ravi@example.in")
    body = await other.post("mutation($id: ID!) { deleteWebhook(id: $id) }", {"id": first})
    assert error_code(body) == "NOT_FOUND"
    assert await Webhook.all().count() == 20


async def test_private_addresses_are_refused_outside_development(settings: Settings) -> None:
    staging = replace(settings, app_env="staging")
    app = create_app(staging)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            await api.register()
            for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/"):
                body = await api.post(CREATE, {"i": {"url": url}})
                assert body["errors"][0]["extensions"]["reason"] == "PRIVATE_ADDRESS", body
            assert not await Webhook.exists()


@BOTH_BACKENDS
async def test_alert_settings_are_checked_and_kept(api: Api) -> None:
    await api.register()
    query = "{ alertSettings { shortfallThreshold7 shortfallThreshold30 lowBalanceBelow incomeOverdueDays enabledKinds } }"  # noqa: E501
    default = (await api.post(query))["data"]["alertSettings"]
    assert default["shortfallThreshold30"] == 0.35
    assert "SHORTFALL_RISK" in default["enabledKinds"]
    update = """mutation($i: AlertSettingsInput!) { updateAlertSettings(input: $i) {
      shortfallThreshold30 incomeOverdueDays enabledKinds } }"""
    body = await api.post(
        update, {"i": {"shortfallThreshold30": 0.5, "enabledKinds": ["SHORTFALL_RISK"]}}
    )
    assert body["data"]["updateAlertSettings"] == {
        "shortfallThreshold30": 0.5,
        "incomeOverdueDays": 5,
        "enabledKinds": ["SHORTFALL_RISK"],
    }
    for bad in ({"shortfallThreshold7": 1.5}, {"incomeOverdueDays": 0}, {"lowBalanceBelow": "-1"}):
        body = await api.post(update, {"i": bad})
        assert error_code(body) == "BAD_USER_INPUT", body
    assert (await api.post(query))["data"]["alertSettings"]["shortfallThreshold30"] == 0.5


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_new_day_asks_for_the_refit_of_yesterdays_outlooks(api: Api) -> None:
    user = await _short_of_money(api)
    await api.post(FORECAST)
    queue = RefitQueue(_never)
    await RefitRequest.all().delete()
    assert await queue.roll_days() == 0
    await StoredOutlook.filter(user_id=user.id).update(as_of=date(2026, 11, 20))
    assert await queue.roll_days() == 1
    assert await RefitRequest.filter(user_id=user.id).exists()


async def _never(user_id: int) -> None:
    raise AssertionError("only asked for, not run")


def _read_until_closed(ws: ClientConnection) -> None:
    for _ in range(20):
        ws.recv(timeout=10)


def test_alerts_arrive_on_a_websocket_which_closes_when_tokens_are_revoked(
    postgres_url: str, tmp_path: Path
) -> None:
    server = Server(postgres_url, tmp_path)
    try:
        token = server.post(
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            {"i": {"email": "ws-alerts@example.in", "password": STRONG_PASSWORD, "fullName": "W"}},
        )["data"]["register"]["accessToken"]
        url = server.url.replace("http://", "ws://") + "/graphql"
        with connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10
        ) as ws:
            ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
            ws.send(
                json.dumps(
                    {
                        "type": "subscribe",
                        "id": "a",
                        "payload": {"query": "subscription { alerts { kind clearedAt } }"},
                    }
                )
            )
            time.sleep(1.5)  # subscribed before the write
            started = time.monotonic()
            for day in (1, 2):
                body = server.post(
                    ADD,
                    {
                        "i": {
                            "occurredAt": f"2026-11-{day:02d}T04:00:00Z",
                            "amount": "90000",
                            "direction": "EXPENSE",
                            "category": "Rent",
                        }
                    },
                    token,
                )
                assert "errors" not in body, body
            server.post(FORECAST, token=token)
            message = json.loads(ws.recv(timeout=20))
            latency = time.monotonic() - started
            assert message["type"] == "next", message
            assert message["payload"]["data"]["alerts"]["clearedAt"] is None
            assert latency < 20

            server.post("mutation { logout }", token=token)
            with pytest.raises(ConnectionClosed) as closed:
                _read_until_closed(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401

        # Each operation on a socket asks again: once the tokens are revoked, a socket that
        # authenticated before answers UNAUTHENTICATED (it answered as the user before).
        login = server.post(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            {"e": "ws-alerts@example.in", "p": STRONG_PASSWORD},
        )
        token = login["data"]["login"]["accessToken"]
        with connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10
        ) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            ws.send(json.dumps(init))
            assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
            me = {"query": "{ me { email } }"}
            ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": me}))
            assert json.loads(ws.recv(timeout=10))["payload"]["data"]["me"] is not None
            json.loads(ws.recv(timeout=10))  # complete
            server.post("mutation { logout }", token=token)
            ws.send(json.dumps({"type": "subscribe", "id": "2", "payload": me}))
            answer = json.loads(ws.recv(timeout=10))
            assert answer["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        # A message larger than a request body may be closes the socket (1009: too big).
        with connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10
        ) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": {"x": "y" * 300_000}}))
            with pytest.raises(ConnectionClosed) as closed:
                _read_until_closed(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009
    finally:
        server.stop()


async def test_alerts_stream_over_multipart_http_until_logout(api: Api) -> None:
    user = await _short_of_money(api)
    await Transaction.filter(user_id=user.id).delete()  # nothing fires before the subscription
    headers = {
        "authorization": f"Bearer {api.token}",
        "accept": "multipart/mixed;subscriptionSpec=1.0,application/json",
    }
    streaming = asyncio.create_task(
        api.client.post(
            "/graphql",
            json={"query": "subscription { alerts { kind clearedAt } }"},
            headers=headers,
            timeout=60,
        )
    )
    await asyncio.sleep(1.5)
    rows = [(at, "30000.00", "Rent", "Landlord") for at in _months(3, 1)]
    await _rows(user.id, rows)
    await api.post(FORECAST)
    await asyncio.sleep(1.5)
    await api.post("mutation { logout }")
    response = await asyncio.wait_for(streaming, 30)
    events = [
        json.loads(part.split("\r\n\r\n", 1)[1])
        for part in response.text.split("--graphql")
        if "\r\n\r\n" in part and '"payload"' in part
    ]
    kinds = [e["payload"]["data"]["alerts"]["kind"] for e in events if e["payload"].get("data")]
    assert "SHORTFALL_RISK" in kinds
    assert events[-1]["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_an_endpoint_failing_for_a_day_is_disabled_and_its_user_told(
    settings: Settings,
) -> None:
    receiver = Receiver(status=500)
    await receiver.start()
    app = create_app(replace(settings, webhook_retry_seconds=(0.2, 0.2, 0.2)))
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            user = await _short_of_money(api)
            await api.post(CREATE, {"i": {"url": receiver.url}})
            other = await api.post(CREATE, {"i": {"url": "https://hooks.example.com/other"}})
            # It has failed since yesterday morning; the next failure turns it off.
            await Webhook.filter(url=receiver.url).update(
                failing_since=datetime.now(UTC) - timedelta(hours=25)
            )
            await api.post(FORECAST)
            deadline = time.monotonic() + 20
            while not await Alert.filter(user_id=user.id, kind="WEBHOOK_DISABLED").exists():
                assert time.monotonic() < deadline, "the webhook was not disabled"
                await asyncio.sleep(0.2)
            hook = await Webhook.get(url=receiver.url)
            assert hook.disabled_at is not None
            # The alert goes to the user's other webhooks: it names the host, never the path
            # (which often holds the receiver's own token).
            told = await Alert.get(user_id=user.id, kind="WEBHOOK_DISABLED")
            assert "127.0.0.1" in told.message
            assert "/hook" not in told.message
            assert not await WebhookDelivery.filter(
                webhook_id=hook.id, status=DeliveryStatus.PENDING
            ).exists()
            listed = (await api.post("{ webhooks { url disabledAt } }"))["data"]["webhooks"]
            assert [w["disabledAt"] is not None for w in listed] == [True, False]
            assert other["data"]["createWebhook"]["webhook"]["disabledAt"] is None
    await receiver.stop()


@BOTH_BACKENDS
async def test_alerts_are_nodes_of_their_owner_only(api: Api) -> None:
    """node(id) on an alert or webhook id answered INTERNAL_SERVER_ERROR (no id bound)."""
    await _short_of_money(api)
    await api.post(FORECAST)
    await api.post(CREATE, {"i": {"url": "https://hooks.example.com/x"}})
    alert_id = (await api.post(ALERTS))["data"]["alerts"][0]["id"]
    hook_id = (await api.post("{ webhooks { id } }"))["data"]["webhooks"][0]["id"]
    query = """query($a: ID!, $w: ID!) { a: node(id: $a) { ... on Alert { kind } }
      w: node(id: $w) { ... on Webhook { url } } }"""
    mine = await api.post(query, {"a": alert_id, "w": hook_id})
    assert "errors" not in mine, mine
    assert mine["data"]["a"]["kind"]
    assert mine["data"]["w"]["url"]
    other = Api(api.client)
    await other.register(email="ravi@example.in")
    theirs = await other.post(query, {"a": alert_id, "w": hook_id})
    assert theirs == {"data": {"a": None, "w": None}}


async def test_alert_subscriptions_per_user_are_bounded(api: Api) -> None:
    user = await _short_of_money(api)

    async def allowed() -> bool:
        return True

    open_ones = [alerts.alert_events(user.id, poll_s=60, still_allowed=allowed) for _ in range(5)]
    started = [asyncio.ensure_future(anext(stream)) for stream in open_ones]
    await asyncio.sleep(0.3)
    sixth = alerts.alert_events(user.id, poll_s=60, still_allowed=allowed)
    with pytest.raises(RateLimited):
        await anext(sixth)
    for task in started:
        task.cancel()
    await asyncio.gather(*started, return_exceptions=True)
    for stream in open_ones:
        await stream.aclose()


async def test_new_alert_settings_make_the_outlook_stale(api: Api) -> None:
    """Settings are read by the evaluation after each outlook: without them in the
    fingerprint, a kind turned off stayed open until the next write."""
    user = await _short_of_money(api)
    before = await inputs.fingerprint(user, date(2026, 11, 27))
    await api.post(
        """mutation { updateAlertSettings(input: {enabledKinds: [SHORTFALL_RISK]}) {
          enabledKinds } }"""
    )
    assert await inputs.fingerprint(user, date(2026, 11, 27)) != before
    await api.post(FORECAST)
    assert await _kinds_open(user) == {"SHORTFALL_RISK"}


async def test_a_page_size_out_of_range_is_bad_user_input(api: Api) -> None:
    """As every list's `first`: refused with a code, not quietly clamped."""
    await api.register()
    made = await api.post(CREATE, {"i": {"url": "https://hooks.example.in/gigcash"}})
    assert "errors" not in made, made
    for first in (0, 101):
        for query in (
            "query($n: Int) { alerts(first: $n) { id } }",
            "query($n: Int!) { webhooks { deliveries(first: $n) { messageId } } }",
        ):
            body = await api.post(query, {"n": first})
            assert error_code(body) == "BAD_USER_INPUT", body
            assert body["errors"][0]["extensions"]["field"] == "first"
