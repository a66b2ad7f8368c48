"""Proof under attack: each attack is refused with its code (or HTTP status), and nothing changed.

Checks that already live elsewhere are not repeated here; see the report of issue 8 for the map.
The cross-user and admin tables are walked against the schema, so a new field that takes an id,
or a new admin-only field, fails here until it has an entry.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)
from graphql.pyutils import Undefined
from tortoise import Tortoise

from gql_server import clock
from gql_server.app import create_app
from gql_server.graphql.permissions import IsAdmin
from gql_server.graphql.schema import create_schema
from gql_server.models import (
    ForecastLease,
    GenerationJob,
    IncomeSource,
    RateLimitCounter,
    RefreshToken,
    Transaction,
    User,
)
from gql_server.settings import Settings
from tests.conftest import STRONG_PASSWORD, Api, error_code, global_id, row_id

ME = "{ me { id email } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
NEW_SOURCE = 'mutation { createIncomeSource(input: {name: "Injected"}) { id } }'
SUBSCRIPTION_ACCEPT = "multipart/mixed;subscriptionSpec=1.0,application/json"


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database (production flags, CORS origins...)."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.9", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def subscribe(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None
) -> list[dict[str, Any]]:
    """The payloads of a subscription over multipart HTTP."""
    headers = {"accept": SUBSCRIPTION_ACCEPT}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return [
        json.loads(part.split("\r\n\r\n", 1)[1])["payload"]
        for part in response.text.split("--graphql")
        if "\r\n\r\n" in part and '"payload"' in part
    ]


# --- 1. Guessing passwords with many `login` aliases in one document ----------------------------


def _guesses(emails: list[str], passwords: list[str]) -> str:
    aliases = " ".join(
        f"g{i}: login(email: {json.dumps(e)}, password: {json.dumps(p)}) {{ accessToken }}"
        for i, (e, p) in enumerate(zip(emails, passwords, strict=True))
    )
    return f"mutation {{ {aliases} }}"


async def _counter(key: str) -> int:
    return sum(row.count for row in await RateLimitCounter.filter(key=key))


@pytest.mark.parametrize(
    ("scope", "allowance"),
    [("account", 5), ("address", 12)],
    ids=["one-account-many-passwords", "one-address-many-accounts"],
)
async def test_login_aliases_each_count_and_the_right_password_gets_no_token_after_the_limit(
    api: Api, scope: str, allowance: int
) -> None:
    await api.register()
    api.token = None
    tokens_before = await RefreshToken.all().count()
    executed = refused_as_wrong = 0
    for batch in range(20):  # up to 20 documents of 8 aliases, until the limit answers
        emails = (
            ["priya@example.in"] * 8
            if scope == "account"
            else [f"spray{batch}-{i}@example.in" for i in range(8)]
        )
        body = await api.post(_guesses(emails, [f"Guess-{batch}-{i}-x9" for i in range(8)]))
        assert body["data"] is None
        assert set(codes(body)) <= {"UNAUTHENTICATED", "RATE_LIMITED"}
        executed += len(body["errors"])
        refused_as_wrong += codes(body).count("UNAUTHENTICATED")
        if "RATE_LIMITED" in codes(body):
            break

    # However many aliases the server ran, exactly the allowance was checked against a password.
    assert refused_as_wrong == allowance
    # The right password, offered in every alias of a document, now gets no token.
    body = await api.post(_guesses(["priya@example.in"] * 8, [STRONG_PASSWORD] * 8))
    assert body["data"] is None
    assert set(codes(body)) == {"RATE_LIMITED"}
    assert "accessToken" not in json.dumps(body)
    assert await RefreshToken.all().count() == tokens_before
    # Every alias that ran was counted, not once per document; refused ones add nothing.
    key = (
        "login:account-address:priya@example.in:203.0.113.7"
        if scope == "account"
        else "login:address:203.0.113.7"
    )
    assert await _counter(key) == allowance


# --- 2. Deep, wide and long documents: refused whole, nothing in them runs ----------------------

DEEP_FIELDS = "{ __schema { types { fields { type { fields { type { fields { type { fields { type "
DEEP_FIELDS += "{ fields { type { name } } } } } } } } } } } } }"
DEEP_FRAGMENTS = """
query Deep { __schema { types { ...A } } }
fragment A on __Type { fields { type { ...B } } }
fragment B on __Type { fields { type { ...C } } }
fragment C on __Type { fields { type { ...D } } }
fragment D on __Type { fields { type { fields { type { name } } } } }
"""
ALIASES_VIA_FRAGMENT = (
    "mutation M { ...F "
    + " ".join(f'b{i}: createIncomeSource(input: {{name: "B{i}"}}) {{ id }}' for i in range(11))
    + " } fragment F on Mutation { "
    + " ".join(f'a{i}: createIncomeSource(input: {{name: "A{i}"}}) {{ id }}' for i in range(20))
    + " }"
)
LIMIT_ATTACKS = {
    "depth: a deep query beside the mutation": (
        f'mutation M {{ createIncomeSource(input: {{name: "X"}}) {{ id }} }} query Q {DEEP_FIELDS}',
        "M",
    ),
    "depth through fragments": (
        'mutation M { createIncomeSource(input: {name: "X"}) { id } }' + DEEP_FRAGMENTS,
        "M",
    ),
    "31 aliases": (
        "mutation { "
        + " ".join(f'a{i}: createIncomeSource(input: {{name: "A{i}"}}) {{ id }}' for i in range(31))
        + " }",
        None,
    ),
    "aliases hidden in a fragment": (ALIASES_VIA_FRAGMENT, "M"),
    "2000+ tokens": (
        'mutation { createIncomeSource(input: {name: "X"}) { ' + "id " * 2100 + "} }",
        None,
    ),
    "fragment cycle": (
        'mutation { createIncomeSource(input: {name: "X"}) { ...S } }'
        " fragment S on IncomeSource { id ...T } fragment T on IncomeSource { name ...S }",
        None,
    ),
}


@pytest.mark.parametrize(("document", "operation"), LIMIT_ATTACKS.values(), ids=LIMIT_ATTACKS)
async def test_documents_over_a_limit_are_refused_whole_and_run_nothing(
    api: Api, document: str, operation: str | None
) -> None:
    await api.register()
    response = await api.client.post(
        "/graphql",
        json={"query": document, "operationName": operation},
        headers={"authorization": f"Bearer {api.token}"},
    )
    body = response.json()
    assert response.status_code in (200, 400)
    assert body.get("data") is None
    assert set(codes(body)) == {"BAD_USER_INPUT"}
    assert await IncomeSource.all().count() == 0


async def test_within_the_limits_the_same_shapes_run(api: Api) -> None:
    await api.register()
    three = " ".join(
        f'a{i}: createIncomeSource(input: {{name: "A{i}"}}) {{ id }}' for i in range(3)
    )
    assert "errors" not in await api.post(f"mutation {{ {three} }}")
    assert await IncomeSource.all().count() == 3


# --- 3. Huge and malformed bodies -------------------------------------------------------------


async def test_a_huge_declared_body_with_a_mutation_is_refused_unread(api: Api) -> None:
    await api.register()
    response = await api.client.post(
        "/graphql",
        json={"query": NEW_SOURCE, "variables": {"pad": "x" * 300_000}},
        headers={"authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 413
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert await IncomeSource.all().count() == 0


async def test_a_huge_streamed_body_with_a_mutation_is_refused_midway(api: Api) -> None:
    await api.register()
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield json.dumps({"query": NEW_SOURCE}).encode()[:-1] + b', "pad": "'
        for _ in range(100):
            sent += 1
            yield b"x" * 10_000
        yield b'"}'

    response = await api.client.post(
        "/graphql",
        content=chunks(),
        headers={"content-type": "application/json", "authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 413
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert await IncomeSource.all().count() == 0


MUTATION_JSON = json.dumps({"query": NEW_SOURCE}).encode()


def _multipart(mapping: bytes, with_file: bool) -> bytes:
    """A multipart upload of MUTATION_JSON (which takes no file) with the given map."""
    part = b'--b\r\nContent-Disposition: form-data; name="%s"%s\r\n\r\n%s\r\n'
    body = part % (b"operations", b"", MUTATION_JSON) + part % (b"map", b"", mapping)
    if with_file:
        body += part % (b"0", b'; filename="s.csv"', b"Date,Narration")
    return body + b"--b--\r\n"


MALFORMED_BODIES = {
    "truncated JSON": (b'{"query": "mutation { createIncomeSource', "application/json"),
    "empty body": (b"", "application/json"),
    "not UTF-8": (b"\xff\xfe\x00{", "application/json"),
    "JSON null": (b"null", "application/json"),
    "JSON number": (b"42", "application/json"),
    "JSON string": (json.dumps(NEW_SOURCE).encode(), "application/json"),
    "JSON true": (b"true", "application/json"),
    "a batch (batching is off)": (
        b"[" + MUTATION_JSON + b"," + MUTATION_JSON + b"]",
        "application/json",
    ),
    "query not a string": (b'{"query": ["mutation { logout }"]}', "application/json"),
    "variables not an object": (
        json.dumps({"query": NEW_SOURCE, "variables": [1]}).encode(),
        "application/json",
    ),
    "no query": (b'{"variables": {}}', "application/json"),
    "nested 100k deep": (
        b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        "application/json",
    ),
    "a 5000-digit number": (
        b'{"query": "{ me { id } }", "variables": {"a": ' + b"9" * 5000 + b"}}",
        "application/json",
    ),
    "text/plain (a cross-site form can send it)": (MUTATION_JSON, "text/plain"),
    "form-urlencoded": (b"query=" + NEW_SOURCE.encode(), "application/x-www-form-urlencoded"),
    "multipart/form-data": (
        b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + MUTATION_JSON
        + b"\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    ),
    "no content type": (MUTATION_JSON, None),
    **{
        f"an upload with {case}": (
            _multipart(mapping, with_file),
            "multipart/form-data; boundary=b",
        )
        for case, mapping, with_file in (
            ("a map that is not an object", b"[1]", True),
            ("a map of numbers", b'{"0": [1]}', True),
            ("a map into a missing variable", b'{"0": ["variables.a.b.c"]}', True),
            ("a map into a string", b'{"0": ["query.x"]}', True),
            ("a map naming a missing part", b'{"7": ["variables.file"]}', True),
            ("a map but no file", b'{"0": ["variables.file"]}', False),
        )
    },
}


@pytest.mark.parametrize(
    ("content", "content_type"), MALFORMED_BODIES.values(), ids=MALFORMED_BODIES
)
async def test_malformed_bodies_get_a_coded_400_and_run_nothing(
    api: Api, content: bytes, content_type: str | None
) -> None:
    await api.register()
    headers = {"authorization": f"Bearer {api.token}"}
    if content_type:
        headers["content-type"] = content_type
    response = await api.client.post("/graphql", content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert await IncomeSource.all().count() == 0


# --- 4. Tokens: forged, unsigned, expired, revoked, of the wrong type, tampered ----------------


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _with_payload(token: str, **changes: Any) -> str:
    """The same header and signature over an edited payload (what a tamperer can do)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join((header, _b64({**claims, **changes}), signature))


