"""Sessions: one per sign-in, continued by each refresh, listed with when they started, when
they were last used and by which client, ended one at a time; two tabs refreshing the same
token together do not sign the user out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gql_server.models import RefreshToken, User
from tests.conftest import BOTH_BACKENDS, STRONG_PASSWORD, Api, error_code

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
SESSIONS = "{ sessions { id createdAt lastUsedAt userAgent current } }"
REVOKE = "mutation($id: ID!) { revokeSession(id: $id) }"


async def _login(api: Api, agent: str) -> dict:
    response = await api.client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"e": "priya@example.in", "p": STRONG_PASSWORD}},
        headers={"user-agent": agent},
    )
    return response.json()["data"]["login"]


@BOTH_BACKENDS
async def test_sessions_are_listed_refreshed_and_ended_one_at_a_time(api: Api) -> None:
    await api.register()
    phone = await _login(api, "GigCash/2.1 (Android 14)")
    laptop = await _login(api, "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")

    listed = (await api.post(SESSIONS, token=laptop["accessToken"]))["data"]["sessions"]
    assert len(listed) == 3  # the registration's, the phone's and the laptop's
    current = [s for s in listed if s["current"]]
    assert [s["userAgent"] for s in current] == ["Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"]

    # A refresh continues its session: same id, a later use.
    refreshed = await api.client.post(
        "/graphql",
        json={"query": REFRESH, "variables": {"t": phone["refreshToken"]}},
        headers={"user-agent": "GigCash/2.2 (Android 14)"},
    )
    phone = refreshed.json()["data"]["refreshToken"]
    after = (await api.post(SESSIONS, token=laptop["accessToken"]))["data"]["sessions"]
    assert {s["id"] for s in after} == {s["id"] for s in listed}
    phone_session = next(s for s in after if s["userAgent"] == "GigCash/2.2 (Android 14)")

    # Ending the phone's session: it cannot refresh; the laptop's goes on.
    assert (await api.post(REVOKE, {"id": phone_session["id"]}, token=laptop["accessToken"]))[
        "data"
    ]["revokeSession"]
    assert error_code(await api.post(REFRESH, {"t": phone["refreshToken"]})) == "UNAUTHENTICATED"
    left = (await api.post(SESSIONS, token=laptop["accessToken"]))["data"]["sessions"]
    assert phone_session["id"] not in {s["id"] for s in left}
    assert "errors" not in await api.post(REFRESH, {"t": laptop["refreshToken"]})

    for bad in (phone_session["id"], "not-a-session"):
        body = await api.post(REVOKE, {"id": bad}, token=laptop["accessToken"])
        assert error_code(body) == "NOT_FOUND"


@BOTH_BACKENDS
async def test_two_tabs_refreshing_together_stay_signed_in(api: Api) -> None:
    """The same refresh token presented twice within seconds (two tabs) gets two pairs;
    presented again later, it is a leaked token: every session ends."""
    first = await api.register()
    one = await api.post(REFRESH, {"t": first["refreshToken"]})
    two = await api.post(REFRESH, {"t": first["refreshToken"]})
    assert "errors" not in one, one
    assert "errors" not in two, two
    assert (await api.post("{ me { email } }", token=two["data"]["refreshToken"]["accessToken"]))[
        "data"
    ]["me"]

    spent = two["data"]["refreshToken"]["refreshToken"]
    assert "errors" not in await api.post(REFRESH, {"t": spent})
    await RefreshToken.filter(used_at__isnull=False).update(
        used_at=datetime.now(UTC) - timedelta(minutes=5)
    )
    replayed = await api.post(REFRESH, {"t": spent})
    assert error_code(replayed) == "UNAUTHENTICATED"
    assert "signed out" in replayed["errors"][0]["message"]
    token = one["data"]["refreshToken"]["accessToken"]
    assert error_code(await api.post("{ me { email } }", token=token)) == "UNAUTHENTICATED"


@BOTH_BACKENDS
async def test_an_ended_sessions_token_can_neither_export_nor_erase(api: Api) -> None:
    """An access token of a session ended by revokeSession lives out its lifetime for reads,
    but not for taking all of the account's data or erasing it."""
    await api.register()
    phone = await _login(api, "GigCash/2.1 (Android 14)")
    laptop = await _login(api, "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
    listed = (await api.post(SESSIONS, token=laptop["accessToken"]))["data"]["sessions"]
    phone_session = next(s for s in listed if s["userAgent"] == "GigCash/2.1 (Android 14)")
    await api.post(REVOKE, {"id": phone_session["id"]}, token=laptop["accessToken"])

    stolen = phone["accessToken"]
    export = await api.post("{ exportMyData { generatedAt } }", token=stolen)
    assert error_code(export) == "UNAUTHENTICATED"
    download = await api.client.get("/export", headers={"authorization": f"Bearer {stolen}"})
    assert download.status_code == 401
    erase = await api.post(
        "mutation($p: String!) { deleteAccount(password: $p) }", {"p": STRONG_PASSWORD}, stolen
    )
    assert error_code(erase) == "UNAUTHENTICATED"
    assert await User.filter(email="priya@example.in").exists()
    # The live session still can.
    assert "errors" not in await api.post(
        "{ exportMyData { generatedAt } }", token=laptop["accessToken"]
    )


@BOTH_BACKENDS
async def test_the_grace_is_once_a_third_presentation_counts_as_leaked(api: Api) -> None:
    """Replaying a spent token within the seconds of grace must not mint pair after pair."""
    first = await api.register()
    assert "errors" not in await api.post(REFRESH, {"t": first["refreshToken"]})
    second = await api.post(REFRESH, {"t": first["refreshToken"]})
    assert "errors" not in second, second
    third = await api.post(REFRESH, {"t": first["refreshToken"]})
    assert error_code(third) == "UNAUTHENTICATED"
    assert "signed out" in third["errors"][0]["message"]
    token = second["data"]["refreshToken"]["accessToken"]
    assert error_code(await api.post("{ me { email } }", token=token)) == "UNAUTHENTICATED"
