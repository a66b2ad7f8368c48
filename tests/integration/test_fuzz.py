"""Schemathesis over every query and mutation of schema.graphql, against a real server process,
signed in as an ordinary user: whatever arguments it makes up, no response is a server error
(HTTP 5xx or an INTERNAL_SERVER_ERROR code) and the server's log gains no traceback.

The number of examples per operation is bounded (FUZZ_EXAMPLES, default 10) so CI stays quick;
raise it locally for a longer hunt. Subscriptions are left to the transport tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

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
