"""Known money ahead through GraphQL: recurring items, the forecast built on them, what-if
scenarios and the balance fan."""

from __future__ import annotations

import asyncio
import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gql_server import clock
from gql_server.models import RecurringItem, StoredOutlook, Transaction, User
from tests.conftest import BOTH_BACKENDS, Api, error_code
from tests.factories import give_generated_history, make_source, make_transactions, make_user

ITEMS = """query($status: RecurringStatus) { recurringItems(status: $status) { id merchant
  category direction amount cadence intervalDays dayOfMonth nextDate lastDate occurrences
  confidence source status } }"""
DECLARE = """mutation($input: RecurringItemInput!) { declareRecurringItem(input: $input) {
  id merchant category direction amount cadence intervalDays dayOfMonth nextDate source status
  incomeSource { id } } }"""
UPDATE = """mutation($id: ID!, $input: RecurringItemPatch!) { updateRecurringItem(id: $id,
  input: $input) { id amount cadence dayOfMonth intervalDays nextDate source status } }"""
DISMISS = "mutation($id: ID!) { dismissRecurringItem(id: $id) { id status } }"
FORECAST = """query($h: Int!, $s: ScenarioInput) { forecast(horizonDays: $h, scenario: $s) {
  horizonDays asOf expectedInflow expectedOutflow expectedNet inflowLow inflowHigh netLow
  netHigh projectedMinBalance shortfallProbability riskLevel riskScore generatedAt } }"""
FAN = """query($h: Int!, $s: ScenarioInput) { balanceForecast(horizonDays: $h, scenario: $s) {
  date p10 p50 p90 } }"""
NEWEST = "{ transactions(first: 1) { edges { node { occurredAt } } } }"
INSIGHTS = "{ insights(first: 20) { kind severity title message metrics } }"
INDIA = ZoneInfo("Asia/Kolkata")


def _today() -> date:
    return clock.today(INDIA)


async def _me() -> User:
    return await User.get(email="priya@example.in")


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def _steady_spender(user: User, days: int = 70, opening: str = "30000.00") -> None:
    """A short, calm history: ₹300 of groceries every day and nothing else."""
    await User.filter(id=user.id).update(opening_balance=Decimal(opening))
    start = clock.now().replace(hour=5, minute=0, second=0, microsecond=0)
    start -= timedelta(days=days)
    rows = [
        Transaction(
            user_id=user.id,
            occurred_at=start + timedelta(days=k),
            amount=Decimal("300.00"),
            direction="expense",
            category="Groceries",
            merchant="BigBasket",
        )
        for k in range(days)
    ]
    await Transaction.bulk_create(rows)
    from tortoise.transactions import in_transaction

    from gql_server.services.balances import recompute_balances

    async with in_transaction() as connection:
        await recompute_balances(user.id, start, connection)


def _rent_input(on: date, amount: str = "18000.00", **extra: Any) -> dict[str, Any]:
    return {
        "merchant": "Sharma Properties",
        "category": "Rent",
        "direction": "EXPENSE",
        "amount": amount,
        "cadence": "MONTHLY",
        "dayOfMonth": on.day,
        "nextDate": on.isoformat(),
        **extra,
    }


@BOTH_BACKENDS
async def test_rent_emis_and_bills_are_detected_from_a_generated_history(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=7, pattern="stable")

    items = _data(await api.post(ITEMS))

    rent = [i for i in items if i["category"] == "Rent"]
    assert len(rent) == 1, items
    assert (rent[0]["cadence"], rent[0]["source"], rent[0]["direction"]) == (
        "MONTHLY",
        "DETECTED",
        "EXPENSE",
    )
    assert Decimal(rent[0]["amount"]) > 1000
    assert 1 <= rent[0]["dayOfMonth"] <= 31
    assert rent[0]["occurrences"] >= 3
    assert any(i["category"] == "EMI" or "EMI" in i["merchant"] for i in items), items
    assert all(date.fromisoformat(i["nextDate"]) >= _today() for i in items)
    assert [i["nextDate"] for i in items] == sorted(i["nextDate"] for i in items)
    assert all(0 < i["confidence"] <= 1 for i in items)


