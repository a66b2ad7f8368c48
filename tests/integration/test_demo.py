"""The demo account `./dev demo` gives a newcomer: a history, a buffer, and it signs in."""

from __future__ import annotations

from gql_server.models import Buffer, Transaction, User
from gql_server.services.demo import ensure_demo_data
from gql_server.settings import Settings
from tests.conftest import BOTH_BACKENDS, Api


@BOTH_BACKENDS
async def test_the_demo_user_has_data_signs_in_and_is_made_once(api: Api, settings: Settings):
    first = await ensure_demo_data(settings)
    again = await ensure_demo_data(settings)

    assert first.id == again.id
    assert await User.filter(email=settings.demo_email).count() == 1
    assert await Transaction.filter(user_id=first.id).count() > 300
    assert (await Buffer.get(user_id=first.id)).balance > 0
    login = await api.post(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        {"e": settings.demo_email, "p": settings.demo_password},
    )
    assert login["data"]["login"]["accessToken"]