def _claims(user_id: str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": user_id,
        "typ": "access",
        "ver": 0,
        "jti": "8c7d1a3e-3f0e-4d59-9d7a-1b2c3d4e5f60",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }


@dataclass
class Tokens:
    settings: Settings
    victim_id: str
    version: int  # the victim's current token version: forgeries fail on the forgery alone
    access: str
    refresh: str
    revoked: str


def _bad_tokens() -> dict[str, Callable[[Tokens], str]]:
    past = datetime.now(UTC) - timedelta(hours=2)
    return {
        "alg none": lambda t: jwt.encode(
            _claims(t.victim_id, ver=t.version), None, algorithm="none"
        ),
        "alg None, hand-made": lambda t: (
            _b64({"alg": "None", "typ": "JWT"})
            + "."
            + _b64(_claims(t.victim_id, ver=t.version, iat=0, exp=2**40))
            + "."
        ),
        "signed with another secret": lambda t: jwt.encode(
            _claims(t.victim_id, ver=t.version), "another-secret-of-enough-length-000000", "HS256"
        ),
        "expired": lambda t: jwt.encode(
            _claims(t.victim_id, ver=t.version, iat=past, exp=past + timedelta(minutes=15)),
            t.settings.jwt_secret,
            "HS256",
        ),
        "revoked by logout": lambda t: t.revoked,
        "a refresh token as the access token": lambda t: t.refresh,
        "ver tampered (signature kept)": lambda t: _with_payload(t.access, ver=0),
        "ver of the future, properly signed": lambda t: jwt.encode(
            _claims(t.victim_id, ver=99), t.settings.jwt_secret, "HS256"
        ),
        "sub tampered (signature kept)": lambda t: _with_payload(t.access, sub="1"),
        "typ tampered (signature kept)": lambda t: _with_payload(t.refresh, typ="access"),
        "signature stripped": lambda t: t.access.rsplit(".", 1)[0] + ".",
        "not a JWT": lambda t: "Bearer.Bearer.Bearer",
    }


