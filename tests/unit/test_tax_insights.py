"""Tax insights from outlooks whose figures are worked out in test_tax_outlook: the instalment
due soon or what to set aside for it, the GST threshold crossed or ahead, a presumptive scheme
over its limit and interest for late advance tax. Every outlook has its own as-of date."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np

from gql_server.core.features import compute_features
from gql_server.core.insights.months import day_label, lay_out_months
from gql_server.core.insights.records import Insight, InsightContext, Metric, Severity
from gql_server.core.insights.rules import RULES, generate_insights
from gql_server.core.insights.tax import (
    advance_tax_due,
    gst_threshold,
    interest_sections,
    tax_interest,
    tax_scheme_limit,
    tax_set_aside,
)
from gql_server.core.money_format import format_inr
from gql_server.core.series import Ledger, daily_series
from gql_server.core.tax.income import TaxProfile
from gql_server.core.tax.outlook import TaxOutlook, tax_outlook
from gql_server.core.tax.payments import PaymentKind, Receipt, ReceiptsRange, TaxPayment
from gql_server.core.tax.rule_sets import FY_2025_26, TY_2026_27
from gql_server.core.tax.rules import Regime, Scheme

D = Decimal
TAX_RULES = (advance_tax_due, tax_set_aside, gst_threshold, tax_scheme_limit, tax_interest)
TAX_KINDS = {
    "advance_tax_due",
    "tax_set_aside",
    "gst_threshold",
    "tax_scheme_limit",
    "tax_interest",
}


def empty_context(as_of: date) -> InsightContext:
    """No transactions: only the tax outlook can give an insight."""
    none = np.array([], dtype=np.float64)
    ledger = Ledger(
        occurred_at=np.array([], dtype="datetime64[s]"),
        amount=none,
        is_income=np.array([], dtype=bool),
        category=np.array([], dtype=object),
        source_id=np.array([], dtype=np.int64),
        balance_after=none,
        opening_balance=0.0,
        timezone="Asia/Kolkata",
        as_of=as_of,
    )
    series = daily_series(ledger, start=as_of)
    return InsightContext(ledger=ledger, series=series, features=compute_features(ledger, series))


def tax_insights(outlook: TaxOutlook | None, as_of: date | None = None) -> list[Insight]:
    """Every tax rule's insights, each checked to be well formed."""
    day = as_of or (outlook.as_of if outlook is not None else date(2025, 8, 1))
    context = replace(empty_context(day), tax=outlook)
    months = lay_out_months(context.ledger, context.series)
    found = [insight for rule in TAX_RULES for insight in rule(context, months)]
    for insight in found:
        assert outlook is not None
        assert_well_formed(insight, outlook.as_of)
    return found


def only(insights: list[Insight], kind: str) -> Insight:
    found = [insight for insight in insights if insight.kind == kind]
    assert len(found) == 1, [i.title for i in insights]
    return found[0]


def kinds(insights: list[Insight]) -> set[str]:
    return {insight.kind for insight in insights}


