"""A query checks its token against the process's copy of the caller's account for
TOKEN_CHECK_MS instead of reading it every time; a revocation elsewhere still takes effect
within that window, and this process's own mutations at once."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gql_server.app import create_app
from gql_server.models import User
from gql_server.settings import Settings
from tests.conftest import Api, empty_tables, error_code
from tests.live_server import Server

ME = "{ me { email city } }"


@pytest.fixture
async def windowed(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(dataclasses.replace(settings, token_check_ms=500))
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client)


async def test_a_revocation_elsewhere_holds_within_the_window(windowed: Api) -> None:
    api = windowed
    await api.register()
    assert (await api.post(ME))["data"]["me"]["email"] == "priya@example.in"
    # Another process signs the user out everywhere (the version moves in the database).
    await User.filter(email="priya@example.in").update(token_version=7)
    assert "errors" not in await api.post(ME)  # the copy read a moment ago is trusted...
    # ...but never by a mutation,
    assert error_code(await api.post("mutation { logout }")) == "UNAUTHENTICATED"
    await asyncio.sleep(0.6)
    # and not past the window.
    assert error_code(await api.post(ME)) == "UNAUTHENTICATED"


async def test_this_processs_own_mutations_take_effect_at_once(windowed: Api) -> None:
    api = windowed
    await api.register()
    token = api.token
    assert "errors" not in await api.post(ME)
    assert (await api.post("mutation { logout }"))["data"]["logout"] is True
    assert error_code(await api.post(ME, token=token)) == "UNAUTHENTICATED"


def test_another_server_refuses_a_revoked_token_within_its_window(
    postgres_url: str, app_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    a = Server(postgres_url, tmp_path, TOKEN_CHECK_MS="1000")
    b = Server(postgres_url, tmp_path, TOKEN_CHECK_MS="1000")
    try:
        register = """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"""
        token = a.post(
            register,
            {
                "i": {
                    "email": "asha@example.in",
                    "password": "Saffron-kite-monsoon-42",
                    "fullName": "Asha",
                }
            },
        )["data"]["register"]["accessToken"]
        assert b.post(ME, token=token)["data"]["me"]["email"] == "asha@example.in"
        assert a.post("mutation { logout }", token=token)["data"]["logout"] is True
        revoked_at = time.monotonic()
        while "errors" not in b.post(ME, token=token):
            assert time.monotonic() - revoked_at < 3, "b still trusts a revoked token"
            time.sleep(0.05)
    finally:
        a.stop()
        b.stop()
