import pytest

from gql_server.core.categories import categorize, normalize_category


@pytest.mark.parametrize(
    ("merchant", "category"),
    [
        ("Zomato", "Food delivery"),
        ("SWIGGY order #4411", "Food delivery"),
        ("Swiggy Instamart", "Groceries"),
        ("BigBasket", "Groceries"),
        ("DMart Ready", "Groceries"),
        ("Blinkit", "Groceries"),
        ("Ola Cabs", "Transport"),
        ("Uber India", "Transport"),
        ("Rapido", "Transport"),
        ("Jio Prepaid Recharge", "Mobile & internet"),
        ("Airtel Xstream Fiber", "Mobile & internet"),
        ("BESCOM bill", "Electricity"),
        ("Amazon.in", "Shopping"),
        ("Myntra", "Shopping"),
        ("HDFC Home Loan EMI", "EMI"),
        ("LIC premium", "Insurance"),
        ("Netflix", "Subscriptions"),
        ("Rent - Mr. Iyer", "Rent"),
        ("UPI/ramesh@okaxis", "UPI transfer"),
        ("Some unknown shop", "Other"),
    ],
)
def test_expense_merchants_get_their_category(merchant: str, category: str) -> None:
    assert categorize(merchant, income=False) == category


def test_whole_words_only_so_vi_does_not_match_inside_words() -> None:
    assert categorize("Vivek Stationers", income=False) == "Other"
    assert categorize("Vi postpaid", income=False) == "Mobile & internet"


@pytest.mark.parametrize(
    ("merchant", "category"),
    [
        ("Upwork Escrow", "Platform payout"),
        ("Swiggy partner payout", "Platform payout"),
        ("Acme Design Studio", "Other income"),
        ("Amazon refund", "Refund"),
    ],
)
def test_income_has_its_own_rules(merchant: str, category: str) -> None:
    assert categorize(merchant, income=True) == category


def test_category_text_is_normalised() -> None:
    assert normalize_category("  food   DELIVERY ") == "Food delivery"
    assert normalize_category("coworking  space") == "Coworking space"
    with pytest.raises(ValueError, match="empty"):
        normalize_category("   ")
    with pytest.raises(ValueError, match="40"):
        normalize_category("x" * 41)
