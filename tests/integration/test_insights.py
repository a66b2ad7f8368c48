"""Insights through GraphQL: backed by numbers, most important first, fresh after a change."""

from __future__ import annotations

import re

import pytest

from gql_server.models import User
from tests.conftest import BOTH_BACKENDS, Api, error_code
from tests.factories import give_generated_history

INSIGHTS = """query($n: Int) { insights(first: $n) { id kind severity title message metrics
  period { start end } createdAt } }"""
SEVERITY_RANK = {"CRITICAL": 3, "WARNING": 2, "POSITIVE": 1, "INFO": 0}


async def _history(pattern: str, seed: int) -> None:
    user = await User.get(email="priya@example.in")
    await give_generated_history(user.id, seed=seed, pattern=pattern)


@BOTH_BACKENDS
async def test_a_growing_earner_is_told_of_the_trend_with_its_numbers(api: Api) -> None:
    await api.register()
    await _history("growing", seed=7)

    insights = (await api.post(INSIGHTS, {"n": 20}))["data"]["insights"]

    trend = next(i for i in insights if i["kind"] == "income_trend")
    assert trend["severity"] == "POSITIVE"
    assert f"{round(trend['metrics']['change_pct'])}%" in trend["title"]
    assert trend["metrics"]["p_value"] < 0.05
    assert trend["period"]["start"] < trend["period"]["end"]
    ranks = [SEVERITY_RANK[i["severity"]] for i in insights]
    assert ranks == sorted(ranks, reverse=True)


async def test_amounts_are_written_the_indian_way(api: Api) -> None:
    await api.register()
    await _history("volatile", seed=11)
    insights = (await api.post(INSIGHTS, {"n": 20}))["data"]["insights"]
    amounts = [a for i in insights for a in re.findall(r"₹\d[\d,]*\d|₹\d", i["message"])]
    assert amounts
    for amount in amounts:
        digits = amount[1:]
        if len(digits.replace(",", "")) > 5:  # lakhs: groups of two after the thousands
            assert re.fullmatch(r"\d{1,2}(,\d{2})+,\d{3}", digits), amount


async def test_a_new_user_gets_no_error_and_at_most_plain_insights(api: Api) -> None:
    await api.register()
    body = await api.post(INSIGHTS, {"n": 10})
    assert "errors" not in body, body
    assert all(i["severity"] != "CRITICAL" for i in body["data"]["insights"])


async def test_insights_are_recomputed_when_the_data_changes(api: Api) -> None:
    await api.register()
    await _history("stable", seed=5)
    before = (await api.post(INSIGHTS, {"n": 5}))["data"]["insights"]
    await api.post(
        """mutation { createTransaction(input: {occurredAt: "2026-11-24T10:00:00+05:30",
           amount: "90000.00", direction: EXPENSE, merchant: "Croma"}) { id } }"""
    )
    after = (await api.post(INSIGHTS, {"n": 5}))["data"]["insights"]
    nested = (await api.post("{ me { insights(first: 5) { id } } }"))["data"]["me"]["insights"]

    assert before
    assert after
    assert after[0]["createdAt"] != before[0]["createdAt"]
    assert [i["id"] for i in nested] == [i["id"] for i in after]


@pytest.mark.parametrize("n", [0, 51, -1])
async def test_first_is_bounded(api: Api, n: int) -> None:
    await api.register()
    assert error_code(await api.post(INSIGHTS, {"n": n})) == "BAD_USER_INPUT"
