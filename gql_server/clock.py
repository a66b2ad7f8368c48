"""What day it is for the ledger.

Two clocks live in the server. Security and bookkeeping of the server itself (token expiry,
rate-limit windows, job heartbeats, `createdAt`) read the wall clock, always. The ledger's
"now" (the last day of a generated history, the forecast's origin, what counts as a future
transaction) reads this module, which can be pinned to an instant: tests pin it so that no
test depends on the day it runs, and `LEDGER_NOW` pins a whole server process outside
production (for a reproducible demo or a test server in a subprocess).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# A process-wide setting, not shared state: every process of one deployment is given the same
# pin (or none) by its configuration.
_pinned: datetime | None = None


def now() -> datetime:
    """The ledger's current instant, timezone-aware, in UTC."""
    return _pinned if _pinned is not None else datetime.now(UTC)


def today(timezone: str | ZoneInfo) -> date:
    """The ledger's current local date in `timezone` (an IANA name such as Asia/Kolkata)."""
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    return now().astimezone(zone).date()


def pin(at: datetime | None) -> None:
    """Freeze the ledger's clock at `at` (timezone-aware), or let it run again with None."""
    global _pinned
    if at is not None and at.tzinfo is None:
        raise ValueError("a pinned ledger time needs a timezone")
    _pinned = at.astimezone(UTC) if at is not None else None


def pinned_at() -> datetime | None:
    return _pinned


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Run a block with the ledger's clock frozen at `at`, restoring the previous pin after."""
    previous = _pinned
    pin(at)
    try:
        yield
    finally:
        pin(previous)
