"""Fixed-window attempt counters in the database, so every server process sees the same count."""

from __future__ import annotations

import time
from datetime import timedelta

from gql_server import db
from gql_server.errors import RateLimited

_COUNT_ATTEMPT = (
    'INSERT INTO rate_limit_counter (key, "window", count) VALUES ($1, $2, 1) '
    'ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counter.count + 1 '
    "RETURNING count"
)
_TAKE_BACK = (
    'UPDATE rate_limit_counter SET count = count - 1 WHERE key = $1 AND "window" = $2 AND count > 0'
)
_FORGET_OLD_WINDOWS = 'DELETE FROM rate_limit_counter WHERE key = $1 AND "window" < $2'


def current_window(window: timedelta, now: float | None = None) -> int:
    return int((time.time() if now is None else now) // window.total_seconds())


async def hit(key: str, limit: int, window: timedelta) -> int:
    """Count one attempt under `key`; raise RATE_LIMITED once more than `limit` fall in the window.

    The increment is one atomic upsert, so concurrent attempts (aliases of one request,
    or requests on several servers) are all counted before any of them is let through.
    """
    bucket = current_window(window)
    rows = await db.fetch_rows(_COUNT_ATTEMPT, key, bucket)
    count = int(rows[0]["count"])
    if count == 1:
        await db.execute(_FORGET_OLD_WINDOWS, key, bucket)
    if count > limit:
        seconds = window.total_seconds()
        raise RateLimited(
            f"too many attempts; try again in up to {max(1, round(seconds / 60))} minutes",
            retryAfterSeconds=int(seconds - time.time() % seconds) + 1,
        )
    return count


async def release(key: str, window: timedelta) -> None:
    """Take back one attempt (a successful login should not count against its owner)."""
    await db.execute(_TAKE_BACK, key, current_window(window))