# As in test_insights: every number shown is a metric, written the way `wording` writes it.
# Dates are metrics in ISO form and read "15 Sep" in the text (`day_label`).
NUMBER = re.compile(r"-?₹\d+(?:,\d+)*(?:\.\d+)?|\d+(?:,\d+)*(?:\.\d+)?%?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def renderings(value: Metric) -> set[str]:
    if value is None or isinstance(value, str | bool):
        return set()
    number = float(value)
    forms = {format_inr(number), format_inr(abs(number)), f"{abs(number):.0f}%"}
    if number.is_integer():
        forms.add(str(int(abs(number))))
    return forms


def assert_well_formed(insight: Insight, as_of: date) -> None:
    json.dumps(insight.metrics, allow_nan=False)
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", insight.kind)
    assert insight.kind in TAX_KINDS
    assert len(insight.title) <= 200
    assert len(insight.message) <= 1000
    text = f"{insight.title} | {insight.message}"
    strings = [v for v in insight.metrics.values() if isinstance(v, str) and v]
    labels = [day_label(date.fromisoformat(v), as_of) for v in strings if ISO_DATE.fullmatch(v)]
    for value in sorted(strings + labels, key=len, reverse=True):
        text = text.replace(value, " ")
    allowed = set().union(*(renderings(value) for value in insight.metrics.values()))
    for token in NUMBER.findall(text):
        assert token in allowed, (token, insight.title, insight.message, insight.metrics)


def monthly_receipts(year: int, months: tuple[int, ...], amount: int) -> list[Receipt]:
    return [Receipt(date(year, m, 5), D(amount)) for m in months]


def advance(day: date, amount: int) -> TaxPayment:
    return TaxPayment(day, D(amount), PaymentKind.ADVANCE_TAX)


# The designer of test_tax_outlook: regular scheme, new regime, Karnataka; Rs 3 lakh a month
# April-July with 10% TDS, Rs 24 lakh (18-30) expected for the rest of the year. Tax Rs 4,99,200
# (Rs 3,12,000 to Rs 6,86,400); the June instalment paid late: Rs 1,704 of 234C.
def regular_outlook(as_of: date) -> TaxOutlook:
    months = (4, 5, 6, 7)
    return tax_outlook(
        FY_2025_26,
        TaxProfile(Regime.NEW, Scheme.REGULAR, business_expenses=D(600_000), gst_state="KA"),
        receipts=monthly_receipts(2025, months, 300_000),
        expected_rest=ReceiptsRange(D(2_400_000), D(1_800_000), D(3_000_000)),
        as_of=as_of,
        payments=[TaxPayment(date(2025, m, 5), D(30_000), PaymentKind.TDS) for m in months]
        + [advance(date(2025, 6, 20), 20_000)],
    )


# A 44ADA professional under the 2025 Act with Rs 10 lakh on the 5th of April, June, August
# and October (those by `as_of`), nothing expected or paid: on Rs 40 lakh, tax Rs 2,08,000, all
# due by 15 March 2027 (see test_presumptive_outlook_under_the_2025_act, there less TDS).
def professional_2026(as_of: date, gst_state: str | None = None) -> TaxOutlook:
    receipts = monthly_receipts(2026, (4, 6, 8, 10), 1_000_000)
    return tax_outlook(
        TY_2026_27,
        TaxProfile(Regime.NEW, Scheme.SECTION_44ADA, gst_state=gst_state),
        receipts=[r for r in receipts if r.received_on <= as_of],
        expected_rest=ReceiptsRange(D(0), D(0), D(0)),
        as_of=as_of,
    )


# ---------------------------------------------------------------- no outlook, nothing to say


def test_no_outlook_gives_no_tax_insight() -> None:
    assert tax_insights(None) == []
    assert generate_insights(empty_context(date(2025, 8, 1))) == []


def test_nothing_due_and_no_gst_state_gives_no_tax_insight() -> None:
    # Tax less TDS is Rs 9,990: below the Rs 10,000 of s.208, so no instalment, no interest.
    outlook = tax_outlook(
        FY_2025_26,
        TaxProfile(Regime.OLD, Scheme.SECTION_44ADA),
        receipts=[Receipt(date(2025, 5, 1), D(1_120_000))],
        expected_rest=ReceiptsRange(D(0), D(0), D(0)),
        as_of=date(2026, 2, 1),
        tds_credited=D(15_490),
    )
    assert outlook.next_instalment is None
    assert tax_insights(outlook) == []


# ---------------------------------------------------------------- advance tax


def test_an_instalment_within_a_fortnight_warns() -> None:
    outlook = regular_outlook(date(2025, 9, 5))
    insights = tax_insights(outlook)
    due = only(insights, "advance_tax_due")
    assert due.severity is Severity.WARNING
    assert due.title == "Advance tax of ₹1,50,640 is due on 15 Sep"
    assert due.message.startswith("Pay ₹1,50,640 of advance tax for 2025-26 by 15 Sep.")
    assert "your tax for 2025-26 comes to about ₹4,99,200" in due.message
    assert "between ₹3,12,000 and ₹6,86,400" in due.message
    # The set-aside (Rs 1,50,640: a whole month to 15 September) only repeats the instalment.
    assert "set aside" not in due.message
    assert due.metrics["amount"] == 150_640.0
    assert due.metrics["due_date"] == "2025-09-15"
    assert due.metrics["monthly_set_aside"] == 150_640.0
    assert (due.metrics["total_tax_low"], due.metrics["total_tax_high"]) == (312_000.0, 686_400.0)
    assert (due.period_start, due.period_end) == (date(2025, 9, 5), date(2025, 9, 15))
    assert "tax_set_aside" not in kinds(insights)


def test_an_instalment_45_days_ahead_is_info() -> None:
    due = only(tax_insights(regular_outlook(date(2025, 8, 1))), "advance_tax_due")
    assert due.severity is Severity.INFO
    assert due.metrics["days_until_due"] == 45


def test_the_set_aside_is_told_when_later_instalments_need_more() -> None:
    # Rs 40,000 paid on 20 May leaves Rs 20,840 for 15 June, but the Rs 1,21,680 more due by
    # 15 September over 3 months needs more each month: Rs 47,507 (outlook.monthly_set_aside).
    outlook = tax_outlook(
        FY_2025_26,
        TaxProfile(Regime.NEW, Scheme.REGULAR, business_expenses=D(600_000)),
        receipts=monthly_receipts(2025, (4, 5, 6), 300_000),
        expected_rest=ReceiptsRange(D(2_400_000), D(1_800_000), D(3_000_000)),
        as_of=date(2025, 6, 10),
        payments=[advance(date(2025, 5, 20), 40_000)],
    )
    assert outlook.monthly_set_aside == D(47_507)
    due = only(tax_insights(outlook), "advance_tax_due")
    assert due.title == "Advance tax of ₹20,840 is due on 15 Jun"
    assert "set aside ₹47,507 a month" in due.message


def test_an_instalment_further_off_is_told_as_a_monthly_set_aside() -> None:
    insights = tax_insights(regular_outlook(date(2025, 9, 16)))
    assert "advance_tax_due" not in kinds(insights)
    aside = only(insights, "tax_set_aside")
    assert aside.severity is Severity.INFO
    assert aside.title == "Set aside ₹1,32,200 a month for advance tax"
    assert "₹2,64,400, is due on 15 Dec" in aside.message
    assert "has it and the later ones saved in time" in aside.message
    assert aside.metrics["monthly_set_aside"] == 132_200.0
    assert aside.metrics["upcoming_total"] == 359_200.0
    assert aside.period_end == date(2026, 3, 15)


def test_a_due_date_in_the_next_calendar_year_carries_its_year() -> None:
    aside = only(tax_insights(professional_2026(date(2026, 12, 20))), "tax_set_aside")
    # Rs 2,08,000 over the 2 whole months from 20 December to 15 March
    assert aside.title == "Set aside ₹1,04,000 a month for advance tax"
    assert "₹2,08,000, is due on 15 Mar 2027;" in aside.message
    assert "has it saved in time" in aside.message  # the only instalment
    # Rs 40 lakh received, nothing expected: no range to give.
    assert aside.message.endswith("your tax for 2026-27 comes to about ₹2,08,000.")


# ---------------------------------------------------------------- GST threshold


def test_a_gst_crossing_ahead_is_told_with_indian_grouping() -> None:
    # Rs 12 lakh so far and Rs 24 lakh expected: Rs 20 lakh is passed on 21 October.
    gst = only(tax_insights(regular_outlook(date(2025, 8, 1))), "gst_threshold")
    assert gst.severity is Severity.INFO
    assert gst.title == (
        "At this pace your receipts cross the GST threshold of ₹20,00,000 around 21 Oct"
    )
    assert "Your receipts for 2025-26 are ₹12,00,000 so far" in gst.message
    assert "registration within 30 days" in gst.message
    assert gst.metrics["reached_on"] == "2025-10-21"
    assert gst.metrics["days_until_reached"] == 81


def manipur_outlook(expected_rest: int, registered: bool = False) -> TaxOutlook:
    # Rs 9 lakh by 1 May against the Rs 10 lakh threshold; 334 days to 31 March.
    return tax_outlook(
        FY_2025_26,
        TaxProfile(gst_state="Manipur", gst_registered=registered),
        receipts=[Receipt(date(2025, 4, 10), D(900_000))],
        expected_rest=ReceiptsRange(D(expected_rest), D(expected_rest), D(expected_rest)),
        as_of=date(2025, 5, 1),
    )


def test_a_gst_crossing_within_30_days_warns() -> None:
    # Rs 5,000 a day passes the remaining Rs 1 lakh on the 21st day, 22 May.
    gst = only(tax_insights(manipur_outlook(1_670_000)), "gst_threshold")
    assert gst.severity is Severity.WARNING
    assert gst.title.endswith("threshold of ₹10,00,000 around 22 May")


def test_a_gst_crossing_far_off_or_when_registered_is_not_told() -> None:
    # Rs 1,000 a day passes it on the 101st day (10 August), within 120 days: INFO ...
    ahead = only(tax_insights(manipur_outlook(334_000)), "gst_threshold")
    assert (ahead.severity, ahead.metrics["days_until_reached"]) == (Severity.INFO, 101)
    # ... Rs 500 a day on the 201st, too far ahead to say.
    assert "gst_threshold" not in kinds(tax_insights(manipur_outlook(167_000)))
    assert "gst_threshold" not in kinds(tax_insights(manipur_outlook(1_670_000, registered=True)))
    no_state = regular_outlook(date(2025, 8, 1))
    no_state = replace(no_state, gst_threshold=None, gst_threshold_reached_on=None)
    assert "gst_threshold" not in kinds(tax_insights(no_state))


def test_a_crossed_gst_threshold_gives_30_days_to_register() -> None:
    # Rs 10 lakh each on 5 April and 5 June make exactly Rs 20 lakh; 5 August passes it.
    gst = only(tax_insights(professional_2026(date(2026, 8, 20), "MH")), "gst_threshold")
    assert gst.severity is Severity.WARNING
    assert gst.title == (
        "Your receipts crossed the GST threshold of ₹20,00,000 on 5 Aug: registration is due "
        "within 30 days"
    )
    assert gst.message.endswith("registration within 30 days of that day, by 4 Sep.")
    assert gst.metrics["registration_due"] == "2026-09-04"
    assert (gst.period_start, gst.period_end) == (date(2026, 8, 5), date(2026, 9, 4))


def test_a_missed_gst_registration_says_it_was_due() -> None:
    gst = only(tax_insights(professional_2026(date(2027, 1, 10), "MH")), "gst_threshold")
    assert gst.title.endswith("on 5 Aug 2026: registration was due by 4 Sep 2026")
    assert gst.message.endswith("so it was due by 4 Sep 2026: apply now.")


# ---------------------------------------------------------------- scheme limit and interest


def test_a_presumptive_scheme_over_its_limit_warns_with_the_reason() -> None:
    outlook = tax_outlook(
        FY_2025_26,
        TaxProfile(Regime.NEW, Scheme.SECTION_44ADA, business_expenses=D(2_000_000)),
        receipts=[Receipt(date(2025, 4, 10), D(1_000_000))],
        expected_rest=ReceiptsRange(D(5_000_000), D(3_000_000), D(5_000_000)),
        as_of=date(2025, 5, 1),
        cash_share=D("0.10"),
    )
    limit = only(tax_insights(outlook), "tax_scheme_limit")
    assert limit.severity is Severity.WARNING
    assert outlook.scheme_problem is not None
    assert limit.message == outlook.scheme_problem
    assert "Section 44ADA no longer applies" in limit.message
    assert (limit.metrics["scheme"], limit.metrics["scheme_applied"]) == (
        "SECTION_44ADA",
        "REGULAR",
    )
    assert "tax_scheme_limit" not in kinds(tax_insights(regular_outlook(date(2025, 8, 1))))


def test_interest_while_the_year_runs() -> None:
    interest = only(tax_insights(regular_outlook(date(2025, 8, 1))), "tax_interest")
    assert interest.severity is Severity.WARNING
    assert interest.title == "Late advance tax has cost ₹1,704 in interest so far"
    assert (
        "Interest for late advance tax for 2025-26 (s.234B and s.234C of the Income-tax Act, "
        "1961) comes to ₹1,704 as of 1 Aug." in interest.message
    )
    assert "Paying the coming instalments in full and on time" in interest.message
    assert (interest.metrics["interest_234b"], interest.metrics["interest_234c"]) == (0.0, 1_704.0)


def test_interest_after_the_year_names_what_is_unpaid() -> None:
    # 44ADA, Rs 1,00,000 of Rs 1,68,000 paid by 10 March: 234C Rs 680 and 234B Rs 2,040 by June.
    outlook = tax_outlook(
        FY_2025_26,
        TaxProfile(Regime.NEW, Scheme.SECTION_44ADA),
        receipts=monthly_receipts(2025, (4, 6, 8, 10), 1_000_000),
        expected_rest=ReceiptsRange(D(0), D(0), D(0)),
        as_of=date(2026, 6, 10),
        tds_credited=D(40_000),
        payments=[advance(date(2026, 3, 10), 100_000)],
    )
    insights = tax_insights(outlook)
    interest = only(insights, "tax_interest")
    assert interest.title == "Late advance tax has cost ₹2,720 in interest so far"
    assert "₹68,000 of the year's tax is still unpaid" in interest.message
    assert kinds(insights) == {"tax_interest"}  # nothing is left to pay as advance tax


def test_interest_under_the_2025_act_names_its_sections() -> None:
    # Nothing paid by 15 March 2027: 1% of Rs 2,08,000 (s.425, was 234C).
    outlook = professional_2026(date(2027, 3, 20))
    interest = only(tax_insights(outlook), "tax_interest")
    assert interest.title == "Late advance tax has cost ₹2,080 in interest so far"
    assert "(s.424 and s.425 of the Income-tax Act, 2025)" in interest.message
    assert interest_sections(replace(outlook, rules_version="by hand")) == "s.234B and s.234C"
    due = only(tax_insights(outlook), "advance_tax_due")
    assert due.title == "Advance tax of ₹2,08,000 is due on 31 Mar"


def test_no_interest_no_insight() -> None:
    outlook = replace(regular_outlook(date(2025, 8, 1)), interest_234c=D(0))
    assert "tax_interest" not in kinds(tax_insights(outlook))


# ---------------------------------------------------------------- with the other rules


def test_tax_rules_run_with_the_others_and_are_ordered() -> None:
    assert set(TAX_RULES) <= set(RULES)
    outlook = regular_outlook(date(2025, 9, 5))
    insights = generate_insights(replace(empty_context(outlook.as_of), tax=outlook))
    assert [i.kind for i in insights] == ["advance_tax_due", "tax_interest", "gst_threshold"]
    assert [i.severity for i in insights] == [Severity.WARNING, Severity.WARNING, Severity.INFO]
