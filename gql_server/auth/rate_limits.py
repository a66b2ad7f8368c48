"""Attempt counters in the database, so every server process sees the same count.

A sliding-window estimate over fixed windows: an attempt is let through while the current
window's count plus the previous window's, weighted by how much of it still overlaps the last
`window` of time, stays under the limit. Plain fixed windows let a client spend its whole
limit just before a boundary and again just after it, and forgot every count at once at the
boundary, so a guesser who timed it got twice the limit.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from gql_server import db
from gql_server.errors import RateLimited

# A refused attempt is not counted (the WHERE stops the upsert, and no row comes back): a
# client hammering past its limit neither grows the count nor pushes anyone else's.
_COUNT_ATTEMPT = (
    'INSERT INTO rate_limit_counter (key, "window", count, expires_at) VALUES ($1, $2, 1, $3) '
    'ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counter.count + 1 '
    "WHERE rate_limit_counter.count < $4 RETURNING count"
)
_COUNT_IN = 'SELECT count FROM rate_limit_counter WHERE key = $1 AND "window" = $2'
_TAKE_BACK = (
    'UPDATE rate_limit_counter SET count = count - 1 WHERE key = $1 AND "window" = $2 AND count > 0'
)
# Every counter whose window has passed, whatever its key: keys come from client addresses
# and typed emails, so most are seen once and would otherwise stay forever.
_FORGET_EXPIRED = "DELETE FROM rate_limit_counter WHERE expires_at <= $1"


def current_window(window: timedelta, now: float | None = None) -> int:
    return int((time.time() if now is None else now) // window.total_seconds())


def _refusal(window: timedelta) -> RateLimited:
    seconds = window.total_seconds()
    return RateLimited(
        f"too many attempts; try again in up to {max(1, round(seconds / 60))} minutes",
        retryAfterSeconds=int(seconds - time.time() % seconds) + 1,
    )


async def hit(key: str, limit: int, window: timedelta) -> int:
    """Count one attempt under `key`; raise RATE_LIMITED, counting nothing, once `limit`
    attempts fall in the last `window` (estimated as the module says).

    The increment is one atomic upsert, so concurrent attempts (aliases of one request,
    or requests on several servers) are all counted before any of them is let through. The
    previous window is closed, so reading it first cannot race with anyone.
    """
    now = time.time()
    seconds = window.total_seconds()
    bucket = current_window(window, now)
    previous = await db.fetch_rows(_COUNT_IN, key, bucket - 1)
    overlap = 1.0 - (now % seconds) / seconds
    carried = int(previous[0]["count"]) * overlap if previous else 0.0
    allowed = math.floor(limit - carried + 1e-9)  # attempts this window may still take
    if allowed <= 0:
        raise _refusal(window)
    expires_at = int((bucket + 2) * seconds) + 1  # the next window still reads this one
    rows = await db.fetch_rows(_COUNT_ATTEMPT, key, bucket, expires_at, allowed)
    if not rows:
        raise _refusal(window)
    count = int(rows[0]["count"])
    if count == 1:  # a new counter: a cheap moment to drop the expired ones (indexed)
        await db.execute(_FORGET_EXPIRED, int(now))
    return count


async def release(key: str, window: timedelta) -> None:
    """Take back one attempt (a successful login should not count against its owner)."""
    await db.execute(_TAKE_BACK, key, current_window(window))
