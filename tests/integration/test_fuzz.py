"""Schemathesis over every query and mutation of schema.graphql, against a real server process,
signed in as an ordinary user: whatever arguments it makes up, no response is a server error
(HTTP 5xx or an INTERNAL_SERVER_ERROR code) and the server's log gains no traceback.

The same over websockets, both subprotocols: sequences of generated messages (valid and
broken connection_init, subscribe with made-up ids, queries and variables, pings, completes,
arbitrary JSON, text and bytes) never end in an internal error, a 1011 close or a traceback.

The number of examples per operation is bounded (FUZZ_EXAMPLES, default 10) so CI stays quick;
raise it locally for a longer hunt (FUZZ_EXAMPLES=200 runs in a few minutes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.conftest import STRONG_PASSWORD
from tests.live_server import Server

# The API's own scalars, as a client would send them, and as a careless one might.
_JUNK = st.text(max_size=12)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        _JUNK,
    ).map(nodes.String),
)
schemathesis.graphql.scalar("Date", st.one_of(st.dates().map(str), _JUNK).map(nodes.String))
schemathesis.graphql.scalar(
    "DateTime", st.one_of(st.datetimes().map(lambda d: d.isoformat()), _JUNK).map(nodes.String)
)
# A JSON request can only put a value where the file goes (a real upload is multipart).
schemathesis.graphql.scalar("Upload", st.one_of(_JUNK, st.just("0")).map(nodes.String))
SCHEMA = schemathesis.graphql.from_path(Path(__file__).parents[2] / "schema.graphql")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
EMAIL = "fuzz@example.in"
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"


class FuzzTarget:
    """A server whose log is kept, and a token for the fuzz user (signed in again whenever a
    generated logout or password change ends the session)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        body = server.post(
            REGISTER, {"i": {"email": EMAIL, "password": STRONG_PASSWORD, "fullName": "Fuzz"}}
        )
        assert body.get("data"), body
        self.token: str = body["data"]["register"]["accessToken"]

    def sign_in_again(self) -> None:
        body = self.server.post(LOGIN, {"e": EMAIL, "p": STRONG_PASSWORD})
        if body.get("data"):
            self.token = body["data"]["login"]["accessToken"]

    def log_text(self) -> str:
        return self.server.log_text()


@pytest.fixture(scope="module")
def target(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    server = Server(postgres_url, tmp_path_factory.mktemp("fuzz"), keep_log=True)
    try:
        yield FuzzTarget(server)
    finally:
        server.stop()


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_makes_a_server_error(case, target: FuzzTarget) -> None:
    before = len(target.log_text())
    response = case.call(
        base_url=f"{target.server.url}/graphql",
        headers={"authorization": f"Bearer {target.token}"},
        timeout=60,
    )

    assert response.status_code < 500, response.text
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, body
    assert "SERVICE_UNAVAILABLE" not in codes, body  # nothing here should time out
    assert "Traceback" not in target.log_text()[before:]
    if "UNAUTHENTICATED" in codes:
        target.sign_in_again()


def test_the_fuzz_user_still_works_after_the_run(target: FuzzTarget) -> None:
    target.sign_in_again()
    response = httpx.post(
        f"{target.server.url}/graphql",
        json={"query": "{ me { email } }"},
        headers={"authorization": f"Bearer {target.token}"},
        timeout=30,
    )
    assert response.json()["data"]["me"]["email"] == EMAIL
    assert "Traceback" not in target.log_text()


# --- websockets --------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_IDS = st.one_of(st.text(max_size=20), st.integers(), st.none(), st.just("1"), st.just("x" * 5000))
_QUERIES = st.one_of(
    st.just("subscription($id: ID!) { generationJob(id: $id) { id status usersDone } }"),
    st.just("subscription { generationJob(id: 1) { id } }"),
    st.just("{ me { email } }"),
    st.just("mutation { logout }"),
    st.just("subscription { " + "generationJob(id: 1) { id } " * 40 + "}"),
    st.text(max_size=60),
)


@st.composite
def _ws_message(draw: st.DrawFn, token: str) -> str | bytes:
    kind = draw(st.sampled_from(["init", "subscribe", "start", "simple", "junk", "nested"]))
    message: Any
    if kind == "init":
        payload = draw(
            st.one_of(st.just({"Authorization": f"Bearer {token}"}), _JSON, st.just(None))
        )
        message = {"type": "connection_init", "payload": payload}
    elif kind in ("subscribe", "start"):
        payload = {
            "query": draw(_QUERIES),
            "variables": draw(st.one_of(st.dictionaries(st.just("id"), _JSON), _JSON)),
        }
        message = {"type": kind, "id": draw(_IDS), "payload": draw(st.just(payload) | _JSON)}
    elif kind == "simple":
        message = {
            "type": draw(
                st.sampled_from(["ping", "pong", "complete", "stop", "connection_terminate"])
            ),
            "id": draw(_IDS),
            "payload": draw(_JSON),
        }
    elif kind == "nested":
        return "[" * draw(st.integers(1, 3000))
    else:
        return draw(st.one_of(st.text(max_size=80), st.binary(max_size=80), _JSON.map(json.dumps)))
    return json.dumps(message)


def _exchange(url: str, protocol: str, messages: list[str | bytes]) -> tuple[list[Any], int | None]:
    """Send `messages`, then read what comes back until the server closes or goes quiet."""
    replies: list[Any] = []
    try:
        with connect(
            url, subprotocols=[Subprotocol(protocol)], open_timeout=10, max_size=2**20
        ) as ws:
            try:
                for message in messages:
                    ws.send(message)
                while True:
                    replies.append(json.loads(ws.recv(timeout=0.3)))
            except TimeoutError:
                return replies, None
            except ConnectionClosed as closed:
                return replies, closed.rcvd.code if closed.rcvd else None
    except InvalidStatus as refused:  # the handshake refused: a status, never a 5xx
        return replies, refused.response.status_code


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_no_generated_websocket_exchange_makes_a_server_error(
    target: FuzzTarget, protocol: str
) -> None:
    url = target.server.url.replace("http://", "ws://") + "/graphql"

    # Most exchanges open properly (a valid connection_init first), so that what follows
    # reaches the subscription handling rather than the handshake's checks.
    init = json.dumps(
        {"type": "connection_init", "payload": {"Authorization": f"Bearer {target.token}"}}
    )

    @given(
        opened=st.booleans() | st.just(True),
        messages=st.lists(_ws_message(target.token), min_size=1, max_size=5),
    )
    @settings(
        max_examples=EXAMPLES * 3,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def exchange(opened: bool, messages: list[str | bytes]) -> None:
        before = len(target.log_text())
        if opened:
            messages = [init, *messages]
        replies, close_code = _exchange(url, protocol, messages)

        # 1011 closes a websocket on a server error; 5xx would refuse the handshake with one.
        assert close_code != 1011, (messages, replies)
        assert close_code is None or close_code < 500 or close_code >= 1000, close_code
        text = json.dumps(replies)
        assert "INTERNAL_SERVER_ERROR" not in text, (messages, replies)
        assert "Traceback" not in target.log_text()[before:], messages

    exchange()