async def test_a_dismissed_detection_stays_dismissed_when_the_outlook_is_recomputed(
    api: Api,
) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=7, pattern="stable")
    rent = next(i for i in _data(await api.post(ITEMS)) if i["category"] == "Rent")

    dismissed = _data(await api.post(DISMISS, {"id": rent["id"]}))
    await api.post("mutation { refreshForecasts { horizonDays } }")
    await api.post(
        """mutation { createTransaction(input: {occurredAt: "2026-11-20T10:00:00+05:30",
           amount: "250.00", direction: EXPENSE, merchant: "Chai Point"}) { id } }"""
    )
    active = _data(await api.post(ITEMS, {"status": "ACTIVE"}))
    everything = _data(await api.post(ITEMS))

    assert dismissed == {"id": rent["id"], "status": "DISMISSED"}
    assert all(i["category"] != "Rent" for i in active)
    assert [i["status"] for i in everything if i["id"] == rent["id"]] == ["DISMISSED"]


async def test_a_declared_item_wins_over_the_detection_of_the_same_counterparty(
    api: Api,
) -> None:
    await api.register()
    me = await _me()
    await give_generated_history(me.id, seed=7, pattern="stable")
    rent = next(i for i in _data(await api.post(ITEMS)) if i["category"] == "Rent")
    payee = (
        await Transaction.filter(user_id=me.id, category="Rent").order_by("-occurred_at").first()
    )
    assert payee is not None
    on = _today() + timedelta(days=3)

    declared = _data(
        await api.post(
            DECLARE,
            {"input": {**_rent_input(on, "21500.00"), "merchant": f"  {payee.merchant.upper()} "}},
        )
    )
    items = _data(await api.post(ITEMS))

    rents = [i for i in items if i["category"] == "Rent"]
    assert [(i["id"], i["source"], i["amount"]) for i in rents] == [
        (declared["id"], "DECLARED", "21500.00")
    ]
    assert rent["id"] not in {i["id"] for i in items}


async def test_declared_rent_lands_on_its_day_in_the_forecast_and_the_fan(api: Api) -> None:
    await api.register()
    await _steady_spender(await _me())
    on = _today() + timedelta(days=5)
    before = _data(await api.post(FAN, {"h": 7}))

    _data(await api.post(DECLARE, {"input": _rent_input(on)}))
    after = _data(await api.post(FAN, {"h": 7}))
    forecast = _data(await api.post(FORECAST, {"h": 7}))

    assert [row["date"] for row in after] == [  # from today: the history ends yesterday
        (_today() + timedelta(days=k)).isoformat() for k in range(7)
    ]
    drop = [Decimal(b["p50"]) - Decimal(a["p50"]) for a, b in zip(after, before, strict=True)]
    assert drop[:5] == [Decimal("0.00")] * 5  # the same paths before the rent's day
    assert all(d == Decimal("18000.00") for d in drop[5:])  # ... and exactly the rent after
    assert Decimal(forecast["expectedOutflow"]) > Decimal("18000")
    for row in after:
        assert Decimal(row["p10"]) <= Decimal(row["p50"]) <= Decimal(row["p90"])


async def test_the_shortfall_insight_names_the_rent_and_its_day(api: Api) -> None:
    await api.register()
    await _steady_spender(await _me(), opening="34000.00")  # about ₹13,000 left today
    on = _today() + timedelta(days=6)
    _data(await api.post(DECLARE, {"input": _rent_input(on)}))

    insights = _data(await api.post(INSIGHTS))

    shortfall = next(i for i in insights if i["kind"] == "upcoming_shortfall")
    when = f"{on.day} {calendar.month_abbr[on.month]}"
    assert shortfall["title"] == f"Rent of ₹18,000 on {when} may take your balance below zero"
    assert shortfall["message"].startswith(f"Rent (Sharma Properties) of ₹18,000 on {when}")
    assert shortfall["metrics"]["item_date"] == on.isoformat()
    assert shortfall["metrics"]["item_probability_pct"] >= 90
    assert shortfall["severity"] == "CRITICAL"


