"""Background refits: an outlook recomputed after the writes that changed it, so that readers
need not wait for the fit.

A write asks for its user's refit a little later (`debounce_s`); each further write pushes it
back, but never past `max_delay_s` after the first, so ten quick writes make one refit and a
steady stream of writes still gets one every `max_delay_s`. A reader that found the outlook
stale asks for it now. The requests are rows (`refit_request`), so every server process sees
them; each process claims due ones (one process per user, the claim expiring if the process
dies) and runs at most `workers` at a time. When a claimed refit ends, its row goes, unless a
write came in meanwhile (its `version` moved): then it waits its turn again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from gql_server import db
from gql_server.errors import ServiceUnavailable
from gql_server.services.claim_loop import claim_forever
from gql_server.services.validation import history_end

logger = logging.getLogger("gql_server.refits")

# A write: the refit moves to `debounce` from now, but never past `max_delay` after the first
# request; the version moves, so a refit running now knows to run again. Both requests are
# made only for a user who exists: the last mutation of an account is its erasure.
_AFTER_WRITE = """
INSERT INTO refit_request (user_id, first_requested_ms, due_ms, version)
SELECT id, $2, $3, 1 FROM app_user WHERE id = $1
ON CONFLICT (user_id) DO UPDATE SET
  version = refit_request.version + 1,
  due_ms = CASE WHEN excluded.due_ms > refit_request.first_requested_ms + $4
                THEN refit_request.first_requested_ms + $4 ELSE excluded.due_ms END
"""
# A waiting reader: due now; nothing was written, so the version stays.
_NOW = """
INSERT INTO refit_request (user_id, first_requested_ms, due_ms, version)
SELECT id, $2, $2, 1 FROM app_user WHERE id = $1
ON CONFLICT (user_id) DO UPDATE SET
  due_ms = CASE WHEN excluded.due_ms < refit_request.due_ms
                THEN excluded.due_ms ELSE refit_request.due_ms END
