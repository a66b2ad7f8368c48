"""Accounts through GraphQL: register, login, refresh rotation, logout, and the bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import PasswordHasher

from gql_server.models import RefreshToken, User
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code, row_id

ME = "{ me { id email fullName city occupation role currency timezone } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken user { email } } }"""
REFRESH = (
    """mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"""
)


@BOTH_BACKENDS
async def test_register_then_me_returns_the_new_account(api: Api) -> None:
    payload = await api.register(email="Priya.Sharma@Example.IN")

    assert payload["user"]["email"] == "priya.sharma@example.in"
    assert payload["user"]["role"] == "USER"
    me = (await api.post(ME))["data"]["me"]
    assert me["fullName"] == "Priya Sharma"
    assert (me["city"], me["currency"], me["timezone"]) == ("Pune", "INR", "Asia/Kolkata")


@BOTH_BACKENDS
async def test_login_returns_tokens_that_work(api: Api) -> None:
    await api.register()
    body = await api.post(LOGIN, {"email": "PRIYA@example.in", "password": STRONG_PASSWORD})
    token = body["data"]["login"]["accessToken"]

    assert (await api.post(ME, token=token))["data"]["me"]["email"] == "priya@example.in"


@BOTH_BACKENDS
async def test_email_is_unique_whatever_its_case(api: Api) -> None:
    await api.register(email="ravi@example.in")
    body = await api.post(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"email": "RAVI@Example.in", "password": STRONG_PASSWORD, "fullName": "R"}},
    )
    assert error_code(body) == "CONFLICT"
    assert await User.all().count() == 1


@pytest.mark.parametrize(
    ("email", "password", "full_name", "field"),
    [
        ("not-an-email", STRONG_PASSWORD, "A", "email"),
        ("a@b", STRONG_PASSWORD, "A", "email"),
        ("ok@example.in", "short1!", "A", "password"),
        ("ok@example.in", "password123", "A", "password"),
        ("ok@example.in", "qwertyuiop12", "A", "password"),
        ("ok@example.in", "x" * 129, "A", "password"),
        ("ok@example.in", STRONG_PASSWORD, "   ", "fullName"),
        ("ok@example.in", STRONG_PASSWORD, "n" * 121, "fullName"),
    ],
)
async def test_bad_registration_is_refused_and_creates_nothing(
    api: Api, email: str, password: str, full_name: str, field: str
) -> None:
    body = await api.post(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"email": email, "password": password, "fullName": full_name}},
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert await User.all().count() == 0


async def test_wrong_password_and_unknown_email_get_the_same_answer(api: Api) -> None:
    await api.register()
    wrong = await api.post(LOGIN, {"email": "priya@example.in", "password": "Wrong-pass-123456"})
    unknown = await api.post(LOGIN, {"email": "nobody@example.in", "password": STRONG_PASSWORD})

    assert error_code(wrong) == error_code(unknown) == "UNAUTHENTICATED"
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]


async def test_login_is_rate_limited_per_account_even_for_the_right_password(api: Api) -> None:
    await api.register()
    for _ in range(5):
        body = await api.post(LOGIN, {"email": "priya@example.in", "password": "Wrong-pass-1234"})
        assert error_code(body) == "UNAUTHENTICATED"

    body = await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD})
    assert error_code(body) == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["retryAfterSeconds"] > 0


async def test_successful_logins_do_not_use_up_the_allowance(api: Api) -> None:
    await api.register()
    for _ in range(8):
        body = await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD})
        assert "errors" not in body


async def test_aliases_in_one_request_count_as_separate_attempts(api: Api) -> None:
    await api.register()
    guesses = " ".join(
        f'g{i}: login(email: "priya@example.in", password: "Guess-number-{i}x") {{ accessToken }}'
        for i in range(8)
    )
    batch = await api.post(f"mutation {{ {guesses} }}")
    attempted_in_batch = len(batch["errors"])
    assert attempted_in_batch >= 1

    singles = []
    for _ in range(6):
        body = await api.post(LOGIN, {"email": "priya@example.in", "password": "Guess-again-123"})
        singles.append(error_code(body))
    # Whatever number of aliases ran, they used up the same allowance as separate requests.
    assert attempted_in_batch + singles.count("UNAUTHENTICATED") == 5
    assert singles[-1] == "RATE_LIMITED"