@BOTH_BACKENDS
async def test_a_one_off_purchase_lowers_the_fan_by_its_amount_from_its_day(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=8, pattern="moderate", days=400)
    on = _today() + timedelta(days=10)
    laptop = {"oneOffExpenses": [{"amount": "60000.00", "on": on.isoformat(), "note": "Laptop"}]}
    stored = await StoredOutlook.get_or_none(user__email="priya@example.in")
    plain = _data(await api.post(FAN, {"h": 30}))
    stored = await StoredOutlook.get(user__email="priya@example.in")

    what_if = _data(await api.post(FAN, {"h": 30, "s": laptop}))
    forecast = _data(await api.post(FORECAST, {"h": 30, "s": laptop}))
    base = _data(await api.post(FORECAST, {"h": 30}))

    drop = [Decimal(a["p50"]) - Decimal(b["p50"]) for a, b in zip(plain, what_if, strict=True)]
    assert drop[:10] == [Decimal("0.00")] * 10  # the fan starts today
    assert drop[10:] == [Decimal("60000.00")] * 20
    assert Decimal(base["expectedOutflow"]) + 60000 - Decimal(
        forecast["expectedOutflow"]
    ) <= Decimal("0.01")
    assert forecast["shortfallProbability"] >= base["shortfallProbability"]
    after = await StoredOutlook.get(user__email="priya@example.in")
    assert after.generated_at == stored.generated_at  # a what-if is never stored
    assert after.horizons == stored.horizons


async def test_a_scenario_that_changes_nothing_reproduces_the_stored_forecast(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=9, pattern="volatile", days=300)
    stored = _data(await api.post(FORECAST, {"h": 60}))

    same = _data(await api.post(FORECAST, {"h": 60, "s": {"incomeChangePercent": 0}}))
    assert same["generatedAt"] != stored["generatedAt"]  # computed now, not read back
    del same["generatedAt"], stored["generatedAt"]
    assert same == stored


async def test_losing_the_biggest_client_and_earning_less_cut_the_expected_income(
    api: Api,
) -> None:
    await api.register()
    me = await _me()
    big, small = await make_source(me.id, "Acme Studio"), await make_source(me.id, "Tiny Co")
    start = clock.now() - timedelta(days=300)
    await make_transactions(
        me.id, 1000, start=start, step=timedelta(hours=7), source_ids=[big.id, big.id, small.id]
    )
    base = _data(await api.post(FORECAST, {"h": 30}))

    lost = _data(await api.post(FORECAST, {"h": 30, "s": {"dropIncomeSources": [str(big.id)]}}))
    halved = _data(await api.post(FORECAST, {"h": 30, "s": {"incomeChangePercent": -50}}))
    rent = _data(await api.post(FORECAST, {"h": 30, "s": {"extraMonthlyExpense": "9000.00"}}))

    income = Decimal(base["expectedInflow"])
    # The big client paid two thirds of the income. The model is refitted on the last third and
    # may pick another candidate, so the cut is not exactly proportional: under the old
    # unpinned clock this test passed or failed with the hour it ran at (0.56-0.60 of the base
    # at midnight and noon, under 0.5 at 06:00, 18:00 and 21:00).
    assert Decimal(lost["expectedInflow"]) < Decimal("0.7") * income
    assert abs(Decimal(halved["expectedInflow"]) - income / 2) <= Decimal("0.02")
    extra = Decimal(rent["expectedOutflow"]) - Decimal(base["expectedOutflow"])
    assert abs(extra - Decimal("9000") * 30 / Decimal("30.4375")) <= Decimal("0.05")