BAD_TOKENS = _bad_tokens()


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_bad_tokens_are_unauthenticated_and_change_nothing(
    api: Api, settings: Settings, kind: str
) -> None:
    bystander = await api.register(email="bystander@example.in")  # user 1: a `sub` to steal
    first = await api.register()
    second = (await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD}))[
        "data"
    ]["login"]
    assert (await api.post("mutation { logout }", token=first["accessToken"]))["data"]["logout"]
    third = (await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD}))[
        "data"
    ]["login"]
    victim = await User.get(email="priya@example.in")
    assert victim.token_version == 1
    tokens = Tokens(
        settings=settings,
        victim_id=str(victim.id),
        version=victim.token_version,
        access=third["accessToken"],
        refresh=third["refreshToken"],
        revoked=second["accessToken"],
    )
    token = BAD_TOKENS[kind](tokens)
    assert row_id(bystander["user"]["id"]) == 1
    refresh_rows = await RefreshToken.all().count()

    created = await api.post(NEW_SOURCE, token=token)
    logged_out = await api.post("mutation { logout }", token=token)
    read = await api.post(ME, token=token)

    assert codes(created) == codes(logged_out) == codes(read) == ["UNAUTHENTICATED"]
    assert created["data"] is logged_out["data"] is read["data"] is None
    assert await IncomeSource.all().count() == 0
    assert [u.token_version for u in await User.all().order_by("id")] == [0, 1]
    assert await RefreshToken.all().count() == refresh_rows
    # The genuine token, and the same claims signed properly, still work: the refusals are
    # about the forgery.
    assert "errors" not in await api.post(ME, token=third["accessToken"])
    signed = jwt.encode(_claims(str(victim.id), ver=1), settings.jwt_secret, "HS256")
    assert "errors" not in await api.post(ME, token=signed)


# --- 5. Refresh tokens: reuse signs every device out and issues nothing ------------------------


