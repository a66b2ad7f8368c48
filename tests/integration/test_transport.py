"""The HTTP surface: limits, transport errors, GET rules, production hardening, CORS, health."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from gql_server.app import create_app
from gql_server.models import RefreshToken, User
from gql_server.settings import Settings
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code
from tests.live_server import Server

DEEP_QUERY = "{ __schema { types { fields { type { fields { type { fields { type { fields { type "
DEEP_QUERY += "{ fields { type { name } } } } } } } } } } } } }"


async def _client_for(settings: Settings):
    app = create_app(settings)
    manager = LifespanManager(app)
    await manager.__aenter__()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://testserver"
    )
    return manager, client


async def test_unknown_field_and_wrong_variable_type_are_bad_user_input(api: Api) -> None:
    await api.register()
    assert error_code(await api.post("{ me { salary } }")) == "BAD_USER_INPUT"
    body = await api.post(
        'mutation($e: String!) { login(email: $e, password: "x") { accessToken } }', {"e": 42}
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert error_code(await api.post("{ me { id ")) == "BAD_USER_INPUT"


async def test_malformed_json_gets_a_coded_error(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/graphql", content=b'{"query": "{ me { id }', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_code(response.json()) == "BAD_USER_INPUT"


async def test_huge_body_is_refused_before_it_is_read(app_client: httpx.AsyncClient) -> None:
    query = "{ me { id } }" + " " * 300_000
    response = await app_client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert error_code(response.json()) == "BAD_USER_INPUT"


async def test_chunked_huge_body_is_refused_too(app_client: httpx.AsyncClient) -> None:
    async def chunks():
        yield b'{"query": "{ me { id } }", "pad": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    response = await app_client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_depth_alias_and_token_limits(api: Api) -> None:
    await api.register()
    assert error_code(await api.post(DEEP_QUERY)) == "BAD_USER_INPUT"
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(31))
    body = await api.post(f"{{ {aliases} }}")
    assert error_code(body) == "BAD_USER_INPUT"
    wide = "{ me { " + " ".join(["id"] * 2100) + " } }"
    assert error_code(await api.post(wide)) == "BAD_USER_INPUT"
    # Within the limits the same shapes work.
    assert "errors" not in await api.post(
        "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(5)) + " }"
    )


async def test_mutations_over_get_are_refused_and_change_nothing(api: Api) -> None:
    payload = await api.register()
    response = await api.client.get(
        "/graphql",
        params={"query": "mutation { logout }"},
        headers={"authorization": f"Bearer {payload['accessToken']}"},
    )
    assert response.status_code == 400
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert (await User.get(email="priya@example.in")).token_version == 0
    assert await RefreshToken.all().count() == 1


async def test_queries_over_get_work(api: Api) -> None:
    payload = await api.register()
    response = await api.client.get(
        "/graphql",
        params={"query": "{ me { email } }"},
        headers={"authorization": f"Bearer {payload['accessToken']}"},
    )
    assert response.json()["data"]["me"]["email"] == "priya@example.in"


async def test_graphiql_is_served_outside_production(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_production_hides_graphiql_introspection_and_internals(settings: Settings) -> None:
    manager, client = await _client_for(replace(settings, app_env="production"))
    try:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        body = (
            await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        ).json()
        assert error_code(body) == "BAD_USER_INPUT"
        assert "introspection" in body["errors"][0]["message"].lower()
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def test_introspection_works_outside_production(api: Api) -> None:
    body = await api.post("{ __schema { queryType { name } } }")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_cors_allows_only_configured_origins(settings: Settings) -> None:
    manager, client = await _client_for(replace(settings, cors_origins=("https://app.gigcash.in",)))
    try:
        preflight = {"access-control-request-method": "POST"}
        good = await client.options(
            "/graphql", headers={"origin": "https://app.gigcash.in", **preflight}
        )
        evil = await client.options(
            "/graphql", headers={"origin": "https://evil.example", **preflight}
        )
        assert good.headers.get("access-control-allow-origin") == "https://app.gigcash.in"
        assert "access-control-allow-origin" not in evil.headers
        simple = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in simple.headers
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


@BOTH_BACKENDS
async def test_healthz_is_200_with_the_database(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"
    assert response.headers["x-request-id"]


async def test_healthz_is_503_and_graphql_coded_without_the_database(settings: Settings) -> None:
    unreachable = replace(settings, database_url="postgres://postgres@127.0.0.1:1/nowhere")
    manager, client = await _client_for(unreachable)
    try:
        assert (await client.get("/healthz")).status_code == 503
        body = (
            await client.post(
                "/graphql",
                json={
                    "query": 'mutation { login(email: "a@b.in", password: "x") { accessToken } }'
                },
            )
        ).json()
        assert error_code(body) == "SERVICE_UNAVAILABLE"
        assert "127.0.0.1" not in str(body)
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)


def test_graphql_works_over_a_websocket(postgres_url: str, tmp_path: Path) -> None:
    # The /graphql route took HTTP only: every websocket handshake was refused with a 403, so
    # GraphiQL's and apps' subscriptions could not connect.
    server = Server(postgres_url, tmp_path)
    try:
        token = server.post(
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            {"i": {"email": "ws@example.in", "password": STRONG_PASSWORD, "fullName": "Ws"}},
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
                    {"type": "subscribe", "id": "1", "payload": {"query": "{ me { email } }"}}
                )
            )
            answer = json.loads(ws.recv(timeout=10))
            done = json.loads(ws.recv(timeout=10))
    finally:
        server.stop()

    assert answer == {
        "type": "next",
        "id": "1",
        "payload": {"data": {"me": {"email": "ws@example.in"}}},
    }
    assert done == {"type": "complete", "id": "1"}
