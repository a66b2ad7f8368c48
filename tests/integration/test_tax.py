"""Tax ahead through the API: the profile, payments, the year's outlook from the ledger, and
the instalments as known outflows of the forecast (the ledger's clock is pinned to 28 Nov 2026,
in financial year 2026-27)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from gql_server.models import Direction, IncomeSource, TaxPayment, TaxProfile, Transaction, User
from gql_server.services.balances import recompute_balances
from gql_server.services.outlook import inputs
from tests.conftest import BOTH_BACKENDS, Api, error_code

PROFILE = """{ regime scheme deductions businessExpenseCategories receiptCategories
  gstRegistered state inForecast }"""
UPDATE = f"mutation($i: TaxProfileInput!) {{ updateTaxProfile(input: $i) {PROFILE} }}"
PAY = """mutation($i: TaxPaymentInput!) { recordTaxPayment(input: $i) {
  id amount paidOn kind financialYear } }"""
OUTLOOK = """query($y: String) { taxOutlook(financialYear: $y) {
  financialYear rulesVersion asOf scheme schemeApplied schemeProblem receiptsToDate grossReceipts
  grossReceiptsRange { low high } taxableIncome taxBeforeCess cess totalTax
  totalTaxRange { low high } tdsCredited advanceTaxPaid balancePayable
  instalments { dueDate cumulativePercent cumulativeDue paid shortfall }
  interest234B interest234C nextInstalmentDate nextInstalmentAmount monthlySetAside
  gstThreshold gstThresholdReachedOn sources } }"""
FORECAST = """query($s: ScenarioInput) { forecast(horizonDays: 30, scenario: $s,
  maxStalenessSeconds: 0) { expectedOutflow stale } }"""


def reason(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"].get("reason", "")


async def _rows(user_id: int, rows: Sequence[tuple[datetime, str, str, str, int | None]]) -> None:
    """(when, amount, category, merchant, income source): income unless the category is an
    expense one."""
    expense = {"Taxes", "Rent", "Groceries", "Shopping"}
    await Transaction.bulk_create(
        [
            Transaction(
                user_id=user_id,
                occurred_at=at,
                amount=Decimal(amount),
                direction=Direction.EXPENSE if category in expense else Direction.INCOME,
                category=category,
                merchant=merchant,
                income_source_id=source,
            )
            for at, amount, category, merchant, source in rows
        ]
    )
    async with in_transaction() as connection:
        await recompute_balances(user_id, datetime(2000, 1, 1, tzinfo=UTC), connection)


def _monthly(first: date, months: int, amount: str, day: int = 10) -> list[date]:
    out, year, month = [], first.year, first.month
    for _ in range(months):
        out.append(date(year, month, day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


async def _me(api: Api) -> User:
    return await User.get(email="priya@example.in")


@BOTH_BACKENDS
async def test_profile_has_defaults_until_saved_and_then_counts_in_the_forecast(api: Api) -> None:
    await api.register()
    body = await api.post(f"{{ taxProfile {PROFILE} }}")
    assert body["data"]["taxProfile"] == {
        "regime": "NEW",
        "scheme": "SECTION_44ADA",
        "deductions": "0.00",
        "businessExpenseCategories": [],
        "receiptCategories": ["Freelance income", "Platform payout"],
        "gstRegistered": False,
        "state": None,
        "inForecast": False,
    }
    body = await api.post(
        UPDATE,
        {
            "i": {
                "regime": "OLD",
                "scheme": "REGULAR",
                "deductions": "150000",
                "businessExpenseCategories": ["Mobile & internet", " Travel ", "Travel"],
                "state": "Karnataka",
            }
        },
    )
    saved = body["data"]["updateTaxProfile"]
    assert saved["regime"] == "OLD"
    assert saved["scheme"] == "REGULAR"
    assert saved["deductions"] == "150000.00"
    assert saved["businessExpenseCategories"] == ["Mobile & internet", "Travel"]
    assert saved["state"] == "Karnataka"
    assert saved["inForecast"] is True
    # A partial update keeps the rest.
    body = await api.post(UPDATE, {"i": {"gstRegistered": True}})
    assert body["data"]["updateTaxProfile"]["regime"] == "OLD"
    assert body["data"]["updateTaxProfile"]["gstRegistered"] is True


@BOTH_BACKENDS
@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"state": "Atlantis"}, "UNKNOWN_STATE"),
        ({"deductions": "-5"}, "INVALID_DEDUCTION"),
        ({"deductions": "1000000000000"}, "INVALID_DEDUCTION"),
        ({"businessExpenseCategories": ["x" * 41]}, "INVALID_CATEGORIES"),
    ],
)
async def test_bad_profile_input_is_coded_and_saves_nothing(
    api: Api, change: dict, why: str
) -> None:
    await api.register()
    body = await api.post(UPDATE, {"i": change})
    assert error_code(body) == "BAD_USER_INPUT"
    assert reason(body) == why
    assert not await TaxProfile.exists()


@BOTH_BACKENDS
@pytest.mark.parametrize(
    ("payment", "why"),
    [
        ({"amount": "5000", "paidOn": "2026-12-15"}, "INVALID_DATE"),  # after today
        ({"amount": "100000000.01", "paidOn": "2026-09-15"}, "INVALID_AMOUNT"),  # > Rs 10 crore
        ({"amount": "0", "paidOn": "2026-09-15"}, "INVALID_AMOUNT"),
        (
            {"amount": "5000", "paidOn": "2026-09-15", "financialYear": "2030-31"},
            "UNSUPPORTED_FINANCIAL_YEAR",
        ),
        ({"amount": "5000", "paidOn": "2025-01-15", "financialYear": "2025-26"}, "INVALID_DATE"),
        # TDS of a year is dated within it: one dated after broke that year's outlook for good.
        (
            {"amount": "5000", "paidOn": "2026-04-10", "kind": "TDS", "financialYear": "2025-26"},
            "INVALID_DATE",
        ),
    ],
)
async def test_bad_tax_payments_are_coded_and_write_nothing(
    api: Api, payment: dict, why: str
) -> None:
    await api.register()
    body = await api.post(PAY, {"i": payment})
    assert (error_code(body), reason(body)) == ("BAD_USER_INPUT", why), body
    assert not await TaxPayment.exists()


@BOTH_BACKENDS
async def test_a_year_that_is_over_is_exact_with_its_interest(api: Api) -> None:
    """FY 2025-26 under 44ADA, new regime: Rs 30 lakh of fees -> Rs 15 lakh deemed income ->
    tax Rs 1,05,000 (5% of 4-8 lakh, 10% of 8-12, 15% of 12-15) + 4% cess = Rs 1,09,200.
    Nothing paid by 15 March: 234C is 1% of it for one month; 234B 1% a month from 1 April
    2026 to 28 November (8 months or part)."""
    await api.register()
    user = await _me(api)
    fees = [
        (
            datetime(d.year, d.month, d.day, 6, tzinfo=UTC),
            "250000.00",
            "Freelance income",
            "Acme",
            None,
        )
        for d in _monthly(date(2025, 4, 1), 12, "250000.00")
    ]
    salary = [(datetime(2025, 6, 1, 6, tzinfo=UTC), "40000.00", "Salary", "Employer", None)]
    await _rows(user.id, fees + salary)

    body = await api.post(OUTLOOK, {"y": "2025-26"})
    found = body["data"]["taxOutlook"]
    assert found["financialYear"] == "2025-26"
    assert found["asOf"] == "2026-11-28"
    assert found["grossReceipts"] == "3000000.00" == found["receiptsToDate"]
    assert found["grossReceiptsRange"] == {"low": "3000000.00", "high": "3000000.00"}
    assert found["taxableIncome"] == "1500000.00"
    assert found["totalTax"] == "109200.00"
    assert [i["dueDate"] for i in found["instalments"]] == ["2026-03-15"]
    assert found["instalments"][0]["shortfall"] == "109200.00"
    assert found["interest234C"] == "1092.00"
    assert found["interest234B"] == "8736.00"
    assert found["nextInstalmentDate"] is None
    assert found["monthlySetAside"] == "0.00"
    assert any("44ADA" in s for s in found["sources"])

    # Paid on time: no interest (recorded once, and again found in the ledger: counted once).
    body = await api.post(
        PAY, {"i": {"amount": "109200", "paidOn": "2026-03-10", "financialYear": "2025-26"}}
    )
    assert body["data"]["recordTaxPayment"]["kind"] == "ADVANCE_TAX", body
    await _rows(
        user.id,
        [
            (
                datetime(2026, 3, 11, 6, tzinfo=UTC),
                "109200.00",
                "Taxes",
                "ADVANCE TAX CHALLAN 280",
                None,
            )
        ],
    )
    found = (await api.post(OUTLOOK, {"y": "2025-26"}))["data"]["taxOutlook"]
    assert found["advanceTaxPaid"] == "109200.00"
    assert found["interest234B"] == "0.00"
    assert found["interest234C"] == "0.00"
    assert found["balancePayable"] == "0.00"


@BOTH_BACKENDS
async def test_tds_grosses_up_receipts_and_ledger_tax_payments_count(api: Api) -> None:
    await api.register()
    user = await _me(api)
    body = await api.post(
        """mutation { createIncomeSource(input: {name: "Big Client", tdsPercent: "10"}) {
          id tdsPercent } }"""
    )
    assert body["data"]["createIncomeSource"]["tdsPercent"] == "10.00", body
    source = await IncomeSource.get(user_id=user.id)
    await _rows(
        user.id,
        [
            (
                datetime(2026, 5, 5, 6, tzinfo=UTC),
                "90000.00",
                "Freelance income",
                "Big Client",
                source.id,
            ),
            (datetime(2026, 6, 5, 6, tzinfo=UTC), "50000.00", "Platform payout", "Swiggy", None),
            (
                datetime(2026, 6, 14, 6, tzinfo=UTC),
                "15000.00",
                "Taxes",
                "Advance tax ITNS 280",
                None,
            ),
            (datetime(2026, 7, 1, 6, tzinfo=UTC), "5000.00", "Taxes", "GST payment", None),
            # Last year's self-assessment tax, paid this July: not this year's advance tax.
            (
                datetime(2026, 7, 25, 6, tzinfo=UTC),
                "50000.00",
                "Taxes",
                "CBDT SELF ASSESSMENT TAX AY 2026-27",
                None,
            ),
        ],
    )
    found = (await api.post(OUTLOOK))["data"]["taxOutlook"]
    assert found["financialYear"] == "2026-27"
    assert found["receiptsToDate"] == "150000.00"  # 90,000 arrived of a 1,00,000 fee
    assert found["tdsCredited"] == "10000.00"
    assert found["advanceTaxPaid"] == "15000.00"  # the GST payment is not income tax

    # TDS recorded (from Form 26AS, say) is part of the receipts and replaces the estimate
    # from the source's rate: the same tax is not counted twice.
    paid = await api.post(PAY, {"i": {"amount": "10000", "paidOn": "2026-05-05", "kind": "TDS"}})
    assert paid["data"]["recordTaxPayment"]["financialYear"] == "2026-27", paid
    found = (await api.post(OUTLOOK))["data"]["taxOutlook"]
    assert found["receiptsToDate"] == "150000.00"
    assert found["tdsCredited"] == "10000.00"

    body = await api.post(
        'mutation($id: ID!) { updateIncomeSource(id: $id, input: {tdsPercent: "120"}) { id } }',
        {"id": body["data"]["createIncomeSource"]["id"]},
    )
    assert error_code(body) == "BAD_USER_INPUT"


async def _earner(api: Api) -> User:
    """Thirteen months of Rs 3 lakh fees on the 5th and rent on the 1st: advance tax under
    the regular scheme is due in quarterly instalments, the next on 15 December."""
    await api.register()
    user = await _me(api)
    rows = [
        (
            datetime(d.year, d.month, d.day, 6, tzinfo=UTC),
            "300000.00",
            "Freelance income",
            "Acme",
            None,
        )
        for d in _monthly(date(2025, 11, 1), 13, "300000.00", day=5)
    ] + [
        (datetime(d.year, d.month, d.day, 6, tzinfo=UTC), "30000.00", "Rent", "Landlord", None)
        for d in _monthly(date(2025, 11, 1), 13, "30000.00", day=1)
    ]
    await _rows(user.id, rows)
    return user


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_instalments_are_known_outflows_and_a_what_if_can_pay_them_early(api: Api) -> None:
    await _earner(api)
    before = Decimal((await api.post(FORECAST))["data"]["forecast"]["expectedOutflow"])

    body = await api.post(UPDATE, {"i": {"scheme": "REGULAR"}})
    assert "errors" not in body, body
    found = (await api.post(OUTLOOK))["data"]["taxOutlook"]
    assert found["nextInstalmentDate"] == "2026-12-15"
    due = Decimal(found["nextInstalmentAmount"])
    assert due > 0
    assert Decimal(found["monthlySetAside"]) > 0
    after = Decimal((await api.post(FORECAST))["data"]["forecast"]["expectedOutflow"])
    assert abs(after - before - due) < 1, (before, after, due)

    # Paying every instalment on 1 December puts all that is still owed in the 30 days.
    owed = Decimal(found["instalments"][-1]["shortfall"])
    body = await api.post(FORECAST, {"s": {"payAdvanceTaxOn": "2026-12-01"}})
    early = Decimal(body["data"]["forecast"]["expectedOutflow"])
    assert abs(early - before - owed) < 1, (before, early, owed)
    body = await api.post(FORECAST, {"s": {"payAdvanceTaxOn": "2027-02-01"}})
    assert error_code(body) == "BAD_USER_INPUT"

    insights = (await api.post("{ insights(first: 20) { kind title } }"))["data"]["insights"]
    assert any(i["kind"] == "advance_tax_due" and "15 Dec" in i["title"] for i in insights)

    plan = (await api.post("{ smoothingPlan { monthlyTaxSetAside } }"))["data"]["smoothingPlan"]
    assert plan["monthlyTaxSetAside"] == found["monthlySetAside"]


async def test_tax_is_the_callers_own(api: Api) -> None:
    body = await api.post(OUTLOOK)
    assert error_code(body) == "UNAUTHENTICATED"
    body = await api.post(PAY, {"i": {"amount": "100", "paidOn": "2026-09-15"}})
    assert error_code(body) == "UNAUTHENTICATED"
    await api.register()
    await api.post(PAY, {"i": {"amount": "100", "paidOn": "2026-09-15"}})
    other = Api(api.client)
    await other.register(email="ravi@example.in")
    found = (await other.post(OUTLOOK))["data"]["taxOutlook"]
    assert found["advanceTaxPaid"] == "0.00"


async def test_unsupported_year_is_coded(api: Api) -> None:
    await api.register()
    body = await api.post(OUTLOOK, {"y": "2019-20"})
    assert error_code(body) == "BAD_USER_INPUT"
    assert reason(body) == "UNSUPPORTED_FINANCIAL_YEAR"


async def test_a_category_rule_applied_to_old_rows_makes_the_outlook_stale(api: Api) -> None:
    """The tax reads categories: a rule that moves income into a receipt category must change
    the outlook's fingerprint (a bulk update left updated_at, and so the fingerprint, alone)."""
    await api.register()
    user = await _me(api)
    await _rows(
        user.id, [(datetime(2026, 6, 5, 6, tzinfo=UTC), "90000.00", "Other income", "Acme", None)]
    )
    before = await inputs.fingerprint(user, date(2026, 11, 27))
    body = await api.post(
        """mutation { createCategoryRule(input: {narrationContains: "acme",
          setCategory: "Freelance income"}) { id } }"""
    )
    assert "errors" not in body, body
    applied = await api.post("mutation { applyCategoryRules { changed } }")
    assert "errors" not in applied, applied
    assert await inputs.fingerprint(user, date(2026, 11, 27)) != before