async def test_a_reused_refresh_token_issues_nothing_and_signs_out_every_device(api: Api) -> None:
    phone = await api.register()
    laptop = (await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD}))[
        "data"
    ]["login"]
    rotated = (await api.post(REFRESH, {"t": phone["refreshToken"]}))["data"]["refreshToken"]
    # Past the grace for two tabs refreshing together (tests/integration/test_sessions.py).
    await RefreshToken.filter(used_at__isnull=False).update(
        used_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    rows = await RefreshToken.all().count()

    reused = await api.post(REFRESH, {"t": phone["refreshToken"]})

    assert codes(reused) == ["UNAUTHENTICATED"]
    assert reused["data"] is None
    assert await RefreshToken.all().count() <= rows  # nothing issued (every token revoked)
    for token in (phone["accessToken"], laptop["accessToken"], rotated["accessToken"]):
        assert codes(await api.post(ME, token=token)) == ["UNAUTHENTICATED"]
    for token in (laptop["refreshToken"], rotated["refreshToken"]):
        assert codes(await api.post(REFRESH, {"t": token})) == ["UNAUTHENTICATED"]
    assert await RefreshToken.all().count() <= rows


async def test_two_refreshes_racing_with_one_token_stay_in_one_session(api: Api) -> None:
    """Two tabs refreshing the same token at once both stay signed in (issue 22: before, the
    loser signed the user out everywhere), and both pairs continue the one session."""
    first = await api.register()

    answers = await asyncio.gather(
        *(api.post(REFRESH, {"t": first["refreshToken"]}) for _ in range(2))
    )

    winners = [a["data"]["refreshToken"] for a in answers if a.get("data")]
    assert len(winners) == 2, answers
    for pair in winners:
        assert codes(await api.post(ME, token=pair["accessToken"])) == []
    listed = await api.post("{ sessions { id } }", token=winners[0]["accessToken"])
    assert len(listed["data"]["sessions"]) == 1


# --- The schema, walked: fields that take ids, fields that are admin-only ---------------------


@cache
def graphql_schema() -> GraphQLSchema:
    return create_schema(Settings(app_env="test"))._schema


def _id_paths(
    arg_type: GraphQLInputType, path: tuple[str, ...], seen: frozenset[str]
) -> Iterator[tuple[str, ...]]:
    named = get_named_type(arg_type)
    if isinstance(named, GraphQLScalarType) and named.name == "ID":
        yield path
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, input_field in named.fields.items():
            yield from _id_paths(input_field.type, (*path, name), seen | {named.name})


def _object_types() -> Iterator[GraphQLObjectType]:
    for type_ in graphql_schema().type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            yield type_


def id_arguments() -> set[tuple[str, str]]:
    """(Type.field, argument path) for every argument, or input field in one, of type ID."""
    found = set()
    for type_ in _object_types():
        for name, field_ in type_.fields.items():
            for arg_name, arg in field_.args.items():
                for path in _id_paths(arg.type, (arg_name,), frozenset()):
                    found.add((f"{type_.name}.{name}", ".".join(path)))
    return found


def admin_only_fields() -> set[str]:
    found = set()
    for type_ in _object_types():
        for name, field_ in type_.fields.items():
            definition = (field_.extensions or {}).get("strawberry-definition")
            permissions = list(getattr(definition, "permission_classes", None) or [])
            for extension in getattr(definition, "extensions", None) or []:
                permissions += [type(p) for p in getattr(extension, "permissions", [])]
            if any(issubclass(p, IsAdmin) for p in permissions):
                found.add(f"{type_.name}.{name}")
    return found


def field_exists(coordinate: str, arg_path: str = "") -> bool:
    type_name, field_name = coordinate.split(".")
    type_ = graphql_schema().type_map.get(type_name)
    if not isinstance(type_, GraphQLObjectType) or field_name not in type_.fields:
        return False
    return not arg_path or (coordinate, arg_path) in id_arguments()


def _sample(type_: GraphQLInputType, name: str) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, name)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, name)]
    if isinstance(type_, GraphQLEnumType):
        values = list(type_.values)
        return next((v for v in ("INCOME", "MONTHLY", "CLIENT") if v in values), values[0])
    if isinstance(type_, GraphQLInputObjectType):
        return sample_input(type_.name)
    return {
        "Decimal": "1500.00",
        "Date": (clock.today("Asia/Kolkata") + timedelta(days=10)).isoformat(),
        "DateTime": "2026-02-01T10:00:00+05:30",
        "Int": 30,
        "Float": 1.0,
        "Boolean": False,
        "ID": "1",
    }.get(type_.name, f"Sample {name}")


# Optional fields that a valid input needs in practice (a monthly item needs a date).
SAMPLED_WHEN_OPTIONAL = {"nextDate"}


def sample_input(type_name: str, **overrides: Any) -> dict[str, Any]:
    """A valid-looking value of an input type: its required fields, then the overrides; when
    that leaves a patch empty, one harmless field set (so the update has something to do)."""
    type_ = graphql_schema().type_map[type_name]
    assert isinstance(type_, GraphQLInputObjectType)
    value = {
        name: _sample(f.type, name)
        for name, f in type_.fields.items()
        if (isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined)
        or name in SAMPLED_WHEN_OPTIONAL
    }
    value.update(overrides)
    if not value:
        for name in ("amount", "merchant", "name", "note", "description"):
            if name in type_.fields:
                value[name] = _sample(type_.fields[name].type, name)
                break
    return value


def argument_type(coordinate: str, argument: str) -> str:
    type_name, field_name = coordinate.split(".")
    type_ = graphql_schema().type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    return str(type_.fields[field_name].args[argument].type)


def input_type_of(coordinate: str, argument: str) -> str:
    return argument_type(coordinate, argument).strip("!").strip("[]").strip("!")


