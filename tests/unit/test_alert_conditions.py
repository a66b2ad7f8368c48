"""Alert conditions on fixed situations: each kind fires with its key, kind, title and
severity; open alerts clear only past the clear threshold (hysteresis), so a figure wobbling
around a threshold fires once per excursion; turned-off kinds neither fire nor stay open;
settings are checked with a code; `covered_share` reads a day's quantiles. Every date is fixed."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gql_server.core.alerts.conditions import (
    AlertKind,
    AlertSettings,
    AlertSettingsError,
    Bill,
    Condition,
    ExpectedIncome,
    OpenAlert,
    Severity,
    Situation,
    conditions,
    covered_share,
    evaluate,
    shortfall_clear_below,
)

D = Decimal
AS_OF = date(2026, 11, 20)
DEFAULTS = AlertSettings()
MONEY = re.compile(r"^-?\d+\.\d\d$")


def calm(**changes: object) -> Situation:
    """A situation in which nothing holds; each test changes what it is about."""
    base = Situation(
        as_of=AS_OF,
        shortfall_probability={7: 0.02, 30: 0.08},
        projected_min_balance_30=D("25000.00"),
        bills=(),
        overdue_candidates=(),
        buffer_balance=None,
        buffer_monthly_draw=D("0"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def only(found: list[Condition]) -> Condition:
    assert len(found) == 1, [condition.key for condition in found]
    return found[0]


def rent(share: float, due: date = date(2026, 12, 1)) -> Bill:
    return Bill(key="item-17", name="Rent", due=due, amount=D("18000.00"), covered_share=share)


def advance_tax(share: float) -> Bill:
    return Bill(
        key="tax:2026-12-15",
        name="Advance tax",
        due=date(2026, 12, 15),
        amount=D("42300.00"),
        covered_share=share,
        is_tax=True,
    )


ACME = ExpectedIncome(
    key="item-4", name="Acme Studio", expected_on=date(2026, 11, 14), amount=D("50000")
)


def run(
    situations: Iterable[Situation], settings: AlertSettings = DEFAULTS
) -> list[tuple[int, str, str]]:
    """Evaluates each situation against the alerts the previous ones left open, as the outlook
    service does, and returns (step, "fire" | "clear", key) in order."""
    open_alerts: dict[str, OpenAlert] = {}
    events: list[tuple[int, str, str]] = []
    for step, situation in enumerate(situations):
        changes = evaluate(situation, settings, open_alerts)
        for key in changes.clear:
            del open_alerts[key]
            events.append((step, "clear", key))
        for condition in changes.fire:
            open_alerts[condition.key] = OpenAlert(condition.key, condition.kind, condition.metrics)
            events.append((step, "fire", condition.key))
    return events


def opened(*found: Condition) -> dict[str, OpenAlert]:
    return {c.key: OpenAlert(c.key, c.kind, c.metrics) for c in found}


# Each kind fires


def test_a_calm_situation_raises_nothing() -> None:
    assert conditions(calm(), DEFAULTS) == []
    assert evaluate(calm(), DEFAULTS, {}).fire == ()


def test_shortfall_risk_fires_from_the_30_day_threshold() -> None:
    found = only(conditions(calm(shortfall_probability={7: 0.1, 30: 0.35}), DEFAULTS))
    assert found.key == "SHORTFALL_RISK:30"
    assert found.kind is AlertKind.SHORTFALL_RISK
    assert found.severity is Severity.WARNING
    assert found.title == "35% chance of running short in the next 30 days"
    assert "20 Dec" in found.message
    assert found.metrics == {
        "horizon_days": 30,
        "probability": 0.35,
        "threshold": 0.35,
        "clear_below": 0.25,
    }
    assert conditions(calm(shortfall_probability={7: 0.1, 30: 0.3499}), DEFAULTS) == []


def test_shortfall_risk_over_7_days_has_its_own_key_and_threshold() -> None:
    found = conditions(calm(shortfall_probability={7: 0.25, 30: 0.3}), DEFAULTS)
    assert [c.key for c in found] == ["SHORTFALL_RISK:7"]
    assert found[0].title == "25% chance of running short in the next 7 days"


def test_shortfall_risk_is_critical_from_60_percent() -> None:
    found = conditions(calm(shortfall_probability={7: 0.61, 30: 0.8}), DEFAULTS)
    assert {c.key: c.severity for c in found} == {
        "SHORTFALL_RISK:7": Severity.CRITICAL,
        "SHORTFALL_RISK:30": Severity.CRITICAL,
    }


@pytest.mark.parametrize("probabilities", [{}, {7: math.nan, 30: math.nan}, {90: 0.9}])
def test_no_shortfall_risk_when_the_forecast_cannot_say(probabilities: dict[int, float]) -> None:
    assert conditions(calm(shortfall_probability=probabilities), DEFAULTS) == []


def test_low_balance_ahead_names_the_lowest_balance_and_its_day() -> None:
    situation = calm(projected_min_balance_30=D("-12400"), projected_min_on=date(2026, 12, 20))
    found = only(conditions(situation, DEFAULTS))
    assert found.key == "LOW_BALANCE_AHEAD"
    assert found.kind is AlertKind.LOW_BALANCE_AHEAD
    assert found.title == "Your balance may fall to -₹12,400 by 20 Dec"
    assert found.message.startswith("That is below zero.")
    assert found.metrics["projected_min_balance"] == "-12400.00"
    assert found.metrics["projected_min_on"] == "2026-12-20"


def test_low_balance_ahead_against_the_users_floor() -> None:
    floor = AlertSettings(low_balance_below=D("5000"))
    found = only(conditions(calm(projected_min_balance_30=D("3200")), floor))
    assert found.title == "Your balance may fall to ₹3,200 in the next 30 days"
    assert "under the ₹5,000 you want to keep" in found.message
    assert conditions(calm(projected_min_balance_30=D("0.00")), DEFAULTS) == []


def test_bill_not_covered_in_most_paths() -> None:
    found = only(conditions(calm(bills=(rent(0.42),)), DEFAULTS))
    assert found.key == "BILL_NOT_COVERED:item-17:2026-12-01"
    assert found.kind is AlertKind.BILL_NOT_COVERED
    assert found.severity is Severity.WARNING
    assert found.title == "Rent of ₹18,000 on 1 Dec may not be covered"
    assert "42%" in found.message
    assert found.metrics["days_until"] == 11
    assert only(conditions(calm(bills=(rent(0.2),)), DEFAULTS)).severity is Severity.CRITICAL
    assert conditions(calm(bills=(rent(0.5),)), DEFAULTS) == []


def test_a_bill_due_next_year_gives_its_year() -> None:
    situation = calm(as_of=date(2026, 12, 20), bills=(rent(0.3, due=date(2027, 1, 3)),))
    assert only(conditions(situation, DEFAULTS)).title == (
        "Rent of ₹18,000 on 3 Jan 2027 may not be covered"
    )


def test_a_bill_already_past_raises_nothing() -> None:
    assert conditions(calm(bills=(rent(0.1, due=date(2026, 11, 19)),)), DEFAULTS) == []


def test_tax_not_covered_is_its_own_kind() -> None:
    found = only(conditions(calm(bills=(advance_tax(0.3),)), DEFAULTS))
    assert found.key == "TAX_DUE_NOT_COVERED:2026-12-15"
    assert found.kind is AlertKind.TAX_DUE_NOT_COVERED
    assert found.title == "Advance tax of ₹42,300 due on 15 Dec may not be covered"
    assert "interest" in found.message


def test_taxes_due_on_one_day_make_one_alert() -> None:
    gst = replace(advance_tax(0.35), key="gst:2026-12-15", name="GST", amount=D("9000"))
    found = only(conditions(calm(bills=(advance_tax(0.3), gst)), DEFAULTS))
    assert found.title == "Advance tax and GST of ₹51,300 due on 15 Dec may not be covered"
    assert found.metrics["covered_share"] == 0.3


def test_income_overdue_after_the_users_days() -> None:
    found = only(conditions(calm(overdue_candidates=(ACME,)), DEFAULTS))
    assert found.key == "INCOME_OVERDUE:item-4:2026-11-14"
    assert found.kind is AlertKind.INCOME_OVERDUE
    assert found.title == "Acme Studio's ₹50,000 is 6 days late"
    assert found.severity is Severity.INFO
    assert found.metrics["days_late"] == 6
    ten_days = calm(as_of=date(2026, 11, 24), overdue_candidates=(ACME,))
    assert only(conditions(ten_days, DEFAULTS)).severity is Severity.WARNING
    four_days = calm(as_of=date(2026, 11, 18), overdue_candidates=(ACME,))
    assert conditions(four_days, DEFAULTS) == []


def test_buffer_running_dry() -> None:
    situation = calm(buffer_balance=D("8000"), buffer_monthly_draw=D("15000"))
    found = only(conditions(situation, DEFAULTS))
    assert found.key == "BUFFER_RUNNING_DRY"
    assert found.kind is AlertKind.BUFFER_RUNNING_DRY
    assert found.title == (
        "Your buffer (₹8,000) will not cover next month's paycheck top-up of ₹15,000"
    )
    assert "₹7,000 short" in found.message
    no_buffer = calm(buffer_balance=None, buffer_monthly_draw=D("15000"))
    no_draw = calm(buffer_balance=D("0"), buffer_monthly_draw=D("0"))
    assert conditions(no_buffer, DEFAULTS) == conditions(no_draw, DEFAULTS) == []


def test_metrics_are_json_with_money_as_strings_to_the_paisa() -> None:
    situation = calm(
        shortfall_probability={7: 0.7, 30: 0.9},
        projected_min_balance_30=D("-12400.456"),
        bills=(rent(0.1), advance_tax(0.2)),
        overdue_candidates=(ACME,),
        buffer_balance=D("8000"),
        buffer_monthly_draw=D("15000"),
    )
    found = conditions(situation, DEFAULTS)
    assert {c.kind for c in found} == set(AlertKind) - {AlertKind.WEBHOOK_DISABLED}
    for condition in found:
        json.dumps(condition.metrics)
        for name in ("amount", "projected_min_balance", "buffer_balance", "monthly_draw"):
            if name in condition.metrics:
                assert MONEY.match(str(condition.metrics[name])), (condition.key, name)
    ranks = [c.severity for c in found]
    assert ranks == sorted(ranks, key=[Severity.CRITICAL, Severity.WARNING, Severity.INFO].index)


# Hysteresis


def test_an_open_shortfall_risk_stays_in_the_band_and_clears_below_it() -> None:
    fired = only(conditions(calm(shortfall_probability={7: 0.1, 30: 0.35}), DEFAULTS))
    open_alerts = opened(fired)
    for still in (0.35, 0.30, 0.25):
        changes = evaluate(calm(shortfall_probability={7: 0.1, 30: still}), DEFAULTS, open_alerts)
        assert changes.fire == changes.clear == (), still
    changes = evaluate(calm(shortfall_probability={7: 0.1, 30: 0.20}), DEFAULTS, open_alerts)
    assert changes.clear == ("SHORTFALL_RISK:30",)
    assert changes.fire == ()


def test_a_probability_wobbling_around_the_threshold_fires_once_per_excursion() -> None:
    wobble = [0.30, 0.36, 0.34, 0.36, 0.28, 0.37, 0.24, 0.30, 0.36, 0.34, 0.20, 0.34]
    events = run(calm(shortfall_probability={7: 0.0, 30: p}) for p in wobble)
    assert events == [
        (1, "fire", "SHORTFALL_RISK:30"),
        (6, "clear", "SHORTFALL_RISK:30"),
        (8, "fire", "SHORTFALL_RISK:30"),
        (10, "clear", "SHORTFALL_RISK:30"),
    ]


def test_a_low_threshold_still_clears_above_zero() -> None:
    assert shortfall_clear_below(0.35) == pytest.approx(0.25)
    assert shortfall_clear_below(0.25) == pytest.approx(0.175)
    assert shortfall_clear_below(0.05) == pytest.approx(0.035)


def test_low_balance_clears_only_a_thousand_above_the_floor() -> None:
    lows = ["-100", "500", "1000", "1000.01", "-1", "200"]
    events = run(calm(projected_min_balance_30=D(low)) for low in lows)
    assert events == [
        (0, "fire", "LOW_BALANCE_AHEAD"),
        (3, "clear", "LOW_BALANCE_AHEAD"),
        (4, "fire", "LOW_BALANCE_AHEAD"),
    ]


def test_low_balance_band_is_five_percent_of_a_large_floor() -> None:
    floor = AlertSettings(low_balance_below=D("100000"))
    lows = ["99000", "104999", "105000", "105000.01"]
    events = run((calm(projected_min_balance_30=D(low)) for low in lows), floor)
    assert events == [(0, "fire", "LOW_BALANCE_AHEAD"), (3, "clear", "LOW_BALANCE_AHEAD")]


def test_a_bill_clears_when_covered_in_60_percent_or_when_its_day_has_passed() -> None:
    shares = [0.45, 0.55, 0.59, 0.6, 0.49]
    events = run(calm(bills=(rent(share),)) for share in shares)
    key = "BILL_NOT_COVERED:item-17:2026-12-01"
    assert events == [(0, "fire", key), (3, "clear", key), (4, "fire", key)]
    days = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
    events = run(calm(as_of=day, bills=(rent(0.3),)) for day in days)
    assert events == [(0, "fire", key), (2, "clear", key)]


def test_a_bill_gone_from_the_situation_clears() -> None:
    events = run([calm(bills=(advance_tax(0.3),)), calm(bills=())])
    key = "TAX_DUE_NOT_COVERED:2026-12-15"
    assert events == [(0, "fire", key), (1, "clear", key)]


def test_overdue_income_stays_open_until_it_is_paid() -> None:
    late = [calm(as_of=date(2026, 11, d), overdue_candidates=(ACME,)) for d in (18, 19, 25)]
    events = run([*late, calm(as_of=date(2026, 11, 26)), calm(as_of=date(2026, 11, 27))])
    key = "INCOME_OVERDUE:item-4:2026-11-14"
    assert events == [(1, "fire", key), (3, "clear", key)]


def test_the_buffer_alert_clears_a_thousand_above_the_draw() -> None:
    balances = ["8000", "15500", "15999.99", "16000", "14000"]
    events = run(calm(buffer_balance=D(b), buffer_monthly_draw=D("15000")) for b in balances)
    key = "BUFFER_RUNNING_DRY"
    assert events == [(0, "fire", key), (3, "clear", key), (4, "fire", key)]


def test_clearing_follows_the_current_settings() -> None:
    fired = only(conditions(calm(shortfall_probability={7: 0.0, 30: 0.4}), DEFAULTS))
    stricter = AlertSettings(shortfall_threshold_30=0.5)
    changes = evaluate(calm(shortfall_probability={7: 0.0, 30: 0.38}), stricter, opened(fired))
    assert changes.clear == ("SHORTFALL_RISK:30",)


# Turned-off kinds


def test_a_kind_turned_off_neither_fires_nor_stays_open() -> None:
    no_risk = AlertSettings(enabled=frozenset(AlertKind) - {AlertKind.SHORTFALL_RISK})
    risky = calm(shortfall_probability={7: 0.9, 30: 0.9}, bills=(rent(0.1),))
    assert [c.kind for c in conditions(risky, no_risk)] == [AlertKind.BILL_NOT_COVERED]
    open_alerts = opened(*conditions(risky, DEFAULTS))
    changes = evaluate(risky, no_risk, open_alerts)
    assert changes.fire == ()
    assert sorted(changes.clear) == ["SHORTFALL_RISK:30", "SHORTFALL_RISK:7"]


def test_webhook_disabled_is_never_cleared_here() -> None:
    key = "WEBHOOK_DISABLED:wh-9"
    open_alerts = {key: OpenAlert(key, AlertKind.WEBHOOK_DISABLED, {"webhook_id": "wh-9"})}
    for settings in (DEFAULTS, AlertSettings(enabled=frozenset())):
        assert evaluate(calm(), settings, open_alerts).clear == ()


def test_an_open_alert_whose_condition_is_unknown_now_clears() -> None:
    key = "BILL_NOT_COVERED:item-3:2026-10-01"
    open_alerts = {key: OpenAlert(key, AlertKind.BILL_NOT_COVERED, {})}
    assert evaluate(calm(), DEFAULTS, open_alerts).clear == (key,)


# Settings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shortfall_threshold_7", 0.0),
        ("shortfall_threshold_7", 1.0),
        ("shortfall_threshold_7", -0.1),
        ("shortfall_threshold_7", math.nan),
        ("shortfall_threshold_7", True),
        ("shortfall_threshold_30", 1.5),
        ("low_balance_below", D("-1")),
        ("low_balance_below", D("100000000.01")),
        ("low_balance_below", D("NaN")),
        ("low_balance_below", 5000),
        ("income_overdue_days", 0),
        ("income_overdue_days", 61),
        ("income_overdue_days", 5.0),
        ("income_overdue_days", True),
        ("enabled", {AlertKind.SHORTFALL_RISK}),
        ("enabled", frozenset({"SHORTFALL_RISK"})),
    ],
)
def test_bad_settings_are_refused_with_a_code_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(AlertSettingsError) as raised:
        AlertSettings(**{field: value})  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)
    assert raised.value.code == "INVALID_ALERT_SETTINGS"
    assert raised.value.field == field
    assert field in str(raised.value)


def test_settings_at_their_limits_are_accepted() -> None:
    AlertSettings(
        shortfall_threshold_7=0.01,
        shortfall_threshold_30=0.99,
        low_balance_below=D("100000000"),
        income_overdue_days=60,
        enabled=frozenset(),
    )
    AlertSettings(low_balance_below=D("0"), income_overdue_days=1)
    assert frozenset(AlertKind) == DEFAULTS.enabled


# covered_share


@pytest.mark.parametrize(
    ("quantiles", "share"),
    [
        ((0.0, 10.0, 20.0), 0.9),
        ((-10.0, 0.0, 10.0), 0.5),
        ((-20.0, -10.0, 0.0), 0.1),
        ((-10.0, 10.0, 30.0), 0.7),
        ((-30.0, -10.0, 10.0), 0.3),
        ((5000.0, 20000.0, 40000.0), 1.0),
        ((-40000.0, -20000.0, -5000.0), 0.0),
        ((0.0, 0.0, 0.0), 1.0),
        ((5.0, 5.0, 5.0), 1.0),
        ((-5.0, -5.0, -5.0), 0.0),
        ((10.0, -10.0, 0.0), 0.5),
    ],
)
def test_covered_share_edges(quantiles: tuple[float, float, float], share: float) -> None:
    assert covered_share(*quantiles) == pytest.approx(share)


def test_covered_share_is_at_least_90_percent_when_p10_is_not_negative() -> None:
    assert 0.9 <= covered_share(1.0, 1e6, 2e6) < 0.9001


def test_covered_share_refuses_non_finite_quantiles() -> None:
    with pytest.raises(ValueError, match="finite"):
        covered_share(math.nan, 0.0, 1.0)


quantile = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)


@hypothesis_settings(max_examples=300, deadline=None)
@given(quantile, quantile, quantile, st.floats(min_value=0, max_value=1e6))
def test_covered_share_is_a_share_and_grows_with_the_balance(
    p10: float, p50: float, p90: float, rise: float
) -> None:
    share = covered_share(p10, p50, p90)
    assert 0.0 <= share <= 1.0
    assert covered_share(p10 + rise, p50 + rise, p90 + rise) >= share - 1e-9


# Property: fires and clears alternate per key


probability = st.floats(min_value=0.0, max_value=1.0)
threshold = st.floats(min_value=0.01, max_value=0.99)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(probability, probability), min_size=1, max_size=40),
    threshold,
    threshold,
)
def test_fires_and_clears_alternate_per_key(
    path: list[tuple[float, float]], threshold_7: float, threshold_30: float
) -> None:
    settings = AlertSettings(shortfall_threshold_7=threshold_7, shortfall_threshold_30=threshold_30)
    thresholds = {7: threshold_7, 30: threshold_30}
    situations = [calm(shortfall_probability={7: p7, 30: p30}) for p7, p30 in path]
    events = run(situations, settings)
    for horizon, limit in thresholds.items():
        key = f"SHORTFALL_RISK:{horizon}"
        mine = [(step, what) for step, what, k in events if k == key]
        assert [what for _, what in mine] == ["fire", "clear"] * (len(mine) // 2) + (
            ["fire"] if len(mine) % 2 else []
        )
        for step, what in mine:
            p = path[step][0 if horizon == 7 else 1]
            assert p >= limit if what == "fire" else p < shortfall_clear_below(limit)
        # The same automaton by hand: open from the threshold, closed below the clear level.
        is_open, expected = False, []
        for step, pair in enumerate(path):
            p = pair[0 if horizon == 7 else 1]
            now = p >= shortfall_clear_below(limit) if is_open else p >= limit
            if now != is_open:
                expected.append((step, "fire" if now else "clear"))
            is_open = now
        assert mine == expected


def test_open_alerts_are_read_by_key_from_any_mapping() -> None:
    fired = only(conditions(calm(shortfall_probability={7: 0.0, 30: 0.5}), DEFAULTS))
    open_alerts: Mapping[str, OpenAlert] = opened(fired)
    assert evaluate(calm(shortfall_probability={7: 0.0, 30: 0.5}), DEFAULTS, open_alerts).fire == ()
