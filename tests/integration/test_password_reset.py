"""Password reset by mail, through a real SMTP server on localhost (aiosmtpd): a link mailed
only to an account's address, usable once, within its time, signing out every session; the
request answers the same for any email, and its limits count every email alike."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from asgi_lifespan import LifespanManager

from gql_server.app import create_app
from gql_server.mail import Mailer
from gql_server.models import PasswordResetToken, User
from gql_server.settings import Settings
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, empty_tables, error_code, free_port

REQUEST = "mutation($e: String!) { requestPasswordReset(email: $e) }"
RESET = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }"
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
ME = "{ me { email } }"
NEW_PASSWORD = "Tamarind-lantern-harbour-77"
LINK = "https://app.gigcash.in/reset?token={token}"


class Inbox:
    """aiosmtpd's handler: every message the server accepted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def tokens(self) -> list[str]:
        found = []
        for message in self.messages:
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            match = re.search(r"reset\?token=([A-Za-z0-9_-]+)", body.decode())
            assert match, body
            found.append(match.group(1))
        return found


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox(free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@dataclasses.dataclass
class Mailing:
    api: Api
    mailer: Mailer
    inbox: Inbox
    app: Any

    def client_at(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def mailing(settings: Settings, inbox: Inbox) -> AsyncIterator[Mailing]:
    with_mail = dataclasses.replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{inbox.port}",
        password_reset_url=LINK,
        password_resets_per_email=5,
    )
    app = create_app(with_mail)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Mailing(Api(client), app.state.resources.mailer, inbox, manager.app)


def reason(body: dict) -> str:
    return body["errors"][0]["extensions"].get("reason", "")


async def _ask(m: Mailing, email: str) -> dict:
    body = await m.api.post(REQUEST, {"e": email})
    await m.mailer.drain()
    return body


@BOTH_BACKENDS
async def test_a_mailed_link_sets_a_new_password_once_and_signs_out_everywhere(
    mailing: Mailing,
) -> None:
    api = mailing.api
    registered = await api.register()
    other = (await api.post(LOGIN, {"e": "priya@example.in", "p": STRONG_PASSWORD}))["data"]

    assert (await _ask(mailing, "Priya@Example.in"))["data"]["requestPasswordReset"] is True
    [mail] = mailing.inbox.messages
    assert mail["To"] == "priya@example.in"
    assert mail["Subject"] == "Reset your GigCash password"
    [token] = mailing.inbox.tokens()
    # Only the token's digest is stored.
    assert not await PasswordResetToken.filter(token_hash=token).exists()

    assert (await api.post(RESET, {"t": token, "p": NEW_PASSWORD}))["data"]["resetPassword"]
    for session in (registered, other["login"]):
        assert error_code(await api.post(ME, token=session["accessToken"])) == "UNAUTHENTICATED"
        refreshed = await api.post(REFRESH, {"t": session["refreshToken"]})
        assert error_code(refreshed) == "UNAUTHENTICATED"
    old = await api.post(LOGIN, {"e": "priya@example.in", "p": STRONG_PASSWORD})
    assert error_code(old) == "UNAUTHENTICATED"
    assert "errors" not in await api.post(LOGIN, {"e": "priya@example.in", "p": NEW_PASSWORD})

    # Used once: a second use (even with another new password) changes nothing.
    again = await api.post(RESET, {"t": token, "p": "Another-monsoon-kite-91"})
    assert (error_code(again), reason(again)) == ("BAD_USER_INPUT", "USED_TOKEN")
    assert "errors" not in await api.post(LOGIN, {"e": "priya@example.in", "p": NEW_PASSWORD})


@BOTH_BACKENDS
async def test_an_unknown_email_gets_the_same_answer_and_no_mail(mailing: Mailing) -> None:
    await mailing.api.register()
    body = await _ask(mailing, "nobody@example.in")
    assert body == {"data": {"requestPasswordReset": True}}
    assert mailing.inbox.messages == []
    assert await PasswordResetToken.all().count() == 0


@BOTH_BACKENDS
async def test_bad_tokens_and_passwords_are_refused_and_change_nothing(mailing: Mailing) -> None:
    api = mailing.api
    await api.register()
    await _ask(mailing, "priya@example.in")
    [token] = mailing.inbox.tokens()
    before = (await User.get(email="priya@example.in")).password_hash

    cases = [
        (token + "x", NEW_PASSWORD, "INVALID_TOKEN"),  # forged
        ("", NEW_PASSWORD, "INVALID_TOKEN"),
        ("x" * 5000, NEW_PASSWORD, "INVALID_TOKEN"),
        (token, "password123", "WEAK_PASSWORD"),
        (token, STRONG_PASSWORD, "SAME_PASSWORD"),
    ]
    for given, password, expected in cases:
        body = await api.post(RESET, {"t": given, "p": password})
        assert (error_code(body), reason(body)) == ("BAD_USER_INPUT", expected), given[:20]
    assert (await User.get(email="priya@example.in")).password_hash == before
    # The refusals did not spend the link.
    assert (await PasswordResetToken.get()).used_at is None

    # Expired: refused, nothing changed.
    await PasswordResetToken.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    body = await api.post(RESET, {"t": token, "p": NEW_PASSWORD})
    assert (error_code(body), reason(body)) == ("BAD_USER_INPUT", "EXPIRED_TOKEN")
    assert (await User.get(email="priya@example.in")).password_hash == before


async def test_a_malformed_email_is_refused_and_nothing_is_mailed(mailing: Mailing) -> None:
    for bad in ("not-an-email", "priya@", "@example.in", "a" * 300 + "@example.in"):
        body = await _ask(mailing, bad)
        assert (error_code(body), reason(body)) == ("BAD_USER_INPUT", "INVALID_EMAIL"), bad
    assert mailing.inbox.messages == []


async def test_floods_are_limited_alike_for_known_and_unknown_emails(mailing: Mailing) -> None:
    """50 requests for one email in a minute, each from another address: five mails, then
    RATE_LIMITED, the same for an email without an account (the limit must not tell them
    apart)."""
    await mailing.api.register()
    answers: dict[str, list[str]] = {}
    for email in ("priya@example.in", "nobody@example.in"):
        codes = []
        for n in range(50):
            async with mailing.client_at(f"198.51.100.{n}") as client:
                body = await Api(client).post(REQUEST, {"e": email})
            codes.append(error_code(body) if "errors" in body else "OK")
        answers[email] = codes
    await mailing.mailer.drain()
    assert answers["priya@example.in"] == answers["nobody@example.in"]
    assert answers["priya@example.in"] == ["OK"] * 5 + ["RATE_LIMITED"] * 45
    assert len(mailing.inbox.messages) == 5
    assert {m["To"] for m in mailing.inbox.messages} == {"priya@example.in"}


async def test_requests_and_links_are_limited_per_address(mailing: Mailing) -> None:
    codes = []
    for n in range(25):
        body = await mailing.api.post(REQUEST, {"e": f"person{n}@example.in"})
        codes.append(error_code(body) if "errors" in body else "OK")
    assert codes == ["OK"] * 20 + ["RATE_LIMITED"] * 5
    codes = []
    for _ in range(25):
        body = await mailing.api.post(RESET, {"t": "guess", "p": NEW_PASSWORD})
        codes.append(error_code(body))
    # Using links counts apart: requests from a shared address do not block finishing one.
    assert codes == ["BAD_USER_INPUT"] * 20 + ["RATE_LIMITED"] * 5
    async with mailing.client_at("198.51.100.1") as client:
        body = await Api(client).post(RESET, {"t": "guess", "p": NEW_PASSWORD})
    assert reason(body) == "INVALID_TOKEN"


async def test_a_link_holder_gets_a_few_tries_from_any_number_of_addresses(
    mailing: Mailing,
) -> None:
    """Refusals leave the link usable and SAME_PASSWORD tells whether a guess is the current
    password: tries are counted per account, from every address."""
    await mailing.api.register()
    await _ask(mailing, "priya@example.in")
    [token] = mailing.inbox.tokens()
    reasons = []
    for n in range(8):
        async with mailing.client_at(f"198.51.100.{n}") as client:
            body = await Api(client).post(RESET, {"t": token, "p": f"guess-{n}"})
        reasons.append(reason(body) or error_code(body))
    assert reasons == ["WEAK_PASSWORD"] * 5 + ["RATE_LIMITED"] * 3


@BOTH_BACKENDS
async def test_a_new_password_ends_the_links_mailed_before_it(mailing: Mailing) -> None:
    await mailing.api.register()
    await _ask(mailing, "priya@example.in")
    [token] = mailing.inbox.tokens()
    change = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c,
      newPassword: $n) { accessToken } }"""
    assert "errors" not in await mailing.api.post(change, {"c": STRONG_PASSWORD, "n": NEW_PASSWORD})
    body = await mailing.api.post(RESET, {"t": token, "p": "Another-monsoon-kite-91"})
    assert reason(body) == "INVALID_TOKEN"
    assert "errors" not in await mailing.api.post(
        LOGIN, {"e": "priya@example.in", "p": NEW_PASSWORD}
    )


async def test_a_mail_that_could_not_be_sent_leaves_no_link_behind(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """SMTP down: the request still answers true; the link nobody received is deleted, so it
    does not count against the account's pending links once the server is back."""
    nobody_listens = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    app = create_app(nobody_listens)
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client)
            await api.register()
            with caplog.at_level(logging.ERROR, logger="gql_server.mail"):
                body = await api.post(REQUEST, {"e": "priya@example.in"})
                await app.state.resources.mailer.drain()
            assert body == {"data": {"requestPasswordReset": True}}
            assert await PasswordResetToken.all().count() == 0
            assert "a password reset mail failed" in caplog.text
            assert "priya" not in caplog.text


async def test_without_smtp_the_mail_is_logged_in_development(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    await api.register()
    with caplog.at_level(logging.INFO, logger="gql_server.mail"):
        assert (await api.post(REQUEST, {"e": "priya@example.in"}))["data"]
        for _ in range(200):
            if "SMTP_URL is not set" in caplog.text:
                break
            await _yield()
    assert "SMTP_URL is not set, so this mail is logged" in caplog.text
    assert "Paste this reset code" in caplog.text


async def _yield() -> None:
    import asyncio

    await asyncio.sleep(0.01)