def document_for(coordinate: str, args: dict[str, Any]) -> str:
    """`query($id: ID!) { transaction(id: $id) { __typename } }`, built from the schema."""
    type_name, field_name = coordinate.split(".")
    type_ = graphql_schema().type_map[type_name]
    assert isinstance(type_, GraphQLObjectType)
    field_ = type_.fields[field_name]
    definitions = ", ".join(f"${a}: {field_.args[a].type}" for a in args)
    call = field_name + (f"({', '.join(f'{a}: ${a}' for a in args)})" if args else "")
    leaf = isinstance(get_named_type(field_.type), GraphQLScalarType | GraphQLEnumType)
    selection = call if leaf else call + " { __typename }"
    operation = {"Mutation": "mutation", "Subscription": "subscription"}.get(type_name, "query")
    if type_name == "User":
        selection = f"me {{ {selection} }}"
    head = f"{operation}({definitions})" if definitions else operation
    return f"{head} {{ {selection} }}"


# --- 6. Another user's ids, in every field that takes one -------------------------------------

MISSING_ID = "2000000000"
VICTIM_NAME = "Victim's private client"
VICTIM_AMOUNT = "4321.09"


@dataclass
class World:
    """A victim with data, an attacker with a little of their own, both signed in."""

    api: Api
    victim_token: str
    attacker_token: str
    victim_id: int
    attacker_id: int
    ids: dict[str, str] = field(default_factory=dict)
    missing: bool = False  # when set, the victim's ids read as ids that never existed

    def theirs(self, kind: str) -> str:
        return MISSING_ID if self.missing else self.ids[f"their {kind}"]

    def mine(self, kind: str) -> str:
        return self.ids[f"my {kind}"]


async def _create(api: Api, token: str, coordinate: str, args: dict[str, Any]) -> str:
    body = await api.post(
        document_for(coordinate, args).replace("{ __typename }", "{ id }"), args, token=token
    )
    assert "errors" not in body, body
    return next(iter(body["data"].values()))["id"]


async def _income_transaction(api: Api, token: str, source_id: str, amount: str) -> str:
    return await _create(
        api,
        token,
        "Mutation.createTransaction",
        {
            "input": {
                "occurredAt": "2026-02-01T10:00:00+05:30",
                "amount": amount,
                "direction": "INCOME",
                "merchant": "Acme Studio",
                "incomeSourceId": source_id,
            }
        },
    )


async def _recurring_item(api: Api, token: str) -> str:
    coordinate = "Mutation.declareRecurringItem"
    return await _create(
        api, token, coordinate, {"input": sample_input(input_type_of(coordinate, "input"))}
    )


async def build_world(api: Api, needs_recurring: bool) -> World:
    victim = await api.register(email="victim@example.in", full_name="Vanya Victim")
    attacker = await api.register(email="attacker@example.in", full_name="Arjun Attacker")
    world = World(
        api=api,
        victim_token=victim["accessToken"],
        attacker_token=attacker["accessToken"],
        victim_id=row_id(victim["user"]["id"]),
        attacker_id=row_id(attacker["user"]["id"]),
    )
    for owner, token in (("their", world.victim_token), ("my", world.attacker_token)):
        name = VICTIM_NAME if owner == "their" else "My client"
        source = {"input": {"name": name, "expectedMonthlyAmount": "90000.00"}}
        source_id = await _create(api, token, "Mutation.createIncomeSource", source)
        world.ids[f"{owner} income source"] = source_id
        amount = VICTIM_AMOUNT if owner == "their" else "100.00"
        world.ids[f"{owner} transaction"] = await _income_transaction(api, token, source_id, amount)
        rule = {"input": {"narrationContains": "acme", "setCategory": "Salary"}}
        world.ids[f"{owner} category rule"] = await _create(
            api, token, "Mutation.createCategoryRule", rule
        )
        if needs_recurring:
            world.ids[f"{owner} recurring item"] = await _recurring_item(api, token)
        hook = await api.post(
            "mutation($i: WebhookInput!) { createWebhook(input: $i) { webhook { id } } }",
            {"i": {"url": f"https://hooks.example.com/{owner}"}},
            token=token,
        )
        world.ids[f"{owner} webhook"] = hook["data"]["createWebhook"]["webhook"]["id"]
        listed = await api.post("{ sessions { id } }", token=token)
        world.ids[f"{owner} session"] = listed["data"]["sessions"][0]["id"]
    await _at_rest(api, world)
    api.token = world.attacker_token
    return world


async def _at_rest(api: Api, world: World) -> None:
    """Both users' background refits, which their writes asked for a second later, done
    before anything is compared: a refit finishing during the attack rewrote the victim's
    forecast lease between the two snapshots (a fresh-clone CI run failed so). Each user's
    read of its forecasts asks for its refit now and waits for it; the fit's lease goes
    just after the outlook is stored."""
    for token in (world.victim_token, world.attacker_token):
        body = await api.post("{ forecasts { horizonDays } }", token=token)
        assert "errors" not in body, body
    users = (world.victim_id, world.attacker_id)
    for _ in range(200):
        if not await ForecastLease.filter(user_id__in=users).exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("a forecast lease outlived its refit by 10 s")


