from decimal import Decimal

import pytest

from gql_server.core.money_format import format_inr


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("107954"), "₹1,07,954"),
        (Decimal("261128.40"), "₹2,61,128"),
        (Decimal("12345678.50"), "₹1,23,45,678"),
        (Decimal("999"), "₹999"),
        (Decimal("-18000"), "-₹18,000"),
        (0, "₹0"),
    ],
)
def test_lakhs_and_crores(amount, text) -> None:
    assert format_inr(amount) == text


def test_paise_when_asked() -> None:
    assert format_inr(Decimal("4819.41"), paise=True) == "₹4,819.41"
