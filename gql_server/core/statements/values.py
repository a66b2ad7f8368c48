"""Amounts and dates as Indian bank statements write them, read strictly: a cell is either a
value we are sure of or a ValueError whose message a person can act on. Nothing is guessed."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENTS = Decimal("0.01")

# Blank-like cells banks print where a column does not apply.
_EMPTY = frozenset({"", "-", "--", "—", "–", "nil", "na", "n/a"})
_PREFIX = re.compile(r"^(?:₹|rs\.?|inr)\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"\s*(cr|dr)\.?$", re.IGNORECASE)
# Plain digits, Western grouping (1,234,567) or Indian grouping (12,34,567), optional decimals.
_NUMBER = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3})(?:\.\d+)?$")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z]*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4}|\d{2})$")
_NAMED = re.compile(r"^(\d{1,2})[\s\-/]*([A-Za-z]{3,9})[\s\-/,']*(\d{4}|\d{2})$")


def is_blank(text: str) -> bool:
    """Banks print '-' or nothing where a column does not apply; both mean 'no value'."""
    return text.strip().lower() in _EMPTY


def parse_amount(text: str) -> Decimal | None:
    """A signed amount quantized to paise, or None for a blank cell.

    Accepts Indian and Western digit grouping, a ₹/Rs./INR prefix, a Cr/Dr suffix (Dr is
    negative, as on a balance), and a minus sign or parentheses for negatives. Letters or any
    other shape raise ValueError: a wrong number is worse than a missing one."""
    raw = text.strip()
    if raw.lower() in _EMPTY:
        return None
    body, negative = _strip_sign(raw)
    body = _PREFIX.sub("", body)
    suffix = _SUFFIX.search(body)
    if suffix:
        body = body[: suffix.start()]
        if suffix.group(1).lower() == "dr":
            if negative:
                raise ValueError(f"'{raw}' is both negative and marked Dr")
            negative = True
        elif negative:
            raise ValueError(f"'{raw}' is negative but marked Cr")
    body = _PREFIX.sub("", body.strip()).lstrip(",").strip()
    if not _NUMBER.match(body):
        raise ValueError(f"'{raw}' is not an amount")
    try:
        value = Decimal(body.replace(",", "")).quantize(CENTS, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"'{raw}' is not an amount") from exc
    return -value if negative else value


def _strip_sign(raw: str) -> tuple[str, bool]:
    """Parentheses or a leading minus mark a negative; some exports write '-,93,827.31'."""
    if raw.startswith("(") and raw.endswith(")"):
        return raw[1:-1].strip(), True
    if raw.startswith("-"):
        return raw[1:].strip(), True
    if raw.startswith("+"):
        return raw[1:].strip(), False
    return raw, False


def parse_date(text: str) -> date:
    """A calendar date in the banks' day-first styles (dd/mm/yy, dd/mm/yyyy, dd-mm-yyyy,
    d Mon yyyy, dd-Mon-yy) or ISO yyyy-mm-dd (what the table reader writes for spreadsheet
    dates). Two-digit years are 20yy. A date that does not exist raises ValueError."""
    raw = text.strip()
    parts = _date_parts(raw)
    if parts is None:
        raise ValueError(f"'{raw}' is not a date")
    day, month, year = parts
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{raw}' is not a real date") from exc


def _date_parts(raw: str) -> tuple[int, int, int] | None:
    if match := _ISO.match(raw):
        return int(match[3]), int(match[2]), int(match[1])
    if match := _NUMERIC.match(raw):
        return int(match[1]), int(match[2]), _full_year(match[3])
    if (match := _NAMED.match(raw)) and (month := _MONTHS.get(match[2].lower())):
        return int(match[1]), month, _full_year(match[3])
    return None


def _full_year(digits: str) -> int:
    return 2000 + int(digits) if len(digits) == 2 else int(digits)
