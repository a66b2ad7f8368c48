"""Changing a password: the current one checked, every other session ended, fresh tokens for
the caller; bad input changes nothing. And `create-admin` on an existing account ends its
sessions."""

from __future__ import annotations

from gql_server.models import User
from gql_server.services import accounts
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code

CHANGE = """mutation($c: String!, $n: String!) { changePassword(currentPassword: $c,
  newPassword: $n) { accessToken refreshToken } }"""
ME = "{ me { email } }"
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken } }"""
NEW_PASSWORD = "Tamarind-lantern-harbour-77"


def reason(body: dict) -> str:
    return body["errors"][0]["extensions"].get("reason", "")


@BOTH_BACKENDS
async def test_a_new_password_ends_every_other_session(api: Api) -> None:
    first = await api.register()
    other_tab = await api.post(LOGIN, {"e": "priya@example.in", "p": STRONG_PASSWORD})
    other_token = other_tab["data"]["login"]["accessToken"]

    body = await api.post(CHANGE, {"c": STRONG_PASSWORD, "n": NEW_PASSWORD})
    fresh = body["data"]["changePassword"]

    assert (await api.post(ME, token=fresh["accessToken"]))["data"]["me"]["email"]
    for token in (first["accessToken"], other_token):
        assert error_code(await api.post(ME, token=token)) == "UNAUTHENTICATED"
    stale_refresh = await api.post(REFRESH, {"t": first["refreshToken"]})
    assert error_code(stale_refresh) == "UNAUTHENTICATED"
    assert "errors" not in await api.post(REFRESH, {"t": fresh["refreshToken"]})
    old = await api.post(LOGIN, {"e": "priya@example.in", "p": STRONG_PASSWORD})
    assert error_code(old) == "UNAUTHENTICATED"
    new = await api.post(LOGIN, {"e": "priya@example.in", "p": NEW_PASSWORD})
    assert "errors" not in new, new


@BOTH_BACKENDS
async def test_bad_password_changes_are_coded_and_change_nothing(api: Api) -> None:
    await api.register()
    before = (await User.get(email="priya@example.in")).password_hash
    cases = [
        ({"c": "Not-my-password-at-all-9", "n": NEW_PASSWORD}, "WRONG_PASSWORD"),
        ({"c": STRONG_PASSWORD, "n": STRONG_PASSWORD}, "SAME_PASSWORD"),
        ({"c": STRONG_PASSWORD, "n": "password123"}, "WEAK_PASSWORD"),
        ({"c": STRONG_PASSWORD, "n": "priya@example.in"}, "WEAK_PASSWORD"),
    ]
    for variables, why in cases:
        body = await api.post(CHANGE, variables)
        assert error_code(body) == "BAD_USER_INPUT", body
        assert reason(body) == why, body
    user = await User.get(email="priya@example.in")
    assert user.password_hash == before
    assert (await api.post(ME))["data"]["me"]["email"] == "priya@example.in"


async def test_guessing_the_current_password_is_rate_limited(api: Api) -> None:
    """A stolen access token must not become a way to find the password."""
    await api.register()
    codes = []
    for k in range(8):
        body = await api.post(CHANGE, {"c": f"Guess-number-{k}-wrong", "n": NEW_PASSWORD})
        codes.append(error_code(body))
    assert codes[:5] == ["BAD_USER_INPUT"] * 5
    assert codes[-1] == "RATE_LIMITED"


async def test_a_revoked_token_cannot_change_the_password(api: Api) -> None:
    first = await api.register()
    await api.post("mutation { logout }")
    body = await api.post(
        CHANGE, {"c": STRONG_PASSWORD, "n": NEW_PASSWORD}, token=first["accessToken"]
    )
    assert error_code(body) == "UNAUTHENTICATED"


async def test_create_admin_on_an_existing_account_ends_its_sessions(api: Api) -> None:
    """Promoting (and resetting) an account left its old sessions alive, with the new role."""
    first = await api.register()
    await accounts.create_admin("priya@example.in", NEW_PASSWORD)
    assert error_code(await api.post(ME, token=first["accessToken"])) == "UNAUTHENTICATED"
    assert error_code(await api.post(REFRESH, {"t": first["refreshToken"]})) == "UNAUTHENTICATED"
