"""Insight rules about the year's tax, read from the context's tax outlook (`core.tax.outlook`):
the next advance-tax instalment and what to set aside for it, the GST registration threshold,
a presumptive scheme that no longer applies and interest already incurred for late advance
tax. Every rule is silent without an outlook. Dates are the outlook's (its `as_of`), not the
series' end, so a message never mixes two "todays"; they read "15 Dec", with the year only
when it is not the as-of date's."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from gql_server.core.insights.months import Months, day_label
from gql_server.core.insights.records import Insight, InsightContext, Metric, Severity, make_insight
from gql_server.core.insights.wording import money, rupees
from gql_server.core.tax.errors import TaxError
from gql_server.core.tax.outlook import TaxOutlook
from gql_server.core.tax.rule_sets import rules_for
from gql_server.core.tax.years import financial_year

# An instalment is told as due from 45 days ahead: enough to arrange the money from a month's
# receipts, near enough to act on now. Further off, what to set aside a month is the news.
DUE_SOON_DAYS = 45
# Within a fortnight a client payment may not arrive before the due date: a WARNING.
DUE_URGENT_DAYS = 15
# A forecast GST crossing is told from 120 days ahead, a season of receipts that could still be
# planned around; within 30 days the registration clock is about to start: a WARNING.
GST_AHEAD_DAYS = 120
GST_URGENT_DAYS = 30
# CGST Act s.25(1): apply for registration within thirty days of becoming liable to register.
GST_REGISTRATION_DAYS = 30
# Interest equal to a year at 1% a month on the year's advance tax counts as the largest effect.
INTEREST_FULL_EFFECT = Decimal("0.12")
# The sections when the outlook's rules cannot be looked up (a rule set built by hand).
FALLBACK_INTEREST_SECTIONS = "s.234B and s.234C"
_SECTION = re.compile(r"\bs\.(\d+[A-Z]*)")


def interest_sections(tax: TaxOutlook) -> str:
    """The sections charging interest for late advance tax in the outlook's rules, with their
    Act ('s.424 and s.425 of the Income-tax Act, 2025'): the 2025 Act renumbered 234B/234C."""
    try:
        rules = rules_for(tax.financial_year)
    except TaxError:
        return FALLBACK_INTEREST_SECTIONS
    if rules.version != tax.rules_version:
        return FALLBACK_INTEREST_SECTIONS
    found = [
        match[1]
        for source in (rules.interest_234b_source, rules.interest_234c_source)
        if (match := _SECTION.search(source)) is not None
    ]
    if len(found) != 2:
        return FALLBACK_INTEREST_SECTIONS
    act = rules.act.split(" (")[0]
    return f"s.{found[0]} and s.{found[1]} of the {act}"


def _forecast_metrics(tax: TaxOutlook) -> dict[str, Metric]:
    return {
        "financial_year": tax.financial_year,
        "total_tax": rupees(float(tax.total_tax)),
        "total_tax_low": rupees(float(tax.total_tax_range.low)),
        "total_tax_high": rupees(float(tax.total_tax_range.high)),
        "gross_receipts": rupees(float(tax.gross_receipts)),
    }


def _forecast_sentence(tax: TaxOutlook) -> str:
    """The figures rest on receipts still to come, so the message says so and how far the
    year's tax could move with them."""
    low, high = tax.total_tax_range.low, tax.total_tax_range.high
    sentence = (
        "This rests on your receipts so far and those expected for the rest of the year: your "
        f"tax for {tax.financial_year} comes to about {money(float(tax.total_tax))}"
    )
    if money(float(low)) == money(float(high)):
        return f"{sentence}."
    return (
        f"{sentence}, between {money(float(low))} and {money(float(high))} depending on what "
        "comes in."
    )


