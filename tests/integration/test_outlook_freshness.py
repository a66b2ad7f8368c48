"""The outlook's freshness is derived from the inputs it declares: a change to any of them
changes the fingerprint, and nothing else does."""

from __future__ import annotations

from datetime import date

from gql_server.models import IncomeSource, User
from gql_server.services.outlook import inputs
from tests.conftest import BOTH_BACKENDS, Api

DAY = date(2026, 12, 5)


def test_every_declared_table_is_in_the_fingerprint() -> None:
    for sqlite in (True, False):
        sql = inputs.fingerprint_sql(sqlite)
        for declared in inputs.INPUTS:
            if declared.of_user is None:
                assert f"FROM {declared.table} WHERE" in sql
                assert f"AS {declared.name}" in sql


@BOTH_BACKENDS
async def test_renaming_an_income_source_makes_the_outlook_stale(api: Api) -> None:
    await api.register()
    user = await User.get(email="priya@example.in")
    before = await inputs.fingerprint(user, DAY)
    assert await inputs.fingerprint(user, DAY) == before  # nothing changed, nothing moves

    source = await IncomeSource.create(user_id=user.id, name="Acme")
    added = await inputs.fingerprint(user, DAY)
    source.name = "Acme Studios"  # the insights name their sources
    await source.save()
    renamed = await inputs.fingerprint(user, DAY)

    assert len({before, added, renamed}) == 3
    assert await inputs.fingerprint(user, date(2026, 12, 6)) != renamed  # a new day
