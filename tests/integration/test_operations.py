"""Operating the server: /metrics (per-operation counts, latency and error codes, the forecast
pool, the database pool), the probes /livez and /readyz, and JSON log lines that say which
request, caller and operation they belong to."""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from gql_server.app import create_app
from gql_server.graphql import metrics_extension
from gql_server.log_format import configure_logging
from gql_server.services.forecast_pool import ForecastPool, local_executor
from gql_server.settings import Settings
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, empty_tables, row_id
from tests.live_server import Server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
DASHBOARD = "query Dashboard { me { email } }"


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@pytest.fixture
async def client_for() -> AsyncIterator:
    """An app of its own settings, started, with its tables empty."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def start(settings: Settings) -> httpx.AsyncClient:
        manager = LifespanManager(create_app(settings))
        await manager.__aenter__()
        managers.append(manager)
        transport = httpx.ASGITransport(app=manager.app, client=("198.51.100.4", 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.aclose()
    for manager in managers:
        await manager.__aexit__(None, None, None)


@BOTH_BACKENDS
async def test_a_named_operation_is_counted_with_its_latency(api: Api, backend: str) -> None:
    await api.register()
    before = await scrape(api.client)
    body = await api.post(DASHBOARD)
    after = await scrape(api.client)

    assert body["data"]["me"]["email"] == "priya@example.in"
    dashboard = {"operation": "Dashboard"}
    assert grew(before, after, "graphql_requests_total", **dashboard) == 1
    assert grew(before, after, "graphql_request_duration_seconds_count", **dashboard) == 1
    assert (
        grew(before, after, "graphql_request_duration_seconds_bucket", **dashboard, le="+Inf") == 1
    )
    assert grew(before, after, "graphql_request_duration_seconds_sum", **dashboard) > 0
    # The database pool, read at scrape time.
    limit = value(after, "db_pool_max_connections")
    assert limit == (5 if backend == "postgres" else 1)  # DB_POOL_SIZE; SQLite's one connection
    in_use = value(after, "db_pool_connections", state="in_use")
    idle = value(after, "db_pool_connections", state="idle")
    assert 1 <= in_use + idle <= limit


async def test_anonymous_operations_share_one_label(api: Api) -> None:
    before = await scrape(api.client)
    await api.post("{ __typename }")
    after = await scrape(api.client)
    assert grew(before, after, "graphql_requests_total", operation="anonymous") == 1


async def test_an_operation_name_that_is_not_a_string_is_the_clients_mistake(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": 5}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_random_operation_names_past_the_cap_collapse_into_other(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_extension, "operation_names", metrics_extension.OperationNames(3))
    names = [f"Probe{secrets.token_hex(6)}" for _ in range(10)]
    before = await scrape(api.client)
    for name in names:
        body = await api.post(f"query {name} {{ __typename }}")
        assert body["data"] == {"__typename": "Query"}
    await api.post(f"query {names[0]} {{ __typename }}")  # a name already kept keeps its label
    after = await scrape(api.client)

    labelled = [
        name
        for name in names
        if ("graphql_requests_total", frozenset({("operation", name)})) in after
    ]
    assert labelled == names[:3]
    assert value(after, "graphql_requests_total", operation=names[0]) == 2
    assert grew(before, after, "graphql_requests_total", operation="other") == 7


async def test_a_name_from_a_document_that_fails_validation_is_not_kept(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_extension, "operation_names", metrics_extension.OperationNames(3))
    before = await scrape(api.client)
    await api.post("query Invalid { noSuchField }")
    after = await scrape(api.client)
    assert value(after, "graphql_requests_total", operation="Invalid") == 0
    assert (
        grew(before, after, "graphql_errors_total", operation="other", code="BAD_USER_INPUT") == 1
    )


async def test_errors_are_counted_by_their_code(api: Api) -> None:
    before = await scrape(api.client)
    await api.post(DASHBOARD)  # not signed in
    await api.post("query Dashboard { me { salary } }")  # no such field
    after = await scrape(api.client)

    for code in ("UNAUTHENTICATED", "BAD_USER_INPUT"):
        assert grew(before, after, "graphql_errors_total", operation="Dashboard", code=code) == 1


async def test_forecast_fits_are_timed_and_leave_nothing_in_flight(api: Api) -> None:
    pool = ForecastPool(lambda: local_executor("thread", 1), max_in_flight=1, timeout_s=5)
    before = await scrape(api.client)
    try:
        assert await pool.run(nap, 0.02) == 0.02
    finally:
        pool.shutdown()
    after = await scrape(api.client)

    assert grew(before, after, "forecast_fit_duration_seconds_count") == 1
    assert grew(before, after, "forecast_fit_duration_seconds_sum") >= 0.02
    assert value(after, "forecast_fits_in_flight") == 0
    assert value(after, "forecast_fits_waiting") == 0


async def test_metrics_token_is_required_when_set(settings: Settings, client_for) -> None:
    client = await client_for(replace(settings, metrics_token="scrape-" + "t" * 32))

    missing = await client.get("/metrics")
    wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
    right = await client.get("/metrics", headers={"authorization": "Bearer scrape-" + "t" * 32})

    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "graphql_requests" not in missing.text + wrong.text
    assert right.status_code == 200
    assert "graphql_requests_total" in right.text


async def test_metrics_are_open_without_a_token_even_in_production(
    production_settings: Settings, client_for
) -> None:
    client = await client_for(production_settings)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_livez_answers_without_asking_anything(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


@BOTH_BACKENDS
async def test_readyz_is_200_with_the_database_and_the_executor(
    app_client: httpx.AsyncClient,
) -> None:
    response = await app_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up", "forecast_executor": "up"}


async def test_readyz_is_503_when_the_forecast_executor_is_down(
    settings: Settings, client_for
) -> None:
    client = await client_for(replace(settings, forecast_executor="tcp://127.0.0.1:1"))
    await empty_tables()
    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "up",
        "forecast_executor": "down",
    }
    assert (await client.get("/livez")).status_code == 200


async def test_readyz_is_503_when_the_database_is_unreachable(
    settings: Settings, client_for
) -> None:
    client = await client_for(
        replace(settings, database_url="postgres://postgres@127.0.0.1:1/nowhere")
    )
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert (await client.get("/livez")).status_code == 200


LOGGERS = ("", "tortoise", "uvicorn", "uvicorn.error", "uvicorn.access", "gql_server.operations")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging replaces the root's handlers (pytest's among them): put them back."""
    saved = {
        name: (logger, logger.handlers[:], logger.level, logger.propagate)
        for name in LOGGERS
        for logger in [logging.getLogger(name)]
    }
    yield
    for logger, handlers, level, propagate in saved.values():
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


