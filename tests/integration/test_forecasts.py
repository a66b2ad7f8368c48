"""Forecasts and features through GraphQL: computed off the loop, stored, reused, refreshed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from gql_server.models import StoredOutlook, User
from tests.conftest import BOTH_BACKENDS, Api, error_code, sql_statements
from tests.factories import give_generated_history

FORECASTS = """{ forecasts { horizonDays asOf expectedInflow expectedOutflow expectedNet inflowLow
  inflowHigh outflowLow outflowHigh netLow netHigh projectedMinBalance shortfallProbability
  riskLevel riskScore model lowConfidence backtestMase intervalCoverage
  calibration { method coverage80 sampleSize } generatedAt } }"""
RISK = "query($h: Int!) { forecast(horizonDays: $h) { riskLevel riskScore } }"
ONE = "query($h: Int!) { forecast(horizonDays: $h) { horizonDays riskLevel generatedAt } }"


async def _me() -> User:
    return await User.get(email="priya@example.in")


@BOTH_BACKENDS
async def test_three_horizons_with_honest_intervals_from_a_two_year_history(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=3, pattern="moderate")

    body = await api.post(FORECASTS)

    forecasts = body["data"]["forecasts"]
    assert [f["horizonDays"] for f in forecasts] == [7, 30, 60]
    for f in forecasts:
        low, mid, high = (Decimal(f[k]) for k in ("inflowLow", "expectedInflow", "inflowHigh"))
        assert low <= mid <= high
        low, mid, high = (Decimal(f[k]) for k in ("outflowLow", "expectedOutflow", "outflowHigh"))
        assert 0 <= low <= mid <= high
        assert Decimal(f["netLow"]) <= Decimal(f["expectedNet"]) <= Decimal(f["netHigh"])
        assert 0 <= f["shortfallProbability"] <= 1
        assert 0 <= f["riskScore"] <= 1
        assert f["lowConfidence"] is False
        assert f["backtestMase"] is not None
        calibration = f["calibration"]
        assert calibration["method"] == "CONFORMAL"
        assert 0 <= calibration["coverage80"] <= 1
        assert calibration["sampleSize"] >= 2  # inflow and outflow at one earlier date or more
    thirty = forecasts[1]
    assert Decimal(thirty["expectedInflow"]) > 0
    assert thirty["expectedInflow"].count(".") == 1  # a decimal string, never a float
    assert Decimal(forecasts[2]["inflowHigh"]) > Decimal(forecasts[0]["inflowHigh"])


async def test_a_new_user_gets_a_labelled_low_confidence_forecast(api: Api) -> None:
    await api.register()
    body = await api.post(FORECASTS)
    assert "errors" not in body, body
    assert all(f["lowConfidence"] for f in body["data"]["forecasts"])
    for f in body["data"]["forecasts"]:
        assert f["calibration"] == {"method": "NONE", "coverage80": None, "sampleSize": 0}
    assert body["data"]["forecasts"][0]["model"] == "insufficient_history"


@pytest.mark.parametrize("horizon", [0, 14, 90, -7])
async def test_other_horizons_are_bad_user_input(api: Api, horizon: int) -> None:
    await api.register()
    body = await api.post(ONE, {"h": horizon})
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "horizonDays"


async def test_forecasts_are_reused_until_the_ledger_changes(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=4, pattern="stable", days=200)

    first = (await api.post(ONE, {"h": 30}))["data"]["forecast"]
    again = (await api.post(ONE, {"h": 30}))["data"]["forecast"]
    await api.post(
        """mutation { createTransaction(input: {occurredAt: "2026-11-20T10:00:00+05:30",
           amount: "25000.00", direction: EXPENSE, merchant: "Croma"}) { id } }"""
    )
    changed = (await api.post(ONE, {"h": 30}))["data"]["forecast"]
    refreshed = (await api.post("mutation { refreshForecasts { generatedAt } }"))["data"]

    assert again["generatedAt"] == first["generatedAt"]
    assert changed["generatedAt"] != first["generatedAt"]
    assert refreshed["refreshForecasts"][0]["generatedAt"] != changed["generatedAt"]


async def test_concurrent_requests_share_one_computation(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=5, pattern="volatile", days=300)

    bodies = await asyncio.gather(*(api.post(ONE, {"h": 7}) for _ in range(6)))

    assert len({b["data"]["forecast"]["generatedAt"] for b in bodies}) == 1
    assert await StoredOutlook.all().count() == 1


async def test_features_are_named_described_and_match_the_ledger(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=6, pattern="stable", days=400)

    body = await api.post("{ features { asOf values { name value description } } }")
    values = {f["name"]: f for f in body["data"]["features"]["values"]}

    assert len(values) >= 26
    assert all(f["description"] for f in values.values())
    assert values["income_cv"]["value"] < 0.25  # a stable earner
    assert values["months_of_history"]["value"] == pytest.approx(400 / 30.44, abs=0.2)
    nested = await api.post(
        "{ me { features { values { name } } forecast(horizonDays: 7) { "
        "horizonDays } forecasts { horizonDays } } }"
    )
    assert nested["data"]["me"]["forecast"]["horizonDays"] == 7


async def test_risk_separates_a_stable_saver_from_a_declining_earner(api: Api) -> None:
    await api.register()
    me = await _me()
    await give_generated_history(me.id, seed=8, pattern="stable")
    stable = (await api.post(RISK, {"h": 30}))["data"]["forecast"]
    await give_generated_history(me.id, seed=8, pattern="declining")
    declining = (await api.post(RISK, {"h": 30}))["data"]["forecast"]

    assert stable["riskLevel"] == "LOW"
    assert declining["riskLevel"] in ("MEDIUM", "HIGH")
    assert declining["riskScore"] > stable["riskScore"] + 0.2


async def test_a_dashboard_checks_the_caller_and_reads_the_outlook_and_buffer_once(
    api: Api,
) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=4, pattern="stable", days=200)
    dashboard = """{ me { email } forecasts { expectedNet } features { asOf }
      insights(first: 3) { title } buffer { balance } smoothingPlan { monthlyPaycheck }
      recurringItems { merchant } }"""
    assert "errors" not in await api.post(dashboard)  # computed and stored once

    with sql_statements() as sql:
        body = await api.post(dashboard)

    assert "errors" not in body
    callers = [s for s in sql if 'FROM "app_user"' in s or "FROM app_user" in s]
    fingerprints = [s for s in sql if "MAX(updated_at)" in s]
    buffers = [s for s in sql if 'FROM "buffer"' in s]
    assert len(callers) == 1, callers  # one token check for seven fields
    assert len(fingerprints) == 1, fingerprints  # one freshness check of the outlook
    assert len(buffers) == 1, buffers  # one buffer read for the buffer and the plan
