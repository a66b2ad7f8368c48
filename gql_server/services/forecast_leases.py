"""At most N fits per user at once, across every server process: a lease row per running fit.

Without it one user's aliased or back-to-back what-ifs took every worker of the pool, and
other users' forecasts waited behind them. A fit takes a free slot (0..N-1) of its user, by
an upsert that succeeds only on a free or expired slot, and gives it back when the fit ends.
A fit waits for a slot within its time limit, polling (another process's fit may free it);
if none frees in time the request is RATE_LIMITED. A lease outlives its holder only until
`expires_at`, so a server killed mid-fit blocks its user for a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from dataclasses import dataclass

from gql_server import db
from gql_server.errors import RateLimited

logger = logging.getLogger("gql_server.forecast_leases")

_TAKE = (
    "INSERT INTO forecast_lease (user_id, slot, holder, expires_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id, slot) DO UPDATE SET holder = excluded.holder, "
    "expires_at = excluded.expires_at WHERE forecast_lease.expires_at < $5 RETURNING id"
)
_GIVE_BACK = "DELETE FROM forecast_lease WHERE user_id = $1 AND slot = $2 AND holder = $3"
POLL_S = (0.05, 0.5)  # first and longest pause between tries


@dataclass(frozen=True)
class Lease:
    user_id: int
    slot: int
    holder: str


class ForecastLeases:
    def __init__(self, per_user: int, lifetime_s: float) -> None:
        self.per_user = per_user
        # Longer than any fit can take (the time limit, plus a fit's overrun past it).
        self.lifetime_s = lifetime_s
        self._releasing: set[asyncio.Task[None]] = set()

    async def take(self, user_id: int, deadline: float) -> Lease:
        """A slot of the user's, waiting for one until `deadline` (the loop's clock)."""
        loop = asyncio.get_running_loop()
        holder = secrets.token_hex(8)
        pause = POLL_S[0]
        while True:
            now = time.time()
            for slot in range(self.per_user):
                rows = await db.fetch_rows(
                    _TAKE, user_id, slot, holder, int(now + self.lifetime_s), int(now)
                )
                if rows:
                    return Lease(user_id, slot, holder)
            left = deadline - loop.time()
            if left <= 0:
                raise RateLimited(
                    f"your {self.per_user} forecast(s) already running did not finish in time; "
                    "try again when they have",
                    retryAfterSeconds=max(1, round(POLL_S[1] * 4)),
                )
            await asyncio.sleep(min(left, pause * random.uniform(0.8, 1.2)))  # noqa: S311
            pause = min(POLL_S[1], pause * 2)

    def give_back(self, lease: Lease) -> None:
        """Free the slot (called on the loop when the fit ends; the delete runs in a task)."""
        task = asyncio.ensure_future(self._delete(lease))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _delete(self, lease: Lease) -> None:
        try:
            await db.execute(_GIVE_BACK, lease.user_id, lease.slot, lease.holder)
        except Exception as exc:  # the lease expires on its own; nothing else depends on it
            if db.connection_lost(exc):
                # A fit that ended while the server shut down (its database pool closing), or
                # while the database was away: expected, and the expiry covers it.
                logger.info("forecast lease %s was left to expire: no database", lease)
                return
            logger.warning("could not give back forecast lease %s", lease, exc_info=True)

    async def drain(self) -> None:
        """Wait for the pending give-backs (at shutdown, before the database closes)."""
        if self._releasing:
            await asyncio.wait(set(self._releasing), timeout=5)
