"""The rule of each alert kind: from a situation, the condition it would raise, whether it
holds by its fire threshold and whether it still holds by its (looser) clear threshold.

Hysteresis, kind by kind (fire / clear):
- SHORTFALL_RISK: probability >= threshold / below threshold - min(0.10, 0.3 * threshold).
- LOW_BALANCE_AHEAD: lowest balance < floor / above floor + max(Rs 1,000, 5% of the floor).
- BILL_NOT_COVERED, TAX_DUE_NOT_COVERED: covered in < 50% of paths / in >= 60%, the due date
  passed, or the bill gone.
- INCOME_OVERDUE: `income_overdue_days` late / the payment gone from the candidates (paid, or
  the item dismissed); lateness only grows, so no band is needed.
- BUFFER_RUNNING_DRY: buffer < next month's draw / buffer >= draw + max(Rs 1,000, 5% of it),
  or no draw planned.
- WEBHOOK_DISABLED: raised and cleared by webhook delivery, never here."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from gql_server.core.alerts.records import AlertKind, Condition, Severity
from gql_server.core.alerts.settings import AlertSettings
from gql_server.core.alerts.situation import Bill, Situation
from gql_server.core.alerts.wording import amount_metric, chance, days, money, possessive
from gql_server.core.insights.months import day_label

SHORTFALL_HORIZONS = (7, 30)
# Ten points is several times the sampling error of a probability from 1,000 paths (about 1.5
# points at 35%) and about what a day's new transactions and a refit move it; the band is
# capped at 30% of the threshold so a low threshold still clears above zero.
SHORTFALL_CLEAR_MARGIN = 0.10
SHORTFALL_CLEAR_SHARE = 0.3
# More likely than not, with room: 60% is past a coin flip even after the band's wobble.
SHORTFALL_CRITICAL_FROM = 0.6
LOW_BALANCE_HORIZON_DAYS = 30
# Rs 1,000 is about a day of a freelancer's spending; 5% keeps the band in proportion for a
# floor of lakhs, where a thousand is noise.
MONEY_CLEAR_MARGIN = Decimal("1000")
MONEY_CLEAR_SHARE = Decimal("0.05")
# Fires when not covered in most paths; ten points of band as for shortfall risk.
BILL_FIRE_BELOW = 0.5
BILL_CLEAR_FROM = 0.6
BILL_CRITICAL_BELOW = 0.25
# Late by twice the user's own patience is no longer a slow transfer: a WARNING.
INCOME_WARNING_FACTOR = 2


def shortfall_clear_below(threshold: float) -> float:
    """The probability below which an open SHORTFALL_RISK alert clears."""
    return threshold - min(SHORTFALL_CLEAR_MARGIN, SHORTFALL_CLEAR_SHARE * threshold)


def money_clear_margin(amount: Decimal) -> Decimal:
    """How far above `amount` a balance must come back before a money alert clears."""
    return max(MONEY_CLEAR_MARGIN, MONEY_CLEAR_SHARE * abs(amount))


@dataclass(frozen=True)
class Candidate:
    condition: Condition
    fires: bool  # holds by the fire threshold
    stays: bool  # holds by the clear threshold: an open alert for it stays open


def candidates(situation: Situation, settings: AlertSettings) -> list[Candidate]:
    """What every rule finds, for the kinds the user has enabled."""
    found = [
        *_shortfall(situation, settings),
        *_low_balance(situation, settings),
        *_bills(situation),
        *_income_overdue(situation, settings),
        *_buffer(situation),
    ]
    return [one for one in found if one.condition.kind in settings.enabled]


def _shortfall(situation: Situation, settings: AlertSettings) -> Iterator[Candidate]:
    thresholds = {7: settings.shortfall_threshold_7, 30: settings.shortfall_threshold_30}
    for horizon in SHORTFALL_HORIZONS:
        probability = situation.shortfall_probability.get(horizon)
        if probability is None or not math.isfinite(probability):
            continue
        threshold = thresholds[horizon]
        clear_below = shortfall_clear_below(threshold)
        by = day_label(situation.as_of + timedelta(days=horizon), situation.as_of)
        critical = probability >= SHORTFALL_CRITICAL_FROM
        condition = Condition(
            key=f"{AlertKind.SHORTFALL_RISK}:{horizon}",
            kind=AlertKind.SHORTFALL_RISK,
            severity=Severity.CRITICAL if critical else Severity.WARNING,
            title=f"{chance(probability)} chance of running short in the next {horizon} days",
            message=(
                f"Your balance goes below zero by {by} in {chance(probability)} of forecast "
                "paths. Chasing an unpaid invoice or putting off a large payment gives you room."
            ),
            metrics={
                "horizon_days": horizon,
                "probability": round(probability, 4),
                "threshold": threshold,
                "clear_below": round(clear_below, 4),
            },
        )
        yield Candidate(condition, probability >= threshold, probability >= clear_below)


def _low_balance(situation: Situation, settings: AlertSettings) -> Iterator[Candidate]:
    lowest, floor = situation.projected_min_balance_30, settings.low_balance_below
    clear_above = floor + money_clear_margin(floor)
    low_on = situation.projected_min_on
    when = (
        f"by {day_label(low_on, situation.as_of)}"
        if low_on is not None
        else f"in the next {LOW_BALANCE_HORIZON_DAYS} days"
    )
    below = "below zero" if lowest < 0 else f"under the {money(floor)} you want to keep"
    yield Candidate(
        Condition(
            key=str(AlertKind.LOW_BALANCE_AHEAD),
            kind=AlertKind.LOW_BALANCE_AHEAD,
            severity=Severity.WARNING,
            title=f"Your balance may fall to {money(lowest)} {when}",
            message=(
                f"That is {below}. Chasing an unpaid invoice or putting off a large payment "
                "would keep you above it."
            ),
            metrics={
                "projected_min_balance": amount_metric(lowest),
                "projected_min_on": low_on.isoformat() if low_on is not None else None,
                "threshold": amount_metric(floor),
                "clear_above": amount_metric(clear_above),
            },
        ),
        fires=lowest < floor,
        stays=lowest <= clear_above,
    )


def _bills(situation: Situation) -> Iterator[Candidate]:
    taxes: dict[date, list[Bill]] = {}
    for bill in situation.bills:
        if bill.is_tax:
            taxes.setdefault(bill.due, []).append(bill)
        else:
            key = f"{AlertKind.BILL_NOT_COVERED}:{bill.key}:{bill.due.isoformat()}"
            yield _bill_candidate(situation.as_of, key, bill)
    for due, same_day in taxes.items():
        yield _bill_candidate(
            situation.as_of, f"{AlertKind.TAX_DUE_NOT_COVERED}:{due.isoformat()}", _merged(same_day)
        )


def _merged(same_day: list[Bill]) -> Bill:
    """Tax falling due on one day (advance tax and GST, say) as one bill: the key of a tax
    alert is its date, and the balance that day either covers all of it or it does not."""
    if len(same_day) == 1:
        return same_day[0]
    names = list(dict.fromkeys(bill.name for bill in same_day))
    return replace(
        same_day[0],
        key="+".join(bill.key for bill in same_day),
        name=" and ".join(names),
        amount=sum((bill.amount for bill in same_day), Decimal(0)),
        covered_share=min(bill.covered_share for bill in same_day),
    )


def _bill_candidate(as_of: date, key: str, bill: Bill) -> Candidate:
    share, upcoming = bill.covered_share, bill.due >= as_of
    on = day_label(bill.due, as_of)
    if bill.is_tax:
        kind = AlertKind.TAX_DUE_NOT_COVERED
        title = f"{bill.name} of {money(bill.amount)} due on {on} may not be covered"
        action = (
            "Tax paid late costs interest from the due date; setting money aside now avoids it."
        )
    else:
        kind = AlertKind.BILL_NOT_COVERED
        title = f"{bill.name} of {money(bill.amount)} on {on} may not be covered"
        action = (
            "Setting money aside now, or asking to pay a little later, avoids a failed payment."
        )
    odds = (
        "Your balance is below zero that day in every forecast path."
        if share <= 0
        else f"Your balance stays at or above zero through that day in only {chance(share)} "
        "of forecast paths."
    )
    condition = Condition(
        key=key,
        kind=kind,
        severity=Severity.CRITICAL if share < BILL_CRITICAL_BELOW else Severity.WARNING,
        title=title,
        message=f"{odds} {action}",
        metrics={
            "bill_key": bill.key,
            "name": bill.name,
            "due": bill.due.isoformat(),
            "amount": amount_metric(bill.amount),
            "covered_share": round(share, 4),
            "days_until": (bill.due - as_of).days,
        },
    )
    return Candidate(
        condition, upcoming and share < BILL_FIRE_BELOW, upcoming and share < BILL_CLEAR_FROM
    )


def _income_overdue(situation: Situation, settings: AlertSettings) -> Iterator[Candidate]:
    patience = settings.income_overdue_days
    for income in situation.overdue_candidates:
        late = (situation.as_of - income.expected_on).days
        condition = Condition(
            key=f"{AlertKind.INCOME_OVERDUE}:{income.key}:{income.expected_on.isoformat()}",
            kind=AlertKind.INCOME_OVERDUE,
            severity=Severity.INFO if late < INCOME_WARNING_FACTOR * patience else Severity.WARNING,
            title=f"{possessive(income.name)} {money(income.amount)} is {days(late)} late",
            message=(
                f"It was expected on {day_label(income.expected_on, situation.as_of)}. "
                "A reminder now may bring it in before your next bills."
            ),
            metrics={
                "income_key": income.key,
                "name": income.name,
                "amount": amount_metric(income.amount),
                "expected_on": income.expected_on.isoformat(),
                "days_late": late,
                "overdue_after_days": patience,
            },
        )
        yield Candidate(condition, fires=late >= patience, stays=True)


def _buffer(situation: Situation) -> Iterator[Candidate]:
    balance, draw = situation.buffer_balance, situation.buffer_monthly_draw
    if balance is None or draw <= 0:
        return
    clear_from = draw + money_clear_margin(draw)
    yield Candidate(
        Condition(
            key=str(AlertKind.BUFFER_RUNNING_DRY),
            kind=AlertKind.BUFFER_RUNNING_DRY,
            severity=Severity.WARNING,
            title=(
                f"Your buffer ({money(balance)}) will not cover next month's paycheck top-up "
                f"of {money(draw)}"
            ),
            message=(
                f"It is {money(draw - balance)} short, so next month's paycheck will be smaller "
                "unless you add to the buffer first."
            ),
            metrics={
                "buffer_balance": amount_metric(balance),
                "monthly_draw": amount_metric(draw),
                "shortfall": amount_metric(draw - balance),
                "clear_from": amount_metric(clear_from),
            },
        ),
        fires=balance < draw,
        stays=balance < clear_from,
    )
