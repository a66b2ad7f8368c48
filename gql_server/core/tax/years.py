"""Financial years (1 April to 31 March), named the Indian way: "2025-26"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from gql_server.core.tax.errors import TaxError, TaxErrorCode

_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class FinancialYear:
    """The financial year (the "previous year" of the 1961 Act, the "tax year" of the 2025 Act):
    1 April of `start.year` to 31 March of the next calendar year."""

    label: str  # "2025-26"
    start: date  # 1 April
    end: date  # 31 March


def financial_year_of(day: date) -> str:
    """The financial year containing `day`: April-December belong to the year starting that
    April, January-March to the year that started the April before."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def financial_year(label: str) -> FinancialYear:
    """The year named "YYYY-YY" (the second part the last two digits of YYYY + 1); any other
    spelling is an UNSUPPORTED_FINANCIAL_YEAR."""
    match = _LABEL.match(label)
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise TaxError(
            TaxErrorCode.UNSUPPORTED_FINANCIAL_YEAR,
            f"a financial year is written like 2025-26, got {label!r}",
        )
    first = int(match[1])
    return FinancialYear(label, date(first, 4, 1), date(first + 1, 3, 31))


def whole_months_between(start: date, end: date) -> int:
    """Complete calendar months from `start` to `end` (1 Aug -> 15 Sep is 1; 16 Jun -> 15 Sep
    is 2); 0 when `end` is not after `start`."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)