async def test_login_is_rate_limited_per_client_address(api: Api) -> None:
    codes = []
    for i in range(13):
        body = await api.post(LOGIN, {"email": f"user{i}@example.in", "password": "Whatever-123x"})
        codes.append(error_code(body))
    assert codes[:12] == ["UNAUTHENTICATED"] * 12
    assert codes[12] == "RATE_LIMITED"


@BOTH_BACKENDS
async def test_refresh_token_rotates_and_reuse_signs_out_everywhere(api: Api) -> None:
    first = await api.register()
    rotated = (await api.post(REFRESH, {"t": first["refreshToken"]}))["data"]["refreshToken"]
    assert "errors" not in await api.post(ME, token=rotated["accessToken"])
    # Past the two-tabs grace (tests/integration/test_sessions.py): a reuse is a leak.
    await RefreshToken.filter(used_at__isnull=False).update(
        used_at=datetime.now(UTC) - timedelta(minutes=1)
    )

    reused = await api.post(REFRESH, {"t": first["refreshToken"]})

    assert error_code(reused) == "UNAUTHENTICATED"
    assert error_code(await api.post(ME, token=rotated["accessToken"])) == "UNAUTHENTICATED"
    assert error_code(await api.post(REFRESH, {"t": rotated["refreshToken"]})) == "UNAUTHENTICATED"


@BOTH_BACKENDS
async def test_logout_revokes_every_token_of_the_user(api: Api) -> None:
    first = await api.register()
    second = (await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD}))[
        "data"
    ]["login"]

    assert (await api.post("mutation { logout }", token=first["accessToken"]))["data"]["logout"]

    assert error_code(await api.post(ME, token=second["accessToken"])) == "UNAUTHENTICATED"
    assert error_code(await api.post(REFRESH, {"t": second["refreshToken"]})) == "UNAUTHENTICATED"


def _claims(user_id: str, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": user_id,
        "typ": "access",
        "ver": 0,
        "jti": "8c7d1a3e-3f0e-4d59-9d7a-1b2c3d4e5f60",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return claims


async def test_forged_expired_and_unsigned_tokens_are_refused(api: Api, settings) -> None:
    user_id = str(row_id((await api.register())["user"]["id"]))
    secret = settings.jwt_secret
    past = datetime.now(UTC) - timedelta(hours=1)
    tokens = {
        "forged": jwt.encode(_claims(user_id), "another-secret-of-enough-length-000000", "HS256"),
        "expired": jwt.encode(
            _claims(user_id, iat=past, exp=past + timedelta(minutes=1)), secret, "HS256"
        ),
        "alg none": jwt.encode(_claims(user_id), None, algorithm="none"),
        "refresh as access": jwt.encode(_claims(user_id, typ="refresh"), secret, "HS256"),
        "other algorithm": jwt.encode(_claims(user_id), secret, "HS512"),
        "no exp": jwt.encode(
            {k: v for k, v in _claims(user_id).items() if k != "exp"}, secret, "HS256"
        ),
        "garbage": "not.a.token",
    }
    for name, token in tokens.items():
        body = await api.post(ME, token=token)
        assert error_code(body) == "UNAUTHENTICATED", name
    assert "expired" in (await api.post(ME, token=tokens["expired"]))["errors"][0]["message"]
    # The same claims, properly signed, do work: the refusals above are about the token.
    assert "errors" not in await api.post(ME, token=jwt.encode(_claims(user_id), secret, "HS256"))


async def test_access_token_is_refused_as_a_refresh_token(api: Api) -> None:
    payload = await api.register()
    assert error_code(await api.post(REFRESH, {"t": payload["accessToken"]})) == "UNAUTHENTICATED"


async def test_login_rehashes_a_password_hashed_with_old_parameters(api: Api) -> None:
    await api.register()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG_PASSWORD)
    await User.filter(email="priya@example.in").update(password_hash=weak)

    body = await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD})

    assert "errors" not in body
    stored = (await User.get(email="priya@example.in")).password_hash
    assert stored != weak
    assert not PasswordHasher().check_needs_rehash(stored)


async def test_deactivated_user_cannot_sign_in_or_use_old_tokens(api: Api) -> None:
    payload = await api.register()
    await User.filter(email="priya@example.in").update(is_active=False)

    assert error_code(await api.post(ME, token=payload["accessToken"])) == "UNAUTHENTICATED"
    body = await api.post(LOGIN, {"email": "priya@example.in", "password": STRONG_PASSWORD})
    assert error_code(body) == "UNAUTHENTICATED"
