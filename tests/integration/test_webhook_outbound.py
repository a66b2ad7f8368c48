"""Webhook delivery against real HTTP servers on 127.0.0.1 (plain asyncio servers, so that a
test can make a receiver slow, dripping, huge or redirecting), and Standard Webhooks signing."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gql_server.webhooks import outbound, signing
from gql_server.webhooks.urls import WebhookUrlError, resolve_public
from tests.conftest import free_port

HUGE_BYTES = 10 * 1024 * 1024
CHUNK = b"x" * (64 * 1024)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP/1.1 server whose paths each behave one way; it records what reached it."""

    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    sent_bytes: int = 0
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [seen.path for seen in self.seen]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.removesuffix("\r\n\r\n").split("\r\n")
                _method, path, _version = request_line.split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines:
                    name, _, value = (part.strip() for part in line.partition(":"))
                    name = name.lower()
                    headers[name] = f"{headers[name]}, {value}" if name in headers else value
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.seen.append(Seen(path, headers, body))
                await ROUTES[path](self, writer)
                if headers.get("connection") == "close" or path in ("/huge", "/drip"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            # `stop` ends handlers this way; returning, rather than re-raising, spares asyncio's
            # stream callback a traceback in the log.
            pass
        finally:
            self._handlers.discard(task)
            writer.close()


def _response(status: str, body: bytes = b"", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def _ok(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    writer.write(_response("200 OK", b"thanks"))
    await writer.drain()


async def _fail(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    writer.write(_response("500 Internal Server Error", b"boom"))
    await writer.drain()


async def _redirect(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    writer.write(_response("302 Found", extra="Location: /target\r\n"))
    await writer.drain()


async def _binary(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    writer.write(_response("200 OK", b"\x00ok\xff\x1b[31m"))
    await writer.drain()


async def _huge(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {HUGE_BYTES}\r\n\r\n".encode())
    while receiver.sent_bytes < HUGE_BYTES:
        writer.write(CHUNK)
        await writer.drain()  # keeps this side's buffer at one chunk
        receiver.sent_bytes += len(CHUNK)


async def _slow(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3)
    await _ok(receiver, writer)


async def _drip(receiver: Receiver, writer: asyncio.StreamWriter) -> None:
    # Five seconds of bytes: without the overall deadline the test fails instead of hanging.
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    for _ in range(100):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.05)  # well inside any per-read timeout


ROUTES: dict[str, Callable[[Receiver, asyncio.StreamWriter], Awaitable[None]]] = {
    "/ok": _ok,
    "/target": _ok,
    "/fail": _fail,
    "/redirect": _redirect,
    "/binary": _binary,
    "/huge": _huge,
    "/slow": _slow,
    "/drip": _drip,
}


@pytest.fixture(autouse=True)
async def fresh_client() -> AsyncIterator[None]:
    yield
    await outbound.close_client()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


async def _post(
    url: str, *, timeout_s: float = 10.0, max_response_bytes: int = 64 * 1024
) -> outbound.Outcome:
    return await outbound.post(
        url,
        b"{}",
        {"content-type": "application/json"},
        allow_private=True,
        timeout_s=timeout_s,
        max_response_bytes=max_response_bytes,
    )


def _plain(error: str | None) -> None:
    """Errors are short phrases, never exception reprs with addresses or internals."""
    assert error is not None
    assert len(error) < 60
    assert "<" not in error
    assert "0x" not in error
    assert "Error" not in error


# Delivery outcomes.


async def test_a_2xx_is_ok(receiver: Receiver) -> None:
    outcome = await _post(receiver.url("/ok"))
    assert outcome.ok
    assert (outcome.status, outcome.error, outcome.response_excerpt) == (200, None, "thanks")
    assert 0 < outcome.duration_ms < 5000
    assert receiver.paths == ["/ok"]


async def test_a_5xx_is_not_ok(receiver: Receiver) -> None:
    outcome = await _post(receiver.url("/fail"))
    assert not outcome.ok
    assert (outcome.status, outcome.error, outcome.response_excerpt) == (500, "HTTP 500", "boom")


async def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    outcome = await _post(receiver.url("/redirect"))
    assert not outcome.ok
    assert (outcome.status, outcome.error) == (302, "redirect not followed")
    await asyncio.sleep(0.1)
    assert receiver.paths == ["/redirect"]


async def test_a_huge_answer_is_read_only_up_to_the_limit(receiver: Receiver) -> None:
    await _post(receiver.url("/ok"))  # the first request imports and builds the client
    tracemalloc.start()
    try:
        started = time.monotonic()
        outcome = await _post(receiver.url("/huge"))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.ok
    assert outcome.status == 200
    assert len(outcome.response_excerpt) <= outbound.EXCERPT_BYTES
    assert elapsed < 2
    # Reading the whole answer would have held 10 MB; 64 KB and a chunk or two is the budget.
    assert peak < 2 * 1024 * 1024
    await asyncio.sleep(0.2)
    assert receiver.sent_bytes < HUGE_BYTES


async def test_the_limit_is_the_callers(receiver: Receiver) -> None:
    outcome = await _post(receiver.url("/ok"), max_response_bytes=3)
    assert outcome.ok
    assert outcome.response_excerpt == "tha"


async def test_a_slow_receiver_ends_at_the_deadline(receiver: Receiver) -> None:
    started = time.monotonic()
    outcome = await _post(receiver.url("/slow"), timeout_s=0.5)
    elapsed = time.monotonic() - started
    assert not outcome.ok
    assert (outcome.status, outcome.error) == (None, "timed out")
    assert 0.45 < elapsed < 1.5
    assert 450 < outcome.duration_ms < 1500


async def test_a_dripping_receiver_ends_at_the_deadline(receiver: Receiver) -> None:
    # A byte every 50 ms never trips a per-read timeout; only the overall deadline ends it.
    started = time.monotonic()
    outcome = await _post(receiver.url("/drip"), timeout_s=1.0)
    elapsed = time.monotonic() - started
    assert (outcome.ok, outcome.error) == (False, "timed out")
    assert 0.95 < elapsed < 2


async def test_control_characters_do_not_reach_the_excerpt(receiver: Receiver) -> None:
    outcome = await _post(receiver.url("/binary"))
    assert outcome.response_excerpt == "\ufffdok\ufffd\ufffd[31m"


async def test_nobody_listening_is_connection_refused() -> None:
    outcome = await _post(f"http://127.0.0.1:{free_port()}/ok")
    assert (outcome.ok, outcome.status, outcome.error) == (False, None, "connection refused")
    _plain(outcome.error)


# Safety.


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0x7f.1", "[::ffff:127.0.0.1]"])
async def test_private_receivers_are_refused_before_any_connection(
    receiver: Receiver, host: str
) -> None:
    outcome = await outbound.post(receiver.url("/ok", host=host), b"{}", {}, allow_private=False)
    assert (outcome.ok, outcome.status, outcome.error) == (False, None, "PRIVATE_ADDRESS")
    await asyncio.sleep(0.1)
    assert receiver.connections == 0
    assert receiver.seen == []


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://hooks.example.com/x", "UNSUPPORTED_SCHEME"),
        ("http://user:pass@hooks.example.com/x", "INVALID_URL"),
        ("http://hooks.example.com/" + "a" * 1974, "URL_TOO_LONG"),
        ("http://nothing-here.invalid/x", "UNRESOLVABLE"),
    ],
)
async def test_bad_urls_end_as_outcomes(url: str, error: str) -> None:
    outcome = await outbound.post(url, b"{}", {}, allow_private=False)
    assert (outcome.ok, outcome.status, outcome.error) == (False, None, error)


async def test_a_name_is_checked_again_when_it_is_resolved() -> None:
    # What a rebinding name looks like at delivery time: a name whose answer is loopback.
    # getaddrinfo also reads the numeric spellings that check_url turns into addresses.
    for host in ("localhost", "127.0.0.1", "2130706433", "0x7f.1"):
        with pytest.raises(WebhookUrlError) as refused:
            await resolve_public(host, 80, allow_private=False)
        assert refused.value.code == "PRIVATE_ADDRESS"
        assert "127.0.0.1" in await resolve_public(host, 80, allow_private=True)


async def test_a_name_that_does_not_resolve() -> None:
    with pytest.raises(WebhookUrlError) as refused:
        await resolve_public("nothing-here.invalid", 443, allow_private=True)
    assert refused.value.code == "UNRESOLVABLE"


async def test_the_vetted_address_is_called_with_the_registered_name(receiver: Receiver) -> None:
    outcome = await outbound.post(
        receiver.url("/ok", host="localhost"),
        b"{}",
        {"HOST": "elsewhere.example", "accept-encoding": "gzip"},
        allow_private=True,
    )
    assert outcome.ok
    [seen] = receiver.seen
    assert seen.headers["host"] == f"localhost:{receiver.port}"
    assert seen.headers["accept-encoding"] == "identity"
    assert seen.headers["user-agent"] == outbound.USER_AGENT


# TLS: the request goes to the address, the certificate is checked against the name.


def _certificate(openssl: str, directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (its own CA), made by the openssl command."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    arguments = (
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        f" -subj /CN={name} -addext subjectAltName=DNS:{name} -keyout {key} -out {cert}"
    )
    subprocess.run([openssl, *arguments.split()], check=True, capture_output=True)
    return cert, key


@pytest.fixture
async def tls_receiver(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Receiver]:
    """An https receiver on 127.0.0.1 whose certificate names `request.param`, and a shared
    client that trusts that certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = _certificate(openssl, tmp_path, request.param)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client = outbound._new_client(verify=ssl.create_default_context(cafile=str(cert)))
    monkeypatch.setattr(outbound, "_client", client)
    monkeypatch.setattr(outbound, "_client_loop", asyncio.get_running_loop())
    server = Receiver()
    await server.start(server_context)
    yield server
    await server.stop()
    await client.aclose()


@pytest.mark.parametrize("tls_receiver", ["localhost"], indirect=True)
async def test_https_checks_the_certificate_against_the_name(tls_receiver: Receiver) -> None:
    outcome = await _post(tls_receiver.url("/ok", host="localhost", scheme="https"))
    assert outcome.ok, outcome.error
    assert tls_receiver.server_names == ["localhost"]
    [seen] = tls_receiver.seen
    assert seen.headers["host"] == f"localhost:{tls_receiver.port}"
    assert seen.headers["connection"] == "close"


@pytest.mark.parametrize("tls_receiver", ["hooks.example.com"], indirect=True)
async def test_https_refuses_a_certificate_for_another_name(tls_receiver: Receiver) -> None:
    outcome = await _post(tls_receiver.url("/ok", host="localhost", scheme="https"))
    assert (outcome.ok, outcome.status) == (False, None)
    assert outcome.error == "TLS certificate not valid for the host"
    assert tls_receiver.seen == []


# Signing (Standard Webhooks).

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'


def test_the_spec_test_vector() -> None:
    # The expected value is the one every reference library of standard-webhooks tests.
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == expected
    unprefixed = VECTOR_SECRET.removeprefix("whsec_")
    assert signing.sign(unprefixed, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == expected


def test_new_secrets_are_whsec_and_random() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_headers_verify() -> None:
    secret, body, now = signing.new_secret(), b'{"type": "alert.fired"}', int(time.time())
    sent = signing.headers(secret, "msg_1", now, body)
    assert set(sent) == {"content-type", "webhook-id", "webhook-timestamp", "webhook-signature"}
    assert sent["content-type"] == "application/json"
    assert sent["webhook-timestamp"] == str(now)
    assert sent["webhook-signature"].startswith("v1,")
    assert signing.verify(secret, sent, body)
    assert signing.verify(secret, {name.title(): value for name, value in sent.items()}, body)


def test_tampering_and_stale_timestamps_fail() -> None:
    secret, body, now = signing.new_secret(), b'{"amount": 10}', int(time.time())
    sent = signing.headers(secret, "msg_1", now, body)
    assert not signing.verify(secret, sent, b'{"amount": 1000}')
    assert not signing.verify(signing.new_secret(), sent, body)
    assert not signing.verify(secret, {**sent, "webhook-id": "msg_2"}, body)
    assert not signing.verify(secret, {**sent, "webhook-timestamp": str(now + 1)}, body)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert not signing.verify(secret, {k: v for k, v in sent.items() if k != name}, body)
    for stamp in ("1e9", " 1", "-1", "١٢", ""):
        assert not signing.verify(secret, {**sent, "webhook-timestamp": stamp}, body)
    stale, early = now - 301, now + 301
    assert not signing.verify(secret, signing.headers(secret, "m", stale, body), body)
    assert not signing.verify(secret, signing.headers(secret, "m", early, body), body)
    assert signing.verify(secret, signing.headers(secret, "m", stale, body), body, tolerance_s=600)


def test_one_matching_signature_of_several_is_enough() -> None:
    # Secret rotation: the sender signs with the old and the new secret.
    old, new, body, now = signing.new_secret(), signing.new_secret(), b"{}", int(time.time())
    sent = signing.headers(new, "msg_1", now, body)
    both = f"{signing.sign(old, 'msg_1', now, body)} {sent['webhook-signature']}"
    assert signing.verify(new, {**sent, "webhook-signature": both}, body)
    assert signing.verify(old, {**sent, "webhook-signature": both}, body)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_c2hvcnQ=", "whsec_not base64!", ""])
def test_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        signing.sign(secret, "msg_1", 1, b"{}")


async def test_a_signed_delivery_verifies_at_the_receiver(receiver: Receiver) -> None:
    secret = signing.new_secret()
    body = json.dumps({"type": "alert.fired", "data": {"kind": "LOW_BALANCE_AHEAD"}}).encode()
    sent = signing.headers(secret, "msg_abc", int(time.time()), body)
    outcome = await outbound.post(receiver.url("/ok"), body, sent, allow_private=True)
    assert outcome.ok
    [seen] = receiver.seen
    assert seen.body == body
    assert seen.headers["content-type"] == "application/json"
    assert signing.verify(secret, seen.headers, seen.body)
