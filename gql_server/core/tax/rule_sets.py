"""The supported years: FY 2025-26 under the Income-tax Act 1961 (rates of the Finance Act
2025) and tax year 2026-27 under the Income-tax Act 2025 (rates of the Finance Act 2026, which
kept every slab, the rebate, the surcharge and the cess of 2025-26). Same numbers, renumbered
sections; each rule names its section in both Acts and a public page that states it.

Where a 2025-Act provision could not be checked against its text, its source says so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gql_server.core.tax.errors import TaxError, TaxErrorCode
from gql_server.core.tax.rules import (
    InstalmentRule,
    PresumptiveRules,
    Rebate,
    Regime,
    RegimeRules,
    Scheme,
    Slab,
    SurchargeBand,
    TaxRules,
)
from gql_server.core.tax.years import financial_year, financial_year_of

D = Decimal
LAKH = D(100_000)
CRORE = D(10_000_000)

# New regime, FY 2025-26 onwards: nil to 4 lakh, then 5% steps every 4 lakh up to 30% above
# 24 lakh (Finance Act 2025, unchanged by the Finance Act 2026).
NEW_SLABS = (
    Slab(4 * LAKH, D(0)),
    Slab(8 * LAKH, D("0.05")),
    Slab(12 * LAKH, D("0.10")),
    Slab(16 * LAKH, D("0.15")),
    Slab(20 * LAKH, D("0.20")),
    Slab(24 * LAKH, D("0.25")),
    Slab(None, D("0.30")),
)
# Old regime, individual below 60: nil to 2.5 lakh, 5% to 5 lakh, 20% to 10 lakh, then 30%.
OLD_SLABS = (
    Slab(D(250_000), D(0)),
    Slab(5 * LAKH, D("0.05")),
    Slab(10 * LAKH, D("0.20")),
    Slab(None, D("0.30")),
)
# Surcharge on income-tax: 10% above 50 lakh, 15% above 1 crore, 25% above 2 crore, 37% above
# 5 crore; the new regime stops at 25%.
OLD_SURCHARGE = (
    SurchargeBand(50 * LAKH, D("0.10")),
    SurchargeBand(CRORE, D("0.15")),
    SurchargeBand(2 * CRORE, D("0.25")),
    SurchargeBand(5 * CRORE, D("0.37")),
)
NEW_SURCHARGE = OLD_SURCHARGE[:3]
NEW_REBATE = Rebate(income_limit=12 * LAKH, maximum=D(60_000), marginal_relief=True)
OLD_REBATE = Rebate(income_limit=5 * LAKH, maximum=D(12_500), marginal_relief=False)
CESS_RATE = D("0.04")
ADVANCE_TAX_THRESHOLD = D(10_000)
# 15 June 15% (no interest if 12% paid), 15 Sep 45% (36%), 15 Dec 75%, 15 Mar 100%; interest
# 1% a month for 3 months on the first three shortfalls, 1% on the last.
INSTALMENTS = (
    InstalmentRule(6, 15, D(15), D(12), D(3)),
    InstalmentRule(9, 15, D(45), D(36), D(3)),
    InstalmentRule(12, 15, D(75), D(75), D(3)),
    InstalmentRule(3, 15, D(100), D(100), D(1)),
)
PRESUMPTIVE_INSTALMENTS = (InstalmentRule(3, 15, D(100), D(100), D(1)),)
ASSUMPTIONS = (
    "Assumes a resident individual below 60 whose income is business or professional "
    "receipts only (no salary, capital gains or other heads)."
)


def _section_44ada(source: str) -> PresumptiveRules:
    return PresumptiveRules(
        Scheme.SECTION_44ADA, 50 * LAKH, 75 * LAKH, D("0.05"), D("0.50"), D("0.50"), source
    )


def _section_44ad(source: str) -> PresumptiveRules:
    return PresumptiveRules(
        Scheme.SECTION_44AD, 2 * CRORE, 3 * CRORE, D("0.05"), D("0.06"), D("0.08"), source
    )


_FY_2025_26 = financial_year("2025-26")
FY_2025_26 = TaxRules(
    version="IN FY 2025-26 v1 (Income-tax Act 1961; rates of the Finance Act 2025)",
    financial_year=_FY_2025_26.label,
    act="Income-tax Act, 1961 (assessment year 2026-27)",
    start=_FY_2025_26.start,
    end=_FY_2025_26.end,
    new_regime=RegimeRules(
        regime=Regime.NEW,
        slabs=NEW_SLABS,
        rebate=NEW_REBATE,
        surcharge=NEW_SURCHARGE,
        deductions_allowed=False,
        slabs_source="New regime slabs: s.115BAC(1A) as amended by the Finance Act 2025 "
        "(https://www.taxtmi.com/manuals?id=7939)",
        rebate_source="Rebate: s.87A first proviso, up to Rs 60,000 for total income up to "
        "Rs 12 lakh, marginal relief above it (https://www.taxtmi.com/tmi_blog_details?id=392522)",
        surcharge_source="Surcharge 10/15/25% above Rs 50 lakh/1 crore/2 crore, capped at 25% "
        "under s.115BAC, with marginal relief: Finance Act 2025, First Schedule Part III "
        "(https://cleartax.in/s/marginal-relief-surcharge)",
        deductions_source="Deductions: none under the new regime for this profile; "
        "s.115BAC(2) keeps only 80CCD(2) and 80JJAA, which do not apply to a freelancer's own "
        "receipts (https://support.kdksoftware.com/portal/en/kb/articles/section-115bac)",
    ),
    old_regime=RegimeRules(
        regime=Regime.OLD,
        slabs=OLD_SLABS,
        rebate=OLD_REBATE,
        surcharge=OLD_SURCHARGE,
        deductions_allowed=True,
        slabs_source="Old regime slabs (individual below 60): Finance Act 2025, First "
        "Schedule Part III, para A (https://www.taxtmi.com/tmi_blog_details?id=794669)",
        rebate_source="Rebate: s.87A, up to Rs 12,500 for total income up to Rs 5 lakh "
        "(https://www.caclubindia.com/acts/26907-section-87a-income-tax-act-1961.asp)",
        surcharge_source="Surcharge 10/15/25/37% above Rs 50 lakh/1 crore/2 crore/5 crore with "
        "marginal relief: Finance Act 2025, First Schedule Part III "
        "(https://cleartax.in/s/marginal-relief-surcharge)",
        deductions_source="Deductions: Chapter VI-A (80C and the rest) as declared, limited to "
        "gross total income by s.80A(2)",
    ),
    section_44ada=_section_44ada(
        "Presumptive profession: s.44ADA, 50% of gross receipts up to Rs 50 lakh, Rs 75 lakh "
        "when cash receipts are at most 5% (Finance Act 2023) "
        "(https://www.taxtmi.com/acts?id=41194)"
    ),
    section_44ad=_section_44ad(
        "Presumptive business: s.44AD, 6% of digital and 8% of other turnover up to Rs 2 crore, "
        "Rs 3 crore when cash receipts are at most 5% (https://www.taxtmi.com/acts?id=3590, "
        "https://www.taxtmi.com/acts?id=41387)"
    ),
    cess_rate=CESS_RATE,
    cess_source="Health and Education Cess 4% of income-tax and surcharge: Finance Act 2025 "
    "(https://www.luzenta.com/blog/comprehensive-guide-to-tax-rates-surcharge-and-cess-for-ay-2025-26-2026-27)",
    rounding_source="Total income to the nearest Rs 10: s.288A; tax payable to the nearest "
    "Rs 10: s.288B (https://taxmanagementindia.com/visitor/detail_act.asp?ID=3492)",
    advance_tax_threshold=ADVANCE_TAX_THRESHOLD,
    advance_tax_source="Advance tax: due when the year's tax less TDS is Rs 10,000 or more "
    "(s.208, computed under s.209); instalments of 15/45/75/100% by 15 June/Sep/Dec/Mar, or "
    "all by 15 March under s.44AD/44ADA, and paid by 31 March counts as advance tax (s.211) "
    "(https://incometaxmanagement.com/Pages/Tax-Ready-Reckoner/AdvanceTax-Refund/CONTENT-Payment-of-Advance-Tax-and-Refund-of-Tax.html)",
    instalments=INSTALMENTS,
    presumptive_instalments=PRESUMPTIVE_INSTALMENTS,
    instalments_source="s.211(1)",
    interest_234b_paid_share=D("0.90"),
    interest_rate_per_month=D("0.01"),
    interest_234b_source="Interest for default in advance tax: s.234B, 1% a month or part "
    "from 1 April after the year when advance tax paid is below 90% of assessed tax "
    "(https://www.taxtmi.com/acts?id=4095)",
    interest_234c_source="Interest for deferment of advance tax: s.234C, 3% on the June, "
    "September and December shortfalls (none if 12%/36% paid by June/September), 1% on the "
    "March shortfall; only the March one under s.44AD/44ADA "
    "(https://www.taxtmi.com/manuals?id=1457)",
    interest_rounding_source="Interest base rounded down to a multiple of Rs 100, part of a "
    "month a whole month: Income-tax Rules 1962, rule 119A (https://www.taxtmi.com/acts?id=3961)",
    assumptions=ASSUMPTIONS,
)

_TY_2026_27 = financial_year("2026-27")
TY_2026_27 = TaxRules(
    version="IN tax year 2026-27 v1 (Income-tax Act 2025; rates of the Finance Act 2026)",
    financial_year=_TY_2026_27.label,
    act="Income-tax Act, 2025 (tax year 2026-27)",
    start=_TY_2026_27.start,
    end=_TY_2026_27.end,
    new_regime=RegimeRules(
        regime=Regime.NEW,
        slabs=NEW_SLABS,
        rebate=NEW_REBATE,
        surcharge=NEW_SURCHARGE,
        deductions_allowed=False,
        slabs_source="New regime slabs: s.202(1) of the 2025 Act (was s.115BAC) "
        "(https://www.bajajfinserv.in/section-115bac-to-202-tax-changes-2025), unchanged by "
        "Budget 2026 (https://htsyndication.com/ciol/article/budget-2026-replaces-1961-tax-act-with-simplified-code/97170670)",
        rebate_source="Rebate: s.156(2) of the 2025 Act (was s.87A), up to Rs 60,000 for total "
        "income up to Rs 12 lakh, marginal relief above it "
        "(https://eztax.in/income-tax-act-2025/section-156)",
        surcharge_source="Surcharge as for 2025-26, capped at 25% for income taxed under s.202: "
        "Finance Act 2026, First Schedule Part I-B, para F "
        "(https://www.taxtmi.com/tmi_notes?id=2469)",
        deductions_source="Deductions: none under the new regime for this profile; s.202 "
        "allows only what s.115BAC allowed (https://businesstoday.in/amp/personal-finance/"
        "tax/story/section-115bac-on-new-tax-regime-is-section-202-under-income-tax-bill-2025-"
        "check-details-465068-2025-02-18); the 2025-Act numbers of those few deductions were "
        "not verified",
    ),
    old_regime=RegimeRules(
        regime=Regime.OLD,
        slabs=OLD_SLABS,
        rebate=OLD_REBATE,
        surcharge=OLD_SURCHARGE,
        deductions_allowed=True,
        slabs_source="Old regime slabs (individual below 60): Finance Act 2026, First Schedule "
        "Part I-B (https://gazettetracker.com/g/CG-DL-E-31032026-271439), unchanged from "
        "2025-26 (https://newsable.asianetnews.com/amp/business/income-tax-slabs-fy-2026-27-new-"
        "and-old-regime-rates-after-budget-2026-articleshow-qfyug0k)",
        rebate_source="Rebate: s.156(1) of the 2025 Act (was s.87A), up to Rs 12,500 for total "
        "income up to Rs 5 lakh (https://eztax.in/income-tax-act-2025/section-156)",
        surcharge_source="Surcharge 10/15/25/37% with marginal relief: Finance Act 2026, First "
        "Schedule Part I-B, para F, same as 2025-26 (https://www.taxtmi.com/tmi_notes?id=2469)",
        deductions_source="Deductions: as declared, limited to gross total income (the 2025 "
        "Act's deductions chapter; its section numbers, and whether s.58(4) narrows them for "
        "presumptive income, were not verified)",
    ),
    section_44ada=_section_44ada(
        "Presumptive profession: s.58(2) Table Sl. No. 3 of the 2025 Act (was s.44ADA), 50% of "
        "gross receipts up to Rs 50 lakh or Rs 75 lakh with cash at most 5% "
        "(https://taxmanagementindia.com/web/tmi_blog_details.asp?id=805392; the limits were "
        "read from the Bill's clause 58, the enacted table's Sl. No. 3 limits were not seen)"
    ),
    section_44ad=_section_44ad(
        "Presumptive business: s.58(2) Table Sl. No. 1 of the 2025 Act (was s.44AD), 6% of "
        "digital and 8% of other turnover up to Rs 2 crore, Rs 3 crore with cash at most 5% "
        "(https://www.bagrodiaconsultants.com/detail/55551.aspx)"
    ),
    cess_rate=CESS_RATE,
    cess_source="Health and Education Cess 4%: Finance Act 2026 "
    "(https://gazettetracker.com/g/CG-DL-E-31032026-271439)",
    rounding_source="Total income and tax payable to the nearest Rs 10: s.516 of the 2025 Act "
    "(was s.288A and s.288B) (https://aubsp.com/income-tax-act-2025-section-516)",
    advance_tax_threshold=ADVANCE_TAX_THRESHOLD,
    advance_tax_source="Advance tax: due when the year's tax less TDS is Rs 10,000 or more "
    "(s.404, computed under s.405; were s.208/209) "
    "(https://eztax.in/income-tax-act-2025/section-404); instalments 15/45/75/100%, all by 15 "
    "March under s.58(2) Sl. No. 1 or 3, and paid by 31 March counts (s.408, was s.211) "
    "(https://aubsp.com/income-tax-act-2025-section-408)",
    instalments=INSTALMENTS,
    presumptive_instalments=PRESUMPTIVE_INSTALMENTS,
    instalments_source="s.408",
    interest_234b_paid_share=D("0.90"),
    interest_rate_per_month=D("0.01"),
    interest_234b_source="Interest for default in advance tax: s.424 of the 2025 Act (was "
    "s.234B) (https://www.caclubindia.com/acts/33828-interest-for-defaults-in-payment-of-"
    "advance-tax-income-tax-act-2025.asp)",
    interest_234c_source="Interest for deferment of advance tax: s.425 of the 2025 Act (was "
    "s.234C), same table and safe harbours "
    "(https://cabkgoyal.com/section-425-of-income-tax-act-2025-interest-for-deferment-of-advance-tax)",
    interest_rounding_source="Interest base rounded down to a multiple of Rs 100 as in rule "
    "119A of the Income-tax Rules 1962; the corresponding rule under the 2025 Act was not "
    "verified (https://www.taxtmi.com/acts?id=3961)",
    assumptions=ASSUMPTIONS,
)

RULE_SETS: tuple[TaxRules, ...] = (FY_2025_26, TY_2026_27)


def supported_financial_years() -> tuple[str, ...]:
    return tuple(rules.financial_year for rules in RULE_SETS)


def rules_for(financial_year: str) -> TaxRules:
    """The rule set of "2025-26" or "2026-27"; any other year is UNSUPPORTED_FINANCIAL_YEAR
    (never the nearest year's rules: a wrong year's slabs would give a wrong number)."""
    for rules in RULE_SETS:
        if rules.financial_year == financial_year:
            return rules
    supported = ", ".join(supported_financial_years())
    raise TaxError(
        TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR,
        f"no tax rules for financial year {financial_year!r}; supported: {supported}",
    )


def rules_for_date(day: date) -> TaxRules:
    """The rule set of the financial year containing `day`."""
    return rules_for(financial_year_of(day))
