"""Input checks shared by the services: each failure is a BAD_USER_INPUT naming its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from gql_server import clock
from gql_server.errors import BadUserInput, NotFound

CENT = Decimal("0.01")
# ₹10 crore: far above any single movement of a freelancer's money, far below NUMERIC(16,2).
MAX_AMOUNT = Decimal("100000000.00")
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_ALLOWANCE = timedelta(days=31)


def money(value: Decimal, field: str, *, allow_zero: bool = False) -> Decimal:
    """An exact amount with at most two decimals, positive (or zero) and below the cap."""
    if not value.is_finite():
        raise BadUserInput(f"{field} must be a finite number", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "greater than 0"
        raise BadUserInput(f"{field} must be {bound}", field=field)
    if value > MAX_AMOUNT:
        raise BadUserInput(f"{field} must be at most {MAX_AMOUNT:,}", field=field)
    if value != value.quantize(CENT):
        raise BadUserInput(f"{field} must have at most two decimal places", field=field)
    return value.quantize(CENT)


def text(value: str | None, field: str, max_length: int, *, required: bool = False) -> str:
    tidy = " ".join((value or "").split())
    if required and not tidy:
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(tidy) > max_length:
        raise BadUserInput(f"{field} must be at most {max_length} characters", field=field)
    return tidy


def moment(value: datetime, field: str, timezone: str) -> datetime:
    """A timestamp in UTC to the second; one without an offset is read in the user's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    try:
        value = value.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # year 1 or 9999 moved across a time zone
        raise BadUserInput(f"{field} must not be before 2000-01-01", field=field) from None
    if value < EARLIEST_DATE:
        raise BadUserInput(f"{field} must not be before 2000-01-01", field=field)
    if value > clock.now() + FUTURE_ALLOWANCE:
        raise BadUserInput(f"{field} must not be more than 31 days in the future", field=field)
    return value


LATEST_DAY = date(2100, 12, 31)


def calendar_day(value: date | None, field: str) -> date | None:
    """A local date a query may range over: 2000-01-01 to 2100-12-31 (date arithmetic near
    the ends of the calendar would overflow, and no ledger reaches there)."""
    if value is not None and not EARLIEST_DATE.date() <= value <= LATEST_DAY:
        raise BadUserInput(f"{field} must be between 2000-01-01 and {LATEST_DAY}", field=field)
    return value


def local_today(timezone: str) -> date:
    return clock.today(timezone)


def history_end(timezone: str) -> date:
    """The last complete local day: where an outlook's history ends (today's rows so far are
    known flows of its first day, `core.known_money.ahead`)."""
    return clock.today(timezone) - timedelta(days=1)


INT_ID_MAX = 2**31 - 1  # IntField primary keys
BIGINT_ID_MAX = 2**63 - 1  # BigIntField primary keys


def object_id(value: str | int, what: str, maximum: int = INT_ID_MAX, *, field: str = "id") -> int:
    """A database id from a GraphQL ID; one that cannot exist (not a number, out of the
    column's range) reads as not found rather than reaching the database."""
    try:
        parsed = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} not found", field=field) from None
    if not 0 < parsed <= maximum:
        raise NotFound(f"{what} not found", field=field)
    return parsed
