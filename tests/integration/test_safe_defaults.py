"""Safe by default: each attack that once got through the default setup, now refused.

Every test here failed before its fix (issue "Safe by default and bounded")."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from starlette.routing import Route

from gql_server.app import create_app
from gql_server.auth import rate_limits
from gql_server.errors import RateLimited
from gql_server.graphql.document_cache import MAX_CACHED_CHARS
from gql_server.graphql.schema import Schema
from gql_server.graphql.view import GraphQLView
from gql_server.models import IncomeSource, RateLimitCounter, Transaction, User
from gql_server.settings import PUBLISHED_JWT_SECRETS, Settings, load_settings
from tests.conftest import STRONG_PASSWORD, Api, empty_tables, error_code, row_id
from tests.integration.test_cli import run_cli
from tests.live_server import Server

CREATE = """mutation($input: TransactionInput!) { createTransaction(input: $input) {
  id amount description } }"""
PAGE = """query($f: TransactionFilter) { transactions(first: 5, filter: $f) { totalCount } }"""


def _forged(user_id: int, version: int, secret: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "typ": "access",
        "ver": version,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + timedelta(minutes=10),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


async def test_a_server_started_without_settings_cannot_be_forged_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    # Given a server started as the README's `gql-server serve` once was: no APP_ENV, no
    # JWT_SECRET, only a database.
    monkeypatch.chdir(tmp_path)
    for name in ("APP_ENV", "JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    app = create_app(load_settings(env_file=None))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            await api.register(email="owner@example.in")
            await User.filter(email="owner@example.in").update(role="admin")
            owner = await User.get(email="owner@example.in")
            # When an attacker signs a token with the secret that shipped in the source
            for secret in PUBLISHED_JWT_SECRETS:
                body = await api.post(
                    "{ me { role } generationJobs { id } }",
                    token=_forged(owner.id, owner.token_version, secret),
                )
                # Then it is not accepted
                assert error_code(body) == "UNAUTHENTICATED"


async def test_deeply_nested_variables_get_a_coded_400_and_no_traceback(
    app_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = '{"query": "{ __typename }", "variables": {"a": ' + "[" * 400 + "]" * 400 + "}}"
    assert len(body) < 900
    with caplog.at_level(logging.WARNING):
        response = await app_client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )

    assert response.status_code == 400, response.text
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_reasonably_nested_variables_still_work(api: Api) -> None:
    await api.register()
    nested: Any = "x"
    for _ in range(20):
        nested = [nested]
    body = await api.post("query($v: JSON) { __typename }", {"v": nested})
    assert "errors" in body  # JSON is not an input this schema has: a clean validation error
    assert error_code(body) == "BAD_USER_INPUT"


async def test_an_escaped_emoji_in_the_query_text_is_accepted(api: Api) -> None:
    await api.register()
    body = await api.post(
        r"""mutation { createTransaction(input: {occurredAt: "2026-11-20T10:00:00+05:30",
        amount: "120.00", direction: EXPENSE, merchant: "Chai Point",
        description: "chai \uD83D\uDE00"}) { description } }"""
    )
    assert "errors" not in body, body
    assert body["data"]["createTransaction"]["description"] == "chai \U0001f600"


async def test_a_lone_escaped_surrogate_is_still_refused(api: Api) -> None:
    await api.register()
    response = await api.client.post(
        "/graphql",
        json={"query": r'mutation { login(email: "a@b.in", password: "x\uD83D") { accessToken } }'},
    )
    assert response.status_code == 400
    assert error_code(response.json()) == "BAD_USER_INPUT"


@pytest.mark.parametrize("amount", ["1e999999", "1e-999999", "NaN", "Infinity", "-0.5", 1e300])
async def test_filter_amounts_are_checked_like_every_money_input(api: Api, amount: Any) -> None:
    await api.register()
    for field in ("minAmount", "maxAmount"):
        assert error_code(await api.post(PAGE, {"f": {field: amount}})) == "BAD_USER_INPUT"


@pytest.mark.parametrize("amount", ["٥", "１２", "1_000", " 12", "12.", ".5", "1e3", 12.5, True])
async def test_money_is_written_with_ascii_digits_only(api: Api, amount: Any) -> None:
    await api.register()
    transaction = {
        "occurredAt": "2026-11-20T10:00:00+05:30",
        "amount": amount,
        "direction": "EXPENSE",
        "merchant": "Chai Point",
    }
    body = await api.post(CREATE, {"input": transaction})
    assert error_code(body) == "BAD_USER_INPUT"
    # Named like an error the service raises, so a form can put it under the right box.
    assert body["errors"][0]["extensions"]["field"] == "amount"
    assert await Transaction.all().count() == 0


async def test_plain_amounts_still_work(api: Api) -> None:
    await api.register()
    for amount, shown in (("4819.41", "4819.41"), (250, "250.00"), ("+7.5", "7.50")):
        transaction = {
            "occurredAt": "2026-11-20T10:00:00+05:30",
            "amount": amount,
            "direction": "EXPENSE",
            "merchant": "Chai Point",
        }
        body = await api.post(CREATE, {"input": transaction})
        assert body["data"]["createTransaction"]["amount"] == shown, body


async def test_errors_about_variables_do_not_echo_the_password(api: Api) -> None:
    secret_password = "Monsoon-secret-" + uuid.uuid4().hex
    body = await api.post(
        """mutation($input: RegisterInput!) { register(input: $input) { accessToken } }""",
        {"input": {"email": "x@example.in", "password": secret_password, "city": "Pune"}},
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert "fullName" in body["errors"][0]["message"]
    assert secret_password not in str(body)

    login = await api.post(
        "mutation($e: String!, $p: Int!) { login(email: $e, password: $p) { accessToken } }",
        {"e": "x@example.in", "p": secret_password},
    )
    assert secret_password not in str(login)


async def test_every_response_says_no_store_and_nosniff(api: Api) -> None:
    payload = await api.register()
    assert payload["accessToken"]
    response = await api.client.post(
        "/graphql", json={"query": "{ me { email } }"}, headers={"authorization": "Bearer x"}
    )
    health = await api.client.get("/healthz")
    for answer in (response, health):
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in answer.headers["content-security-policy"]


async def test_graphiql_gets_a_policy_that_lets_it_load(app_client: httpx.AsyncClient) -> None:
    page = await app_client.get("/graphql", headers={"accept": "text/html"})
    policy = page.headers["content-security-policy"]
    assert page.status_code == 200
    assert "script-src 'self';" in policy  # its own files (test_graphiql_browser.py)
    assert "connect-src 'self'" in policy
    assert page.headers["cache-control"] == "no-store"


def test_the_real_server_names_no_software(postgres_url: str, tmp_path: Path) -> None:
    server = Server(postgres_url, tmp_path)
    try:
        response = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_generate_in_production_demands_a_password(tmp_path: Path) -> None:
    env = {
        "APP_ENV": "production",
        "JWT_SECRET": "p" * 48,
        "DATABASE_URL": f"sqlite://{tmp_path / 'p.sqlite3'}",
    }
    done = run_cli("generate", "--users", "1", "--days", "60", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "--password is required" in done.stderr
    assert "Traceback" not in done.stderr

    demo = run_cli("serve", "--demo", env=env, cwd=tmp_path)
    assert demo.returncode == 1
    assert "--demo is refused" in demo.stderr
    assert STRONG_PASSWORD not in demo.stderr


# --- Sign-in limits behind a proxy, and a lockout that cannot keep the owner out -------------

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""
PROXY = "203.0.113.7"  # the test client's own address: here, the reverse proxy
HOME, ATTACKER = "198.51.100.10", "192.0.2.66"


@pytest.fixture
async def proxied(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, forwarded_allow_ips=(PROXY,)))
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=(PROXY, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _as(
    client: httpx.AsyncClient, address: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"x-forwarded-for": address},
    )
    return response.json()


async def _login(client: httpx.AsyncClient, address: str, password: str) -> str:
    body = await _as(client, address, LOGIN, {"email": "priya@example.in", "password": password})
    return "OK" if "errors" not in body else error_code(body)


async def _register_from(client: httpx.AsyncClient, address: str) -> None:
    registration = {"email": "priya@example.in", "password": STRONG_PASSWORD, "fullName": "Priya"}
    body = await _as(
        client,
        address,
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": registration},
    )
    assert "errors" not in body, body


async def test_behind_a_trusted_proxy_each_client_has_its_own_address(
    proxied: httpx.AsyncClient,
) -> None:
    # Thirteen people behind one proxy each mistype once: the per-address limit (12) is theirs,
    # not the proxy's, so nobody is refused.
    codes = [await _login(proxied, f"198.51.100.{i}", "Wrong-pass-123x") for i in range(13)]
    assert codes == ["UNAUTHENTICATED"] * 13


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(api: Api) -> None:
    codes = []
    for i in range(13):  # a new address and a new account each time: only the peer is the same
        variables = {"email": f"u{i}@example.in", "password": "Wrong-pass-123x"}
        codes.append(error_code(await _as(api.client, f"198.51.100.{i}", LOGIN, variables)))
    assert codes[:12] == ["UNAUTHENTICATED"] * 12
    assert codes[12] == "RATE_LIMITED"


async def test_a_guesser_cannot_lock_the_owner_out(proxied: httpx.AsyncClient) -> None:
    await _register_from(proxied, HOME)
    guesses = [await _login(proxied, ATTACKER, f"Guess-{i}-xyzw") for i in range(7)]
    assert guesses[:5] == ["UNAUTHENTICATED"] * 5  # LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS=5
    assert guesses[5:] == ["RATE_LIMITED"] * 2
    assert await _login(proxied, HOME, STRONG_PASSWORD) == "OK"


async def test_guesses_from_many_addresses_stop_at_the_account_but_the_owner_gets_in(
    proxied: httpx.AsyncClient, settings: Settings
) -> None:
    await _register_from(proxied, HOME)
    limit = settings.login_attempts_per_account
    for i in range(limit):  # two guesses from each of many addresses, under every other limit
        assert await _login(proxied, f"192.0.2.{i // 2}", f"Guess-{i}-xyzw") == "UNAUTHENTICATED"
    assert await _login(proxied, "192.0.2.200", STRONG_PASSWORD) == "RATE_LIMITED"
    assert await _login(proxied, HOME, STRONG_PASSWORD) == "OK"


async def test_a_client_refused_by_its_address_limit_counts_nothing_against_the_account(
    proxied: httpx.AsyncClient, settings: Settings
) -> None:
    await _register_from(proxied, HOME)
    for i in range(settings.login_attempts_per_address):  # spent on other people's accounts
        body = await _as(
            proxied, ATTACKER, LOGIN, {"email": f"u{i}@example.in", "password": "Whatever-123x"}
        )
        assert error_code(body) == "UNAUTHENTICATED"
    for i in range(60):
        assert await _login(proxied, ATTACKER, f"Guess-{i}-xyzw") == "RATE_LIMITED"
    assert not await RateLimitCounter.filter(key__contains="priya").exists()
    # A traveller, from an address never seen before, is not locked out by those 60.
    assert await _login(proxied, "192.0.2.99", STRONG_PASSWORD) == "OK"


async def test_expired_counters_are_purged(api: Api) -> None:
    second = timedelta(seconds=1)
    for i in range(20):
        await rate_limits.hit(f"login:address:198.51.100.{i}", 5, second)
    assert await RateLimitCounter.all().count() == 20
    await asyncio.sleep(3.1)  # those windows, and the next ones that still read them, are over
    await rate_limits.hit("login:address:192.0.2.1", 5, second)
    assert await RateLimitCounter.all().values_list("key", flat=True) == ["login:address:192.0.2.1"]


# --- One account per address, however it is spelt or disguised -------------------------------


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("ＰＲＩＹＡ@example.in", "CONFLICT"),  # fullwidth: the same address once NFKC-folded
        ("priyа@example.in", "CONFLICT"),  # a Cyrillic а
        ("рriya@ехample.in", "CONFLICT"),  # Cyrillic р, е, х
    ],
)
async def test_a_lookalike_of_an_existing_email_gets_no_account(
    api: Api, email: str, code: str
) -> None:
    await api.register()
    body = await api.post(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"email": email, "password": STRONG_PASSWORD, "fullName": "Mallory"}},
    )
    assert error_code(body) == code
    assert body["errors"][0]["extensions"]["field"] == "email"
    assert await User.all().count() == 1


async def test_the_owner_signs_in_with_any_width_of_their_email(api: Api) -> None:
    await api.register()
    body = await api.post(LOGIN, {"email": "ＰＲＩＹＡ@example.in", "password": STRONG_PASSWORD})
    assert "errors" not in body, body


async def test_two_lookalikes_registering_at_once_make_one_account(api: Api) -> None:
    bodies = await asyncio.gather(
        *(
            api.post(
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                {"i": {"email": email, "password": STRONG_PASSWORD, "fullName": "Priya"}},
            )
            for email in ("priya@example.in", "priyа@example.in", "рriya@example.in") * 3
        )
    )
    assert sum("errors" not in body for body in bodies) == 1
    assert {error_code(b) for b in bodies if "errors" in b} == {"CONFLICT"}
    assert await User.all().count() == 1


# --- Caps hold under concurrency ----------------------------------------------------------------

SOURCE = """mutation($i: IncomeSourceInput!) { createIncomeSource(input: $i) { id } }"""


async def test_concurrent_creates_never_pass_the_income_source_cap(api: Api) -> None:
    user = await api.register()
    await IncomeSource.bulk_create(
        [IncomeSource(user_id=row_id(user["user"]["id"]), name=f"Client {i}") for i in range(195)]
    )
    bodies = await asyncio.gather(
        *(api.post(SOURCE, {"i": {"name": f"Rush {i}"}}) for i in range(40))
    )
    assert sum("errors" not in body for body in bodies) == 5
    assert await IncomeSource.all().count() == 200


# --- The parser cache: bounded, and not for strangers -------------------------------------------


async def test_strangers_queries_are_not_kept_and_the_cache_is_bounded_by_size(
    settings: Settings,
) -> None:
    app = create_app(settings)
    view = next(r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql")
    assert isinstance(view, GraphQLView)
    assert isinstance(view.schema, Schema)
    documents = view.schema.documents
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app, client=(PROXY, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client)
            for i in range(20):  # big distinct queries without a token: answered, then forgotten
                padding = " " * 200_000
                body = await api.post(f"{{ __typename{padding} a{i}: __typename }}")
                assert body["data"]["a" + str(i)] == "Query"
            assert documents.used == 0
            await api.register()
            for i in range(300):  # a signed-in caller's queries are kept, within the budget
                body = await api.post(f"{{ me {{ id }} x{i}: __typename }}  #{'-' * 9_000}\n")
                assert "errors" not in body, body
    assert 0 < documents.used <= MAX_CACHED_CHARS
    assert len(documents.entries) < 300


async def test_a_window_boundary_does_not_hand_out_a_fresh_limit(api: Api) -> None:
    # Fixed windows forgot every count at the boundary: a guesser who spent the limit just
    # before it got the whole limit again just after.
    window = timedelta(seconds=2)
    while time.time() % 2 > 0.3:  # start early in a window
        await asyncio.sleep(0.05)
    for _ in range(5):
        await rate_limits.hit("login:address:198.51.100.77", 5, window)
    await asyncio.sleep(2 - time.time() % 2 + 0.05)  # just past the boundary
    with pytest.raises(RateLimited):
        await rate_limits.hit("login:address:198.51.100.77", 5, window)


async def test_max_page_size_bounds_every_connection(settings: Settings) -> None:
    # MAX_PAGE_SIZE was read and then ignored: each service had 100 written in.
    app = create_app(replace(settings, max_page_size=10))
    async with LifespanManager(app) as manager:
        await empty_tables()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            await api.register()
            over = [
                await api.post("{ transactions(first: 11) { edges { cursor } } }"),
                await api.post("{ buffer { entries(first: 11) { edges { cursor } } } }"),
            ]
            within = await api.post("{ transactions(first: 10) { edges { cursor } } }")

    for body in over:
        assert error_code(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == "first"
        assert "between 1 and 10" in body["errors"][0]["message"]
    assert "errors" not in within
