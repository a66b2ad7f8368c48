"""One webhook delivery attempt: a POST that cannot be turned against our own network.

The URL is checked again and its name resolved at delivery time (`urls.resolve_public`), and
the request goes to the vetted address itself: asking the resolver a second time would let a
rebinding name answer differently. The original name still travels in the `Host` header and,
for https, as the TLS server name, so virtual hosting works and the certificate is checked
against the name the user registered. Redirects are never followed (each hop would need the
same checks), the whole exchange has one deadline, and at most `max_response_bytes` of the
answer are read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

import httpx

from gql_server.webhooks.urls import DEFAULT_PORTS, WebhookUrlError, check_url, resolve_public

USER_AGENT = "gql-server-webhooks/1"
EXCERPT_BYTES = 1024
_OWN_HEADERS = frozenset({"host", "accept-encoding", "connection"})
# Postgres text refuses NUL, and a log line or a UI should not get raw control characters.
_UNPRINTABLE = {code: "\ufffd" for code in (*range(0x20), 0x7F) if chr(code) not in "\t\n\r"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt ended. `ok` only for a 2xx answer; `error` is a short phrase safe to
    store and show (a URL refusal's code, "timed out", "HTTP 503", ...)."""

    ok: bool
    status: int | None
    error: str | None
    duration_ms: float
    response_excerpt: str


# A cache, safe to lose: connections to receivers are reused between deliveries. Pooled
# connections belong to the event loop that opened them, hence the loop it was built on.
_client: httpx.AsyncClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def _new_client(verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        # No proxy, CA bundle or netrc from the environment: a proxy would do its own lookup
        # of the name, past our checks.
        trust_env=False,
        follow_redirects=False,
        verify=verify,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


def _shared_client() -> httpx.AsyncClient:
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client.is_closed or _client_loop is not loop:
        _client, _client_loop = _new_client(), loop
    return _client


async def close_client() -> None:
    """Close the shared client's connections (the app's shutdown calls this)."""
    global _client, _client_loop
    client, _client, _client_loop = _client, None, None
    if client is not None:
        await client.aclose()


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout_s: float = 10.0,
    max_response_bytes: int = 64 * 1024,
) -> Outcome:
    """POST `body` to `url` once and say how it went; never raises for the receiver's or the
    network's failures."""
    started = time.perf_counter()
    status: int | None = None
    excerpt = b""
    try:
        # One deadline for everything: httpx's timeouts are per read, and a receiver that
        # drips a byte a second would never trip them.
        async with asyncio.timeout(timeout_s):
            status, excerpt = await _deliver(
                url, body, headers, allow_private, timeout_s, max_response_bytes
            )
    except TimeoutError:
        error: str | None = "timed out"
    except WebhookUrlError as exc:
        error = exc.code
    except httpx.HTTPError as exc:
        error = _describe(exc)
    else:
        error = _status_error(status)
    return Outcome(
        ok=status is not None and error is None,
        status=status,
        error=error,
        duration_ms=(time.perf_counter() - started) * 1000,
        response_excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", "replace").translate(_UNPRINTABLE),
    )


async def _deliver(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    timeout_s: float,
    max_bytes: int,
) -> tuple[int, bytes]:
    target = httpx.URL(check_url(url, allow_private=allow_private))
    host = target.raw_host.decode("ascii")
    port = target.port or DEFAULT_PORTS[target.scheme]
    addresses = await resolve_public(host, port, allow_private=allow_private)
    for index, address in enumerate(addresses):
        try:
            return await _exchange(target, address, body, headers, timeout_s, max_bytes)
        except httpx.ConnectError as exc:
            # The next address may answer (an IPv6 answer on a host without IPv6 routes, say);
            # a certificate failure would not change with the address.
            if index == len(addresses) - 1 or _caused_by(exc, ssl.SSLError):
                raise
    raise AssertionError("resolve_public returns at least one address")


async def _exchange(
    target: httpx.URL,
    address: str,
    body: bytes,
    headers: dict[str, str],
    timeout_s: float,
    max_bytes: int,
) -> tuple[int, bytes]:
    host = target.raw_host.decode("ascii")
    # Dropped case-insensitively: a caller's "host" next to our "Host" would be sent twice.
    sent = {name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS}
    sent |= {
        "Host": target.netloc.decode("ascii"),
        # Compressed answers are not unpacked: 64 KB of gzip can be gigabytes of text.
        "Accept-Encoding": "identity",
    }
    extensions: dict[str, str] = {}
    if target.scheme == "https" and not _is_ip(host):
        extensions["sni_hostname"] = host
        # The pool keys connections by address and port only: a TLS connection opened (and
        # its certificate checked) for one name must not carry a request for another name
        # that resolves to the same address.
        sent["Connection"] = "close"
    client = _shared_client()
    request = client.build_request(
        "POST",
        target.copy_with(host=address),
        content=body,
        headers=sent,
        extensions=extensions,
        timeout=httpx.Timeout(timeout_s),
    )
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        return response.status_code, await _read_at_most(response, max_bytes)
    finally:
        # Unread bytes left on the connection close it instead of returning it to the pool.
        await response.aclose()


async def _read_at_most(response: httpx.Response, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    # An async generator at run time, typed as a mere iterator; closed here, not by the GC.
    raw = cast(AsyncGenerator[bytes, None], response.aiter_raw())
    async with aclosing(raw) as stream:
        async for chunk in stream:
            kept = chunk[: max_bytes - size]
            chunks.append(kept)
            size += len(kept)
            if size >= max_bytes:
                break
    return b"".join(chunks)


def _status_error(status: int | None) -> str | None:
    if status is None or 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return "redirect not followed"
    return f"HTTP {status}"


def _describe(exc: httpx.HTTPError) -> str:
    """A short, stable phrase: exception texts carry addresses, paths and library internals."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ssl.SSLCertVerificationError):
            return "TLS certificate not valid for the host"
        if _caused_by(exc, ssl.SSLError):
            return "TLS handshake failed"
        if _caused_by(exc, ConnectionRefusedError):
            return "connection refused"
        return "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "invalid HTTP response"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "connection lost"
    return "request failed"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):  # exception chains can be cyclic
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