def advance_tax_due(context: InsightContext, months: Months) -> list[Insight]:
    """The next advance-tax instalment when it is due within 45 days and something is still to
    pay: a WARNING within 15 days, else INFO; sooner is more important. The monthly set-aside
    is told only when it exceeds the instalment: the set-aside counts at least a whole month to
    any due date, so within 45 days it is never below the instalment, and equal to it it would
    only repeat the amount (the later instalments then need less a month)."""
    tax = context.tax
    if tax is None or tax.next_instalment is None or tax.next_instalment.amount <= 0:
        return []
    due = tax.next_instalment
    days = (due.due_date - tax.as_of).days
    if days > DUE_SOON_DAYS:
        return []
    when = day_label(due.due_date, tax.as_of)
    amount = money(float(due.amount))
    metrics: dict[str, Metric] = {
        "amount": rupees(float(due.amount)),
        "due_date": due.due_date.isoformat(),
        "days_until_due": days,
        "monthly_set_aside": rupees(float(tax.monthly_set_aside)),
        "instalments_left": len(tax.upcoming),
        **_forecast_metrics(tax),
    }
    message = f"Pay {amount} of advance tax for {tax.financial_year} by {when}."
    if tax.monthly_set_aside > due.amount:
        message += (
            f" To have the later instalments ready too, set aside "
            f"{money(float(tax.monthly_set_aside))} a month from now."
        )
    message += f" {_forecast_sentence(tax)}"
    severity = Severity.WARNING if days <= DUE_URGENT_DAYS else Severity.INFO
    title = f"Advance tax of {amount} is due on {when}"
    effect = 1.0 - days / DUE_SOON_DAYS
    period = (tax.as_of, due.due_date)
    return [make_insight("advance_tax_due", severity, title, message, metrics, effect, period)]


def tax_set_aside(context: InsightContext, months: Months) -> list[Insight]:
    """What to set aside each month for advance tax, INFO, when instalments are still to pay but
    the next is more than 45 days away (nearer, `advance_tax_due` tells it). Its effect is the
    share of an average month's expected receipts the set-aside takes."""
    tax = context.tax
    if tax is None or tax.next_instalment is None or tax.monthly_set_aside <= 0:
        return []
    due = tax.next_instalment
    days = (due.due_date - tax.as_of).days
    if days <= DUE_SOON_DAYS:
        return []
    set_aside = money(float(tax.monthly_set_aside))
    metrics: dict[str, Metric] = {
        "monthly_set_aside": rupees(float(tax.monthly_set_aside)),
        "next_amount": rupees(float(due.amount)),
        "next_due_date": due.due_date.isoformat(),
        "instalments_left": len(tax.upcoming),
        "upcoming_total": rupees(float(sum((item.amount for item in tax.upcoming), Decimal(0)))),
        **_forecast_metrics(tax),
    }
    later = " and the later ones" if len(tax.upcoming) > 1 else ""
    message = (
        f"Your next advance tax instalment for {tax.financial_year}, "
        f"{money(float(due.amount))}, is due on {day_label(due.due_date, tax.as_of)}; "
        f"{set_aside} a month from now has it{later} saved in time. {_forecast_sentence(tax)}"
    )
    title = f"Set aside {set_aside} a month for advance tax"
    monthly_receipts = tax.gross_receipts / 12
    effect = float(tax.monthly_set_aside / monthly_receipts) if monthly_receipts > 0 else 0.0
    period = (tax.as_of, tax.upcoming[-1].due_date)
    return [make_insight("tax_set_aside", Severity.INFO, title, message, metrics, effect, period)]


