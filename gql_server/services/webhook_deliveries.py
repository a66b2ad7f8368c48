"""The webhook outbox's worker: every server process claims due deliveries (a row is claimed
by one process at a time, as refits are) and sends them, signed, at least once, retrying with
the backoff of `WEBHOOK_RETRY_SECONDS` under the same webhook-id. An endpoint that has failed
every delivery for `disable_after_s` is disabled, and its user gets a WEBHOOK_DISABLED alert.

Deliveries survive a restart: the outbox is rows, and a claim held by a process that died
expires after `claim_s`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from gql_server import db
from gql_server.core.alerts.conditions import AlertKind, Condition, Severity
from gql_server.models import DeliveryStatus, Webhook, WebhookDelivery
from gql_server.services.claim_loop import claim_forever
from gql_server.settings import Settings
from gql_server.webhooks import outbound, signing

logger = logging.getLogger("gql_server.webhooks")

# About a day in all (27 h): a receiver away for a night still gets every alert (the
# setting's default, WEBHOOK_RETRY_SECONDS).
DEFAULT_RETRY_SECONDS = Settings.webhook_retry_seconds

_CLAIM_POSTGRES = """
UPDATE webhook_delivery SET claimed_by = $3, claimed_until_ms = $4
 WHERE id IN (
   SELECT id FROM webhook_delivery
    WHERE status = 'PENDING' AND next_attempt_ms <= $1
      AND (claimed_until_ms IS NULL OR claimed_until_ms < $1)
    ORDER BY next_attempt_ms LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING id
"""
# SQLite has one writer at a time: the plain update is already exclusive.
_CLAIM_SQLITE = """
UPDATE webhook_delivery SET claimed_by = $3, claimed_until_ms = $4
 WHERE id IN (
   SELECT id FROM webhook_delivery
    WHERE status = 'PENDING' AND next_attempt_ms <= $1
      AND (claimed_until_ms IS NULL OR claimed_until_ms < $1)
    ORDER BY next_attempt_ms LIMIT $2)
RETURNING id
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class DeliveryTimes:
    retry_s: tuple[float, ...] = DEFAULT_RETRY_SECONDS
    poll_s: float = 1.0  # how often a process looks for due deliveries when not told of one
    claim_s: float = 120.0  # longer than one attempt can take
    timeout_s: float = 10.0  # one attempt, start to end
    disable_after_s: float = 24 * 3600.0


class DeliveryWorker:
    """This process's share of the outbox: at most `concurrency` deliveries at once."""

    def __init__(
        self,
        *,
        allow_private: bool,
        times: DeliveryTimes | None = None,
        concurrency: int = 8,
    ) -> None:
        self.allow_private = allow_private
        self.times = times or DeliveryTimes()
        self.concurrency = max(1, concurrency)
        self.holder = secrets.token_hex(8)
        self.delivered = 0  # in this process, since it started (metrics, benchmarks)
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """An outbox row was just written in this process: look now, not at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        await claim_forever(
            self._claim_and_start,
            self._wake,
            self.times.poll_s,
            lambda exc: logger.warning("could not claim webhook deliveries: %s", exc),
        )

    async def _claim_and_start(self) -> None:
        free = self.concurrency - len(self._running)
        if free <= 0:
            return
        at = _now_ms()
        claim = _CLAIM_SQLITE if db.is_sqlite() else _CLAIM_POSTGRES
        rows = await db.fetch_rows(
            claim, at, free, self.holder, at + int(self.times.claim_s * 1000)
        )
        for row in rows:
            task = asyncio.create_task(self._deliver(int(row["id"])))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free

    async def _deliver(self, delivery_id: int) -> None:
        try:
            delivery = await WebhookDelivery.get_or_none(id=delivery_id, claimed_by=self.holder)
            if delivery is None or delivery.status != DeliveryStatus.PENDING:
                return
            hook = await Webhook.get_or_none(id=delivery.webhook_id)
            if hook is None or hook.disabled_at is not None:
                await self._give_up(delivery, "endpoint disabled")
                return
            body = delivery.body.encode()
            headers = signing.headers(hook.secret, delivery.message_id, int(time.time()), body)
            outcome = await outbound.post(
                hook.url,
                body,
                headers,
                allow_private=self.allow_private,
                timeout_s=self.times.timeout_s,
            )
            if outcome.ok:
                await self._done(delivery, hook, outcome.status)
            else:
                await self._failed(delivery, hook, outcome.status, outcome.error or "failed")
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug, or the database away: counted, so it cannot loop forever
            logger.exception("webhook delivery %s failed unexpectedly", delivery_id)
            with contextlib.suppress(Exception):
                delivery = await WebhookDelivery.get(id=delivery_id)
                hook = await Webhook.get(id=delivery.webhook_id)
                await self._failed(delivery, hook, None, "internal error")

    async def _done(self, delivery: WebhookDelivery, hook: Webhook, status: int | None) -> None:
        now = datetime.now(UTC)
        delivery.status = DeliveryStatus.DELIVERED
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = None
        delivery.delivered_at = now
        delivery.claimed_by = None
        await delivery.save()
        # Unconditionally: a failure of another delivery may have set it since `hook` was read.
        await Webhook.filter(id=hook.id).update(failing_since=None)
        self.delivered += 1

    async def _failed(
        self, delivery: WebhookDelivery, hook: Webhook, status: int | None, error: str
    ) -> None:
        now = datetime.now(UTC)
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error[:300]
        delivery.claimed_by = None
        delivery.claimed_until_ms = None
        schedule = self.times.retry_s
        if delivery.attempts > len(schedule):
            delivery.status = DeliveryStatus.FAILED
        else:
            wait = schedule[delivery.attempts - 1]
            delivery.next_attempt_ms = _now_ms() + int(wait * 1000)
        await delivery.save()
        failing_since = hook.failing_since or now
        if hook.failing_since is None:
            await Webhook.filter(id=hook.id, failing_since=None).update(failing_since=now)
        if now - failing_since >= timedelta(seconds=self.times.disable_after_s):
            await self._disable(hook, now)

    async def _give_up(self, delivery: WebhookDelivery, error: str) -> None:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = error
        delivery.claimed_by = None
        await delivery.save()

    async def _disable(self, hook: Webhook, now: datetime) -> None:
        """Disables the endpoint (once, whichever process gets there first), fails what it
        still had to deliver, and tells its user."""
        from gql_server.services.alerts import raise_alert  # alerts enqueue through webhooks

        changed = await Webhook.filter(id=hook.id, disabled_at=None).update(disabled_at=now)
        if not changed:
            return
        await WebhookDelivery.filter(webhook_id=hook.id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error="endpoint disabled"
        )
        logger.warning("webhook %s disabled after a day of failed deliveries", hook.id)
        await raise_alert(
            hook.user_id,
            Condition(
                key=f"WEBHOOK_DISABLED:{hook.id}",
                kind=AlertKind.WEBHOOK_DISABLED,
                severity=Severity.WARNING,
                title="A webhook was turned off",
                # The host only: this alert goes to the user's other webhooks, and a URL's
                # path often holds the receiver's own token.
                message=(
                    f"Every delivery to {urlsplit(hook.url).hostname} failed for a day, so it "
                    "was turned off. Delete it and add it again once it answers."
                ),
                metrics={"webhookId": hook.id},
            ),
        )
        self.poke()

    async def stop(self) -> None:
        """Cancel this process's deliveries (shutdown); their claims expire for others."""
        running: Sequence[asyncio.Task[None]] = list(self._running)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=5)