async def test_json_logs_carry_the_request_the_caller_and_the_operation(
    api: Api, settings: Settings, restored_logging: None
) -> None:
    payload = await api.register()
    configure_logging(replace(settings, log_format="json"))
    stream = io.StringIO()
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logging.getLogger("gql_server.operations").setLevel(logging.DEBUG)

    response = await api.client.post(
        "/graphql",
        json={"query": DASHBOARD},
        headers={"authorization": f"Bearer {payload['accessToken']}"},
    )
    try:
        raise ValueError("the disk is full")
    except ValueError:
        logging.getLogger("gql_server.test").exception("could not write")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (operation,) = [line for line in lines if line["logger"] == "gql_server.operations"]
    assert operation["level"] == "DEBUG"
    assert operation["operation"] == "Dashboard"
    assert operation["request_id"] == response.headers["x-request-id"]
    assert operation["user_id"] == row_id(payload["user"]["id"])
    assert operation["message"].startswith("Dashboard in ")
    assert operation["timestamp"]
    (failure,) = [line for line in lines if line["logger"] == "gql_server.test"]
    assert "ValueError: the disk is full" in failure["exc_info"]
    assert "request_id" not in failure  # outside a request: nothing made up


def test_a_served_process_logs_json_and_keeps_metrics_in_files(
    postgres_url: str, tmp_path: Path
) -> None:
    """`gql-server serve` with LOG_FORMAT=json (uvicorn's own lines included) and
    PROMETHEUS_MULTIPROC_DIR (the values in files any process can report)."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"")  # left by an earlier run
    server = Server(
        postgres_url,
        tmp_path,
        keep_log=True,
        LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    try:
        body = server.post(
            "mutation SignUp($i: RegisterInput!) { register(input: $i) { accessToken } }",
            {"i": {"email": "json@example.in", "password": STRONG_PASSWORD, "fullName": "J"}},
        )
        assert body["data"]["register"]["accessToken"]
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
    finally:
        server.stop()

    samples = parse(text)
    assert value(samples, "graphql_requests_total", operation="SignUp") == 1
    assert not (metrics_dir / "counter_999999.db").exists()
    lines = [json.loads(line) for line in server.log_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any("POST /graphql" in line["message"] and line.get("request_id") for line in access)