async def _user_rows(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row the user owns, in every model that has a user (new models included)."""
    rows: dict[str, list[dict[str, Any]]] = {"User": await User.filter(id=user_id).values()}
    assert Tortoise.apps is not None
    for model in Tortoise.apps.get_models_iterable():
        if "user" in model._meta.fk_fields:
            ordered = model.filter(user_id=user_id).order_by(model._meta.pk_attr)
            rows[model.__name__] = await ordered.values()
    return rows


async def _owned_by(user_id: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "Transaction": await Transaction.filter(user_id=user_id).order_by("id").values(),
        "IncomeSource": await IncomeSource.filter(user_id=user_id).order_by("id").values(),
    }


@dataclass(frozen=True)
class CrossUserCase:
    coordinate: str  # Type.field
    arg_path: str  # the id's place among the arguments: "id", "input.incomeSourceId"
    args: Callable[[World], dict[str, Any]]
    expect: str = "NOT_FOUND"  # or "null": a single-object read answers null (api.md)
    needs_recurring: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.coordinate, self.arg_path)


def _scenario(w: World) -> dict[str, Any]:
    return {"dropIncomeSources": [w.mine("income source"), w.theirs("income source")]}


def _recurring_patch(**overrides: Any) -> dict[str, Any]:
    return sample_input(input_type_of("Mutation.updateRecurringItem", "input"), **overrides)


def _their_node(w: World, kind: str, type_name: str) -> str:
    """Their object's global ID (the ids the API answers), or one that never existed."""
    return global_id(type_name, MISSING_ID) if w.missing else w.theirs(kind)


CROSS_USER_CASES = [
    CrossUserCase("Query.transaction", "id", lambda w: {"id": w.theirs("transaction")}, "null"),
    CrossUserCase(
        "Query.node", "id", lambda w: {"id": _their_node(w, "transaction", "Transaction")}, "null"
    ),
    CrossUserCase(
        "Query.nodes",
        "ids",
        lambda w: {
            "ids": [
                _their_node(w, "transaction", "Transaction"),
                _their_node(w, "income source", "IncomeSource"),
            ]
        },
        "null",
    ),
    CrossUserCase(
        "Mutation.createTransaction",
        "input.incomeSourceId",
        lambda w: {
            "input": {
                "occurredAt": "2026-02-02T10:00:00Z",
                "amount": "10.00",
                "direction": "INCOME",
                "incomeSourceId": w.theirs("income source"),
            }
        },
    ),
    CrossUserCase(
        "Mutation.updateTransaction",
        "id",
        lambda w: {"id": w.theirs("transaction"), "input": {"amount": "1.00"}},
    ),
    CrossUserCase(
        "Mutation.updateTransaction",
        "input.incomeSourceId",
        lambda w: {
            "id": w.mine("transaction"),
            "input": {"incomeSourceId": w.theirs("income source")},
        },
    ),
    CrossUserCase("Mutation.deleteTransaction", "id", lambda w: {"id": w.theirs("transaction")}),
    CrossUserCase("Mutation.deleteWebhook", "id", lambda w: {"id": w.theirs("webhook")}),
    CrossUserCase("Mutation.revokeSession", "id", lambda w: {"id": w.theirs("session")}),
    CrossUserCase(
        "Mutation.updateIncomeSource",
        "id",
        lambda w: {"id": w.theirs("income source"), "input": {"name": "Mine now"}},
    ),
    CrossUserCase("Mutation.deleteIncomeSource", "id", lambda w: {"id": w.theirs("income source")}),
    # Known money ahead (recurring items, scenarios): covered as soon as the fields exist.
    CrossUserCase(
        "Mutation.declareRecurringItem",
        "input.incomeSourceId",
        lambda w: {
            "input": sample_input(
                input_type_of("Mutation.declareRecurringItem", "input"),
                incomeSourceId=w.theirs("income source"),
            )
        },
    ),
    CrossUserCase(
        "Mutation.updateRecurringItem",
        "id",
        lambda w: {"id": w.theirs("recurring item"), "input": _recurring_patch()},
        needs_recurring=True,
    ),
    CrossUserCase(
        "Mutation.updateRecurringItem",
        "input.incomeSourceId",
        lambda w: {
            "id": w.mine("recurring item"),
            "input": _recurring_patch(incomeSourceId=w.theirs("income source")),
        },
        needs_recurring=True,
    ),
    CrossUserCase(
        "Mutation.dismissRecurringItem",
        "id",
        lambda w: {"id": w.theirs("recurring item")},
        needs_recurring=True,
    ),
    CrossUserCase(
        "Mutation.createCategoryRule",
        "input.setIncomeSourceId",
        lambda w: {
            "input": {"narrationContains": "x", "setIncomeSourceId": w.theirs("income source")}
        },
    ),
    CrossUserCase(
        "Mutation.updateCategoryRule",
        "id",
        lambda w: {"id": w.theirs("category rule"), "input": {"setCategory": "Rent"}},
    ),
    CrossUserCase(
        "Mutation.updateCategoryRule",
        "input.setIncomeSourceId",
        lambda w: {
            "id": w.mine("category rule"),
            "input": {"setIncomeSourceId": w.theirs("income source")},
        },
    ),
    CrossUserCase("Mutation.deleteCategoryRule", "id", lambda w: {"id": w.theirs("category rule")}),
    CrossUserCase(
        "Query.forecast",
        "scenario.dropIncomeSources",
        lambda w: {"horizonDays": 30, "scenario": _scenario(w)},
    ),
    CrossUserCase(
        "Query.balanceForecast",
        "scenario.dropIncomeSources",
        lambda w: {"horizonDays": 30, "scenario": _scenario(w)},
    ),
    CrossUserCase(
        "User.forecast",
        "scenario.dropIncomeSources",
        lambda w: {"horizonDays": 30, "scenario": _scenario(w)},
    ),
    CrossUserCase(
        "User.balanceForecast",
        "scenario.dropIncomeSources",
        lambda w: {"horizonDays": 30, "scenario": _scenario(w)},
    ),
]
# Generation jobs are the operators' shared work, not a user's data: any admin may follow or
# cancel any job, and everyone else is refused as a whole (see ADMIN_CASES below).
ADMIN_ONLY_ID_ARGUMENTS = {
    ("Query.generationJob", "id"),
    ("Mutation.cancelGenerationJob", "id"),
    ("Subscription.generationJob", "id"),
}


def test_every_argument_that_takes_an_id_has_a_cross_user_case() -> None:
    covered = {case.key for case in CROSS_USER_CASES} | ADMIN_ONLY_ID_ARGUMENTS
    missing = id_arguments() - covered
    assert not missing, (
        f"new id arguments {sorted(missing)}: add a CrossUserCase to CROSS_USER_CASES in "
        "tests/integration/test_security.py (another user's id must read as NOT_FOUND or null)"
    )
    admin = admin_only_fields()
    for coordinate, _ in ADMIN_ONLY_ID_ARGUMENTS:
        assert coordinate in admin or not field_exists(coordinate), f"{coordinate} lost IsAdmin"
    # The walk sees today's fields (a guard against a walk that silently finds nothing).
    assert ("Mutation.updateTransaction", "input.incomeSourceId") in id_arguments()


@pytest.mark.parametrize(
    "case", CROSS_USER_CASES, ids=[f"{c.coordinate}({c.arg_path})" for c in CROSS_USER_CASES]
)
async def test_another_users_id_reads_as_not_found_and_changes_nothing(
    api: Api, case: CrossUserCase
) -> None:
    if not field_exists(case.coordinate, case.arg_path):
        pytest.skip(f"{case.coordinate}({case.arg_path}) is not in the schema yet")
    world = await build_world(api, case.needs_recurring)
    victim_before = await _user_rows(world.victim_id)
    attacker_before = await _owned_by(world.attacker_id)
    args = case.args(world)

    body = await api.post(document_for(case.coordinate, args), args, token=world.attacker_token)

    if case.expect == "null":
        assert "errors" not in body, body
        answer = next(iter(body["data"].values()))
        assert answer is None or answer == [None] * len(answer), body
    else:
        assert codes(body) == [case.expect], body
        assert body["data"] is None or None in body["data"].values()
    text = json.dumps(body)
    for secret in ("victim@example.in", "Vanya", VICTIM_NAME, VICTIM_AMOUNT):
        assert secret not in text
    assert await _user_rows(world.victim_id) == victim_before
    assert await _owned_by(world.attacker_id) == attacker_before
    # The answer is the one for an id that never existed: no oracle of other users' ids.
    world.missing = True
    never = await api.post(
        document_for(case.coordinate, case.args(world)),
        case.args(world),
        token=world.attacker_token,
    )
    assert _shape(never) == _shape(body)
    assert never.get("data") == body.get("data")


def _shape(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(re.sub(r"\d+", "N", e["message"]), e["extensions"]) for e in body.get("errors") or []]


# --- 7. Admin-only operations, by someone who is not an admin -----------------------------------


@dataclass(frozen=True)
class AdminCase:
    coordinate: str
    args: Callable[[str], dict[str, Any]]  # given an existing job's id


ADMIN_CASES = [
    AdminCase("Query.generationJob", lambda job: {"id": job}),
    AdminCase("Query.generationJobs", lambda job: {}),
    AdminCase(
        "Mutation.generateDataset",
        lambda job: {
            "input": {
                "users": 2,
                "days": 60,
                "seed": "5",
                "password": STRONG_PASSWORD,
                "endDate": "2026-10-31",
            }
        },
    ),
    AdminCase("Mutation.cancelGenerationJob", lambda job: {"id": job}),
    AdminCase("Subscription.generationJob", lambda job: {"id": job}),
]


def test_every_admin_only_field_has_a_case() -> None:
    admin = admin_only_fields()
    missing = admin - {case.coordinate for case in ADMIN_CASES}
    assert not missing, (
        f"add AdminCases for {sorted(missing)} in tests/integration/test_security.py"
    )
    assert "Mutation.generateDataset" in admin


@pytest.mark.parametrize("case", ADMIN_CASES, ids=[c.coordinate for c in ADMIN_CASES])
@pytest.mark.parametrize("who", ["user", "anonymous"])
async def test_admin_operations_are_refused_to_others_and_change_nothing(
    api: Api, case: AdminCase, who: str
) -> None:
    if case.coordinate not in admin_only_fields():
        pytest.skip(f"{case.coordinate} is not an admin-only field any more")
    user = await api.register()
    token = user["accessToken"] if who == "user" else None
    job = await GenerationJob.create(
        users_requested=3, days=60, seed=11, patterns="stable", password_hash="x"
    )
    jobs_before = await GenerationJob.all().order_by("id").values()
    users_before = await User.all().count()
    args = case.args(str(job.id))
    document = document_for(case.coordinate, args).replace("{ __typename }", "{ id status }")

    api.token = token
    if case.coordinate.startswith("Subscription."):
        payloads = await subscribe(api.client, document, args, token)
        assert len(payloads) == 1
        body = payloads[0]
    else:
        body = await api.post(document, args)

    expected = "FORBIDDEN" if who == "user" else "UNAUTHENTICATED"
    assert codes(body) == [expected], body
    assert not any((body.get("data") or {}).values())
    assert await GenerationJob.all().order_by("id").values() == jobs_before
    assert await User.all().count() == users_before


# --- 8. Mutations and subscriptions over GET and plain POST -------------------------------------

GET_ATTACKS = {
    "a mutation": {"query": NEW_SOURCE},
    "a mutation named by operationName": {
        "query": "query Q { me { id } } " + NEW_SOURCE.replace("mutation", "mutation M"),
        "operationName": "M",
    },
    "a mutation first, no operationName": {
        "query": NEW_SOURCE.replace("mutation", "mutation M") + " query Q { me { id } }",
    },
    "a mutation with its input in variables": {
        "query": "mutation($i: IncomeSourceInput!) { createIncomeSource(input: $i) { id } }",
        "variables": json.dumps({"i": {"name": "Injected"}}),
    },
    "a subscription without a streaming transport": {
        "query": "subscription { generationJob(id: 1) { id } }",
    },
}


@pytest.mark.parametrize("params", GET_ATTACKS.values(), ids=GET_ATTACKS)
async def test_get_runs_no_mutation(api: Api, params: dict[str, str]) -> None:
    await api.register()
    response = await api.client.get(
        "/graphql", params=params, headers={"authorization": f"Bearer {api.token}"}
    )
    assert response.status_code == 400
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert await IncomeSource.all().count() == 0
    assert await GenerationJob.all().count() == 0


async def test_a_subscription_over_plain_post_is_refused_as_the_clients_mistake(api: Api) -> None:
    await api.register()
    response = await api.client.post(
        "/graphql",
        json={"query": "subscription { generationJob(id: 1) { id } }"},
        headers={"authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 400
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert "multipart/mixed" in response.json()["errors"][0]["message"]


# --- 9. Production: no introspection, no GraphiQL, no schema spelled out in errors -------------

INTROSPECTION = {
    "__schema": ("POST", "{ __schema { types { name } } }"),
    "__type": ("POST", '{ __type(name: "User") { fields { name } } }'),
    "aliased": ("POST", "{ s: __schema { queryType { name } } }"),
    "in a fragment": ("POST", "query { ...F } fragment F on Query { __schema { types { name } } }"),
    "over GET": ("GET", "{ __schema { types { name } } }"),
}


@pytest.mark.parametrize(("method", "query"), INTROSPECTION.values(), ids=INTROSPECTION)
async def test_production_refuses_introspection(
    app_client: httpx.AsyncClient, production_settings: Settings, method: str, query: str
) -> None:
    async with client_for(production_settings) as client:
        if method == "GET":
            response = await client.get("/graphql", params={"query": query})
        else:
            response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert body.get("data") is None
    assert set(codes(body)) == {"BAD_USER_INPUT"}
    assert "introspection" in body["errors"][0]["message"].lower()


@pytest.mark.parametrize(
    ("query", "hidden"),
    [
        ("{ me { emial } }", "'email'"),
        ("{ transactions(frist: 1) { totalCount } }", "'first'"),
        ("{ cashflow(interval: MONHT) { net } }", "'MONTH'"),
        ("query($f: TransactionFilte) { me { id } }", "'TransactionFilter'"),
        ('mutation { createIncomeSource(input: {name: "x", knd: CLIENT}) { id } }', "'kind'"),
    ],
)
async def test_production_errors_do_not_suggest_names_from_the_schema(
    app_client: httpx.AsyncClient, production_settings: Settings, query: str, hidden: str
) -> None:
    async with client_for(production_settings) as client:
        body = (await client.post("/graphql", json={"query": query})).json()
    assert set(codes(body)) == {"BAD_USER_INPUT"}
    text = json.dumps(body)
    assert "Did you mean" not in text
    assert hidden not in text


async def test_production_serves_no_graphiql_but_answers_queries(
    app_client: httpx.AsyncClient, production_settings: Settings
) -> None:
    async with client_for(production_settings) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        typename = await client.post("/graphql", json={"query": "{ __typename }"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert typename.json() == {"data": {"__typename": "Query"}}


# --- 10. CORS: foreign origins get no Access-Control-Allow-Origin ------------------------------

FOREIGN_ORIGINS = [
    "https://evil.example",
    "null",
    "https://app.gigcash.in.evil.example",
    "https://evilapp.gigcash.in",
    "http://app.gigcash.in",
    "https://app.gigcash.in:8443",
]


@pytest.mark.parametrize("configured", [(), ("https://app.gigcash.in",)], ids=["none", "app"])
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_foreign_origins_get_no_cors_grant(
    app_client: httpx.AsyncClient,
    production_settings: Settings,
    configured: tuple[str, ...],
    origin: str,
) -> None:
    async with client_for(replace(production_settings, cors_origins=configured)) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
        )
        simple = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": origin}
        )
        login = await client.post(
            "/graphql",
            content=json.dumps({"query": LOGIN, "variables": {"email": "a@b.in", "password": "x"}}),
            headers={"origin": origin, "content-type": "text/plain"},
        )
        # The one cross-site request a browser sends without asking runs nothing.
        assert await RateLimitCounter.all().count() == 0
    for response in (preflight, simple, login):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers
    assert preflight.status_code == 400
    assert login.status_code == 400
