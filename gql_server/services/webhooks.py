"""A user's webhook endpoints: created with a URL checked for safety and a secret shown once,
listed with their delivery log, deleted; and the outbox rows (`enqueue`) that the delivery
worker (`webhook_deliveries`) sends."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
from strawberry.relay import to_base64
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from gql_server import locks
from gql_server.core.alerts.conditions import AlertKind
from gql_server.errors import BadUserInput, NotFound
from gql_server.models import Alert, User, Webhook, WebhookDelivery
from gql_server.services import pages, validation
from gql_server.services.validation import object_id
from gql_server.webhooks import signing
from gql_server.webhooks.urls import WebhookUrlError, check_url

MAX_WEBHOOKS_PER_USER = 20
MAX_DELIVERIES_LISTED = 100


def alert_payload(row: Alert) -> dict[str, object]:
    """The alert as the API shows it (its global id, camelCase fields)."""
    return {
        "id": to_base64("Alert", row.id),
        "kind": row.kind,
        "severity": row.severity,
        "title": row.title,
        "message": row.message,
        "metrics": row.metrics,
        "createdAt": row.created_at.astimezone(UTC).isoformat(),
        "clearedAt": row.cleared_at.astimezone(UTC).isoformat() if row.cleared_at else None,
    }


def _kinds(kinds: Sequence[str] | None) -> list[str]:
    try:
        return sorted({AlertKind(kind).value for kind in kinds or ()})
    except ValueError:
        raise BadUserInput("kinds: unknown alert kind", field="kinds") from None


async def create_webhook(
    user: User,
    url: str,
    kinds: Sequence[str] | None,
    description: str | None,
    *,
    allow_private: bool,
) -> Webhook:
    """A new endpoint (at most MAX_WEBHOOKS_PER_USER). A URL that is not http(s), too long, or
    names a private address is BAD_USER_INPUT with its `reason`."""
    try:
        checked = check_url(url, allow_private=allow_private)
    except WebhookUrlError as exc:
        raise BadUserInput(str(exc), field="url", reason=exc.code) from None
    text = validation.text(description, "description", 200) or ""
    chosen = _kinds(kinds)
    async with in_transaction() as connection:
        # Counted under the user's row lock: concurrent creates stop at the cap, not past it.
        await locks.user_row(user.id, connection)
        if (
            await Webhook.filter(user_id=user.id).using_db(connection).count()
            >= MAX_WEBHOOKS_PER_USER
        ):
            raise BadUserInput(
                f"a user can have at most {MAX_WEBHOOKS_PER_USER} webhooks",
                reason="TOO_MANY_WEBHOOKS",
            )
        return await Webhook.create(
            user_id=user.id,
            url=checked,
            kinds=chosen,
            description=text,
            secret=signing.new_secret(),
            using_db=connection,
        )


async def list_webhooks(user: User) -> list[Webhook]:
    return await Webhook.filter(user_id=user.id).order_by("id")


async def get_webhook(user: User, webhook_id: str) -> Webhook:
    """The caller's endpoint; another user's reads exactly like a missing one."""
    row = await Webhook.get_or_none(id=object_id(webhook_id, "webhook"), user_id=user.id)
    if row is None:
        raise NotFound("webhook not found", field="id")
    return row


async def delete_webhook(user: User, webhook_id: str) -> None:
    """Deletes the endpoint and its outbox (deliveries not made yet are not made)."""
    row = await get_webhook(user, webhook_id)
    await row.delete()


async def deliveries(user: User, webhook_id: int, first: int) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, in one query scoped to the caller (the endpoint was
    read as theirs already, by its list or by id)."""
    limit = pages.page_size(first, MAX_DELIVERIES_LISTED)
    return (
        await WebhookDelivery.filter(webhook_id=webhook_id, webhook__user_id=user.id)
        .order_by("-id")
        .limit(limit)
    )


async def enqueue(user_id: int, alert: Alert, event: str, connection: BaseDBAsyncClient) -> int:
    """An outbox row for each enabled endpoint of the user that wants the alert's kind, in
    the caller's transaction. Returns how many."""
    targets = await Webhook.filter(user_id=user_id, disabled_at=None).using_db(connection)
    wanted = [hook for hook in targets if not hook.kinds or alert.kind in hook.kinds]
    if not wanted:
        return 0
    now = datetime.now(UTC)
    body = orjson.dumps(
        {"type": event, "timestamp": now.isoformat(), "data": alert_payload(alert)}
    ).decode()
    await WebhookDelivery.bulk_create(
        [
            WebhookDelivery(
                webhook_id=hook.id,
                message_id=f"msg_{uuid.uuid4().hex}",
                event_type=event,
                body=body,
                next_attempt_ms=int(now.timestamp() * 1000),
            )
            for hook in wanted
        ],
        using_db=connection,
    )
    return len(wanted)