"""
# Due, and not claimed by a live process. PostgreSQL skips rows another process is claiming
# at this moment; SQLite has one writer at a time, so the plain update is already exclusive.
_CLAIM_POSTGRES = """
UPDATE refit_request SET claimed_by = $3, claimed_until_ms = $4
 WHERE user_id IN (
   SELECT user_id FROM refit_request
    WHERE due_ms <= $1 AND (claimed_until_ms IS NULL OR claimed_until_ms < $1)
    ORDER BY due_ms LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING user_id, version
"""
_CLAIM_SQLITE = """
UPDATE refit_request SET claimed_by = $3, claimed_until_ms = $4
 WHERE user_id IN (
   SELECT user_id FROM refit_request
    WHERE due_ms <= $1 AND (claimed_until_ms IS NULL OR claimed_until_ms < $1)
    ORDER BY due_ms LIMIT $2)
RETURNING user_id, version
"""
_DONE = "DELETE FROM refit_request WHERE user_id = $1 AND claimed_by = $2 AND version = $3"
# Released for another try: at once after a write came in meanwhile, later after a failure
# (a pool that is down must not be asked again in a tight loop).
_RELEASE = (
    "UPDATE refit_request SET claimed_by = NULL, claimed_until_ms = NULL, "
    "due_ms = CASE WHEN due_ms > $3 THEN due_ms ELSE $3 END "
    "WHERE user_id = $1 AND claimed_by = $2"
)


# Outlooks a new day has made stale: their as-of day is before the latest zone's yesterday
# (each row is then checked against its own zone), oldest first, a bounded batch a sweep.
_BEHIND = """
SELECT f.user_id, f.as_of, u.timezone FROM user_forecast f JOIN app_user u ON u.id = f.user_id
 WHERE f.as_of < $1 ORDER BY f.as_of LIMIT $2
"""
_LATEST_ZONE = "Pacific/Kiritimati"  # UTC+14: no zone's today is later
ROLL_BATCH = 500


def _warn(message: str, exc: Exception) -> None:
    """An outage (the database or the forecast pool away) is one line in the log; anything
    else keeps its traceback."""
    if db.connection_lost(exc) or isinstance(exc, ServiceUnavailable):
        logger.warning("%s: %s: %s", message, type(exc).__name__, exc)
    else:
        logger.warning(message, exc_info=exc)


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class RefitTimes:
    debounce_s: float = 1.0
    max_delay_s: float = 10.0
    poll_s: float = 0.5  # how often a process looks for due refits when not told of one
    claim_s: float = 600.0  # a claim outlives a dead process this long at most
    retry_s: float = 30.0  # a failed refit is tried again after this long


class RefitQueue:
    """The requests (rows) and this process's share of the work."""

    def __init__(
        self,
        refit: Callable[[int], Awaitable[object]],
        workers: int = 2,
        times: RefitTimes | None = None,
    ) -> None:
        self._refit = refit  # recompute and store one user's outlook
        self.workers = max(1, workers)
        self.times = times or RefitTimes()
        self.holder = secrets.token_hex(8)
        self.running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        # How long this process's refits take (a moving average, None before the first) and
        # when each running one started (monotonic seconds): what `eta_s` goes on. Local
        # estimates, nothing another process needs to agree on.
        self.typical_s: float | None = None
        self._started: dict[int, float] = {}

    def eta_s(self, user_id: int) -> float | None:
        """About how long until the user's refit is stored, judged from this process's recent
        refits (None before the first): the typical time less what a refit running here has
        already taken, or the whole typical time for one not running here yet."""
        if self.typical_s is None:
            return None
        started = self._started.get(user_id)
        taken = time.monotonic() - started if started is not None else 0.0
        return max(0.0, self.typical_s - taken)

    def took(self, seconds: float) -> None:
        """A refit of this process took `seconds` (weighted 1/5 into the typical time)."""
        self.typical_s = seconds if self.typical_s is None else 0.8 * self.typical_s + 0.2 * seconds

    async def request(self, user_id: int, *, now: bool = False) -> None:
        """Ask for the user's refit: after the debounce (a write), or now (a waiting reader)."""
        at = _now_ms()
        if now:
            await db.execute(_NOW, user_id, at)
            self._wake.set()
            return
        due = at + int(self.times.debounce_s * 1000)
        await db.execute(_AFTER_WRITE, user_id, at, due, int(self.times.max_delay_s * 1000))

    async def roll_days_forever(self, interval_s: float) -> None:
        """Every `interval_s`, ask for the refit of outlooks whose day has passed: what the
        alerts see changes with the date alone (a bill comes due, a payment becomes late)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.roll_days()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _warn("could not look for outlooks of an earlier day", exc)

    async def roll_days(self) -> int:
        """Asks for the refit of (a batch of) outlooks computed before their user's
        yesterday; returns how many."""
        latest = history_end(_LATEST_ZONE)
        asked = 0
        for row in await db.fetch_rows(_BEHIND, latest, ROLL_BATCH):
            as_of = row["as_of"]
            day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
            if day < history_end(row["timezone"]):
                await self.request(int(row["user_id"]), now=True)
                asked += 1
        return asked

    async def run_forever(self) -> None:
        """Claim due refits and run them, `workers` at a time (the lifespan's task)."""
        await claim_forever(
            self._claim_and_start,
            self._wake,
            self.times.poll_s,
            lambda exc: _warn("could not claim refits", exc),
        )

    async def _claim_and_start(self) -> None:
        free = self.workers - len(self.running)
        if free <= 0:
            return
        at = _now_ms()
        claim = _CLAIM_SQLITE if db.is_sqlite() else _CLAIM_POSTGRES
        until = at + int(self.times.claim_s * 1000)
        for row in await db.fetch_rows(claim, at, free, self.holder, until):
            user_id, version = int(row["user_id"]), int(row["version"])
            task = asyncio.create_task(self._run(user_id, version))
            self.running[user_id] = task

    async def _run(self, user_id: int, version: int) -> None:
        started = self._started[user_id] = time.monotonic()
        try:
            await self._refit(user_id)
            self.took(time.monotonic() - started)
            finished = await db.execute(_DONE, user_id, self.holder, version)
            if not finished:  # written to meanwhile: its turn comes again
                await db.execute(_RELEASE, user_id, self.holder, 0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the fit failed (pool down, time limit): another try later
            _warn(f"background refit of user {user_id} failed", exc)
            await self._release_quietly(user_id, _now_ms() + int(self.times.retry_s * 1000))
        finally:
            self.running.pop(user_id, None)
            self._started.pop(user_id, None)
            self._wake.set()  # a slot is free

    async def _release_quietly(self, user_id: int, due_ms: int = 0) -> None:
        try:
            await db.execute(_RELEASE, user_id, self.holder, due_ms)
        except Exception as exc:  # the claim expires on its own
            _warn(f"could not release the refit of user {user_id}", exc)

    async def stop(self) -> None:
        """Cancel this process's refits (shutdown); their claims are released for others."""
        running = dict(self.running)
        for task in running.values():
            task.cancel()
        if running:
            await asyncio.wait(running.values(), timeout=5)
        for user_id in running:
            await self._release_quietly(user_id)
