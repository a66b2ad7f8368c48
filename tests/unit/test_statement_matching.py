"""Exactly once: re-imports, overlapping statements, identical rows, rows entered by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gql_server.core.statements.matching import Existing, Incoming, match_lines, narration_key

DAY = date(2026, 3, 10)


def line(
    amount: str,
    narration: str = "UPI-DMRC-dmrc@paytm-PYTM0123456-metro",
    *,
    day: date = DAY,
    reference: str | None = None,
    counterparty: str = "DMRC",
    credit: bool = False,
) -> Incoming:
    return Incoming(day, Decimal(amount), credit, narration, reference, counterparty)


def held(row_id: int, source: Incoming, *, imported: bool = True) -> Existing:
    return Existing(
        id=row_id,
        day=source.day,
        amount=source.amount,
        credit=source.credit,
        narration=source.narration if imported else "",
        reference=source.reference if imported else None,
        counterparty=source.counterparty,
        imported=imported,
    )


def test_two_identical_rows_in_one_file_both_stay() -> None:
    metro = line("40.00")
    matches = match_lines([metro, metro], [])
    assert matches.added == (0, 1)


def test_reimporting_the_same_file_adds_nothing() -> None:
    lines = [line("40.00"), line("40.00"), line("2500.00", "NEFT CR-ACME", reference="N1")]
    existing = [held(i + 1, source) for i, source in enumerate(lines)]
    matches = match_lines(lines, existing)
    assert matches.added == ()
    assert matches.duplicates == (0, 1, 2)


def test_an_overlapping_statement_adds_only_the_new_rows() -> None:
    first = [line("40.00"), line("40.00")]
    second = [*first, line("40.00"), line("99.00", day=date(2026, 3, 11))]
    matches = match_lines(second, [held(i + 1, s) for i, s in enumerate(first)])
    assert matches.duplicates == (0, 1)
    assert matches.added == (2, 3)


def test_the_bank_reference_wins_over_a_changed_narration() -> None:
    before = line("1200.00", "IMPS-412345678901-RAVI", reference="412345678901")
    after = line("1200.00", "IMPS/412345678901/Ravi Kumar", reference="412345678901")
    assert match_lines([after], [held(1, before)]).duplicates == (0,)


def test_a_row_entered_by_hand_is_linked_not_doubled() -> None:
    by_hand = Existing(
        id=7, day=date(2026, 3, 9), amount=Decimal("349.00"), credit=False, narration="dinner",
        reference=None, counterparty="Swiggy", imported=False,
    )  # fmt: skip
    statement = line("349.00", "UPI-SWIGGY-swiggy@ybl-YESB0YBLUPI-412345678901-Payment",
                     counterparty="Swiggy", reference="412345678901")  # fmt: skip
    assert match_lines([statement], [by_hand]).links == ((0, 7),)


def test_a_different_counterparty_or_date_is_not_linked() -> None:
    by_hand = Existing(
        id=7, day=date(2026, 3, 5), amount=Decimal("349.00"), credit=False, narration="",
        reference=None, counterparty="Swiggy", imported=False,
    )  # fmt: skip
    far = line("349.00", counterparty="Swiggy")  # five days later
    other = line("349.00", day=date(2026, 3, 6), counterparty="Zomato")
    matches = match_lines([far, other], [by_hand])
    assert matches.links == ()
    assert matches.added == (0, 1)


def test_a_row_linked_before_is_a_duplicate_next_time() -> None:
    by_hand = Existing(
        id=7, day=DAY, amount=Decimal("40.00"), credit=False, narration="metro",
        reference=None, counterparty="DMRC", imported=False, confirmed=True,
    )  # fmt: skip
    matches = match_lines([line("40.00")], [by_hand])
    assert matches.duplicates == (0,)
    assert matches.links == ()


def test_direction_matters() -> None:
    refund = line("40.00", credit=True)
    assert match_lines([refund], [held(1, line("40.00"))]).added == (0,)


def test_narrations_compare_without_case_spacing_or_punctuation() -> None:
    assert narration_key("UPI-SWIGGY-swiggy@ybl ") == narration_key("upi swiggy  SWIGGY.ybl")