@pytest.mark.parametrize(
    ("scenario", "field"),
    [
        ({"incomeChangePercent": 501}, "scenario.incomeChangePercent"),
        ({"incomeChangePercent": -100.5}, "scenario.incomeChangePercent"),
        ({"extraMonthlyExpense": "0"}, "scenario.extraMonthlyExpense"),
        ({"extraMonthlyExpense": "10.001"}, "scenario.extraMonthlyExpense"),
        ({"oneOffExpenses": [{"amount": "-5", "on": "TOMORROW"}]}, "amount"),
        ({"oneOffExpenses": [{"amount": "100.123", "on": "TOMORROW"}]}, "amount"),
        ({"oneOffExpenses": [{"amount": "100", "on": "YESTERDAY"}]}, "on"),
        ({"oneOffExpenses": [{"amount": "100", "on": "BEYOND"}]}, "on"),
    ],
)
async def test_bad_scenarios_are_refused_naming_the_field(
    api: Api, scenario: dict[str, Any], field: str
) -> None:
    await api.register()
    days = {"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1, "BEYOND": 31}
    for one_off in scenario.get("oneOffExpenses", []):
        one_off["on"] = (_today() + timedelta(days=days[one_off["on"]])).isoformat()

    body = await api.post(FORECAST, {"h": 30, "s": scenario})
    fan = await api.post(FAN, {"h": 30, "s": scenario})

    assert error_code(body) == error_code(fan) == "BAD_USER_INPUT"
    named = body["errors"][0]["extensions"]["field"]
    assert named == field or named == f"scenario.oneOffExpenses[0].{field}"
    assert await StoredOutlook.all().count() == 0  # refused before any work


async def test_another_users_income_source_in_a_scenario_is_not_found(api: Api) -> None:
    await api.register()
    other = await make_user()
    theirs = await make_source(other.id, "Their client")

    body = await api.post(FORECAST, {"h": 7, "s": {"dropIncomeSources": [str(theirs.id)]}})
    junk = await api.post(FORECAST, {"h": 7, "s": {"dropIncomeSources": ["abc"]}})

    assert error_code(body) == error_code(junk) == "NOT_FOUND"
    assert body["errors"][0]["extensions"]["field"] == "scenario.dropIncomeSources[0]"
    assert body["errors"][0]["message"] == junk["errors"][0]["message"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dayOfMonth": 32}, "dayOfMonth"),
        ({"dayOfMonth": 0}, "dayOfMonth"),
        ({"intervalDays": 30}, "intervalDays"),
        ({"cadence": "WEEKLY", "dayOfMonth": None, "intervalDays": 5}, "intervalDays"),
        ({"cadence": "EVERY_N_DAYS", "dayOfMonth": None}, "intervalDays"),
        ({"cadence": "EVERY_N_DAYS", "dayOfMonth": None, "intervalDays": 400}, "intervalDays"),
        ({"dayOfMonth": 3, "nextDate": "2030-01-04"}, "nextDate"),
        ({"nextDate": "2020-01-01", "dayOfMonth": 1}, "nextDate"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"merchant": "   "}, "merchant"),
    ],
)
async def test_impossible_declarations_are_refused_and_nothing_is_stored(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    await api.register()
    body = await api.post(DECLARE, {"input": {**_rent_input(_today()), **changes}})
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert await RecurringItem.all().count() == 0


async def test_day_31_lands_on_the_last_day_of_every_month(api: Api) -> None:
    await api.register()
    rent = {**_rent_input(_today()), "dayOfMonth": 31}
    del rent["nextDate"]

    item = _data(await api.post(DECLARE, {"input": rent}))

    today = _today()
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    assert item["dayOfMonth"] == 31
    assert item["nextDate"] == last.isoformat()  # 30 Nov, 28 Feb ...


async def test_an_edit_makes_a_detection_the_users_and_other_users_items_are_not_found(
    api: Api,
) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=7, pattern="stable")
    rent = next(i for i in _data(await api.post(ITEMS)) if i["category"] == "Rent")
    other = await make_user()
    theirs = await RecurringItem.create(
        user_id=other.id,
        merchant="Landlord",
        counterparty="landlord",
        category="Rent",
        direction="expense",
        amount=Decimal("5000.00"),
        cadence="MONTHLY",
        day_of_month=1,
        next_date=_today(),
        source="DECLARED",
    )

    edited = _data(await api.post(UPDATE, {"id": rent["id"], "input": {"amount": "19999.00"}}))
    stolen = await api.post(UPDATE, {"id": str(theirs.id), "input": {"amount": "1.00"}})
    hidden = await api.post(DISMISS, {"id": str(theirs.id)})

    assert (edited["source"], edited["amount"]) == ("DECLARED", "19999.00")
    assert edited["nextDate"] == rent["nextDate"]
    assert error_code(stolen) == error_code(hidden) == "NOT_FOUND"
    await theirs.refresh_from_db()
    assert (theirs.amount, theirs.status) == (Decimal("5000.00"), "ACTIVE")