def gst_threshold(context: InsightContext, months: Months) -> list[Insight]:
    """The GST registration threshold (CGST Act s.22(1)) for a user not registered: crossed by
    the receipts so far, a WARNING with the 30 days s.25(1) gives to register; forecast to be
    crossed within 120 days at the expected pace, INFO, a WARNING within 30 days."""
    tax = context.tax
    if tax is None or tax.gst_threshold is None or tax.gst_threshold_reached_on is None:
        return []
    threshold, crossed_on = tax.gst_threshold, tax.gst_threshold_reached_on
    when = day_label(crossed_on, tax.as_of)
    limit = money(float(threshold))
    metrics: dict[str, Metric] = {
        "financial_year": tax.financial_year,
        "gst_threshold": rupees(float(threshold)),
        "receipts_to_date": rupees(float(tax.receipts_to_date)),
        "reached_on": crossed_on.isoformat(),
        "registration_days": GST_REGISTRATION_DAYS,
    }
    if crossed_on <= tax.as_of:
        deadline = crossed_on + timedelta(days=GST_REGISTRATION_DAYS)
        by = day_label(deadline, tax.as_of)
        metrics["registration_due"] = deadline.isoformat()
        message = (
            f"Your receipts for {tax.financial_year} passed the GST threshold of {limit} on "
            f"{when}. GST law requires registration within {GST_REGISTRATION_DAYS} days of "
            "that day"
        )
        title = f"Your receipts crossed the GST threshold of {limit} on {when}: registration "
        if deadline < tax.as_of:
            title += f"was due by {by}"
            message += f", so it was due by {by}: apply now."
        else:
            title += f"is due within {GST_REGISTRATION_DAYS} days"
            message += f", by {by}."
        period = (crossed_on, deadline)
        return [
            make_insight("gst_threshold", Severity.WARNING, title, message, metrics, 1.0, period)
        ]
    days = (crossed_on - tax.as_of).days
    if days > GST_AHEAD_DAYS:
        return []
    metrics["days_until_reached"] = days
    title = f"At this pace your receipts cross the GST threshold of {limit} around {when}"
    message = (
        f"Your receipts for {tax.financial_year} are {money(float(tax.receipts_to_date))} so "
        f"far; at the pace expected for the rest of the year they pass {limit} around {when}. "
        f"From then, GST law requires registration within {GST_REGISTRATION_DAYS} days."
    )
    severity = Severity.WARNING if days <= GST_URGENT_DAYS else Severity.INFO
    effect = 1.0 - days / GST_AHEAD_DAYS
    period = (tax.as_of, crossed_on)
    return [make_insight("gst_threshold", severity, title, message, metrics, effect, period)]


def tax_scheme_limit(context: InsightContext, months: Months) -> list[Insight]:
    """The chosen presumptive scheme no longer applies (receipts over its limit): a WARNING
    whose message is the outlook's own reason, since the tax, the instalments and the books
    to keep all change with it."""
    tax = context.tax
    if tax is None or tax.scheme_problem is None:
        return []
    year = financial_year(tax.financial_year)
    metrics: dict[str, Metric] = {
        "financial_year": tax.financial_year,
        "scheme": tax.scheme.value,
        "scheme_applied": tax.scheme_applied.value,
        "gross_receipts": rupees(float(tax.gross_receipts)),
        "problem": tax.scheme_problem,
    }
    title = "Your presumptive tax scheme no longer applies"
    message = tax.scheme_problem
    period = (year.start, year.end)
    return [
        make_insight("tax_scheme_limit", Severity.WARNING, title, message, metrics, 1.0, period)
    ]


def tax_interest(context: InsightContext, months: Months) -> list[Insight]:
    """Interest already incurred for late advance tax (234B and 234C, renumbered 424 and 425 by
    the 2025 Act): a WARNING, with what stops it growing. Its effect is the interest against a
    year's interest at 1% a month on the year's advance tax."""
    tax = context.tax
    if tax is None:
        return []
    interest = tax.interest_234b + tax.interest_234c
    if interest <= 0:
        return []
    year = financial_year(tax.financial_year)
    sections = interest_sections(tax)
    total = money(float(interest))
    metrics: dict[str, Metric] = {
        "financial_year": tax.financial_year,
        "interest": rupees(float(interest)),
        "interest_234b": rupees(float(tax.interest_234b)),
        "interest_234c": rupees(float(tax.interest_234c)),
        "sections": sections,
        "as_of": tax.as_of.isoformat(),
        "balance_payable": rupees(float(tax.balance_payable)),
    }
    message = (
        f"Interest for late advance tax for {tax.financial_year} ({sections}) comes to {total} "
        f"as of {day_label(tax.as_of, tax.as_of)}."
    )
    if tax.as_of > year.end and tax.balance_payable > 0:
        message += (
            f" {money(float(tax.balance_payable))} of the year's tax is still unpaid, and the "
            "interest grows each month until it is paid."
        )
    elif tax.upcoming:
        message += " Paying the coming instalments in full and on time keeps it from growing."
    title = f"Late advance tax has cost {total} in interest so far"
    base = tax.advance_tax_payable if tax.advance_tax_payable > 0 else tax.total_tax
    effect = float(interest / (base * INTEREST_FULL_EFFECT)) if base > 0 else 1.0
    period = (year.start, tax.as_of)
    return [make_insight("tax_interest", Severity.WARNING, title, message, metrics, effect, period)]