async def test_exclude_from_forecast_overrides_the_outlier_rule_both_ways(api: Api) -> None:
    await api.register()
    await give_generated_history((await _me()).id, seed=6, pattern="stable", days=300)
    when = (clock.now() - timedelta(days=20)).isoformat()
    laptop = _data(
        await api.post(
            """mutation($at: DateTime!) { createTransaction(input: {occurredAt: $at,
               amount: "95000.00", direction: EXPENSE, merchant: "Croma"}) { id } }""",
            {"at": when},
        )
    )["id"]
    patch = """mutation($id: ID!, $x: Boolean) { updateTransaction(id: $id,
        input: {excludeFromForecast: $x}) { id excludeFromForecast } }"""
    automatic = _data(await api.post(FORECAST, {"h": 30}))
    kept_out = "{ forecast(horizonDays: 30) { keptOutOfBaseline { id merchant } } }"
    first = _data(await api.post(kept_out))["keptOutOfBaseline"]
    assert first[0] == {"id": laptop, "merchant": "Croma"}  # the rule kept it out on its own

    kept_in = _data(await api.post(patch, {"id": laptop, "x": False}))
    included = _data(await api.post(FORECAST, {"h": 30}))
    now_in = _data(await api.post(kept_out))["keptOutOfBaseline"]
    _data(await api.post(patch, {"id": laptop, "x": None}))
    back = _data(await api.post(FORECAST, {"h": 30}))

    assert kept_in["excludeFromForecast"] is False
    assert laptop not in {t["id"] for t in now_in}
    assert Decimal(included["expectedOutflow"]) > Decimal(automatic["expectedOutflow"])
    assert back["expectedOutflow"] == automatic["expectedOutflow"]


async def test_two_processes_storing_one_users_outlook_at_once_store_each_item_once(
    api: Api,
) -> None:
    from tortoise.transactions import in_transaction

    from gql_server.core.known_money.plan import plan_known_money
    from gql_server.services.outlook import load_ledger_rows
    from gql_server.services.recurring_items import store_detected

    await api.register()
    me = await _me()
    await give_generated_history(me.id, seed=7, pattern="stable", days=400)
    loaded = await load_ledger_rows(me, _today())
    known = plan_known_money(loaded.ledger, merchants=loaded.merchants)

    async def store(delay: float) -> None:
        # Two server processes storing the same outlook: the second starts while the first
        # has written but not committed.
        await asyncio.sleep(delay)
        async with in_transaction() as connection:
            await store_detected(me.id, known.detected, known.detected_sources, connection)
            await asyncio.sleep(0.3)

    await asyncio.gather(store(0.0), store(0.1))

    keys = await RecurringItem.filter(user_id=me.id).values_list("counterparty", "direction")
    assert len(keys) == len(known.detected) > 0
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    "now",
    [datetime(2026, 3, 10, 9, 0, tzinfo=INDIA), datetime(2027, 8, 20, 23, 30, tzinfo=INDIA)],
    ids=["march-2026", "august-2027"],
)
async def test_a_generated_history_reads_alike_whatever_day_the_suite_runs(
    api: Api, now: datetime
) -> None:
    """The same flow on two different "today"s: what the API says follows the ledger's clock
    and nothing else (the suite pins that clock; this proves the pin is all it needs)."""
    with clock.pinned(now):
        await api.register()
        await give_generated_history((await _me()).id, seed=7, pattern="stable")
        items = _data(await api.post(ITEMS))
        forecast = _data(await api.post(FORECAST, {"h": 30}))
        newest = _data(
            await api.post("{ transactions(first: 1) { edges { node { occurredAt } } } }")
        )

    today = now.date()
    assert forecast["asOf"] == (today - timedelta(days=1)).isoformat()  # the last complete day
    assert [i["category"] for i in items].count("Rent") == 1, items
    assert all(date.fromisoformat(i["nextDate"]) >= today for i in items)
    last = datetime.fromisoformat(newest["edges"][0]["node"]["occurredAt"]).astimezone(INDIA)
    assert today - timedelta(days=3) <= last.date() <= today
