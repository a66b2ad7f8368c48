"""Alerts in GraphQL: the caller's alerts and their settings, webhook endpoints with their
delivery log, and the live `alerts` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from starlette.websockets import WebSocket, WebSocketState
from strawberry import relay
from strawberry.scalars import JSON

from gql_server import models
from gql_server.core.alerts import records
from gql_server.core.alerts.settings import AlertSettings as CoreSettings
from gql_server.errors import Unauthenticated
from gql_server.graphql.context import Info
from gql_server.graphql.ids import local_id
from gql_server.graphql.income_sources import present_fields
from gql_server.graphql.insights import Severity
from gql_server.graphql.permissions import IsAuthenticated
from gql_server.services import alerts, lookup, webhooks

AlertKind: TypeAlias = records.AlertKind
strawberry.enum(records.AlertKind, name="AlertKind")
DeliveryStatus: TypeAlias = models.DeliveryStatus
strawberry.enum(models.DeliveryStatus, name="DeliveryStatus")

# How often a subscriber looks for alerts another server process raised, and re-checks that
# its tokens were not revoked.
SUBSCRIPTION_POLL_SECONDS = 1.0


@strawberry.type
class Alert(relay.Node):
    id: relay.NodeID[int]
    kind: AlertKind
    severity: Severity
    title: str
    message: str = strawberry.field(description="Amounts the Indian way: ₹1,07,954.")
    metrics: JSON = strawberry.field(description="The numbers the alert rests on.")
    created_at: datetime = strawberry.field(description="When it fired.")
    cleared_at: datetime | None = strawberry.field(
        description="When its condition ended (null: it holds); it may fire again only after."
    )

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[Alert | None]:
        user = await info.context.require_user()
        rows = await lookup.owned(models.Alert, user, node_ids)
        return [to_gql_alert(row) if row else None for row in rows]


def to_gql_alert(row: models.Alert) -> Alert:
    return Alert(
        id=row.id,
        kind=records.AlertKind(row.kind),
        severity=Severity(row.severity),
        title=row.title,
        message=row.message,
        metrics=JSON(row.metrics),
        created_at=row.created_at,
        cleared_at=row.cleared_at,
    )


@strawberry.type
class AlertSettings:
    shortfall_threshold_7: float = strawberry.field(
        name="shortfallThreshold7",
        description="SHORTFALL_RISK fires when the chance of going below zero within 7 days "
        "reaches this (and clears only well below it).",
    )
    shortfall_threshold_30: float = strawberry.field(name="shortfallThreshold30")
    low_balance_below: Decimal = strawberry.field(
        description="LOW_BALANCE_AHEAD fires when the projected lowest balance is below this."
    )
    income_overdue_days: int = strawberry.field(
        description="INCOME_OVERDUE fires when an expected payment is this many days late."
    )
    enabled_kinds: list[AlertKind]


def _settings(found: CoreSettings) -> AlertSettings:
    return AlertSettings(
        shortfall_threshold_7=found.shortfall_threshold_7,
        shortfall_threshold_30=found.shortfall_threshold_30,
        low_balance_below=found.low_balance_below,
        income_overdue_days=found.income_overdue_days,
        enabled_kinds=sorted(found.enabled, key=lambda kind: kind.value),
    )


@strawberry.input
class AlertSettingsInput:
    shortfall_threshold_7: float | None = strawberry.field(
        default=strawberry.UNSET, name="shortfallThreshold7"
    )
    shortfall_threshold_30: float | None = strawberry.field(
        default=strawberry.UNSET, name="shortfallThreshold30"
    )
    low_balance_below: Decimal | None = strawberry.UNSET
    income_overdue_days: int | None = strawberry.UNSET
    enabled_kinds: list[AlertKind] | None = strawberry.UNSET


@strawberry.type
class WebhookDelivery:
    message_id: str = strawberry.field(description="The webhook-id header of every attempt.")
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status: int | None = strawberry.field(description="The receiver's HTTP status.")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@strawberry.type
class Webhook(relay.Node):
    id: relay.NodeID[int]
    url: str
    kinds: list[AlertKind] = strawberry.field(description="Empty: every kind.")
    description: str
    created_at: datetime
    disabled_at: datetime | None = strawberry.field(
        description="Set when every delivery failed for a day; deliveries stopped."
    )

    @strawberry.field(description="The latest deliveries first; first: 1 to 100.")
    async def deliveries(self, info: Info, first: int = 20) -> list[WebhookDelivery]:
        user = await info.context.require_user()
        return [
            WebhookDelivery(
                message_id=d.message_id,
                event_type=d.event_type,
                status=models.DeliveryStatus(d.status),
                attempts=d.attempts,
                last_status=d.last_status,
                last_error=d.last_error,
                created_at=d.created_at,
                delivered_at=d.delivered_at,
            )
            for d in await webhooks.deliveries(user, self.id, first)
        ]

    @classmethod
    async def resolve_owned(cls, info: Info, node_ids: list[str]) -> list[Webhook | None]:
        user = await info.context.require_user()
        rows = await lookup.owned(models.Webhook, user, node_ids)
        return [to_gql_webhook(row) if row else None for row in rows]


def to_gql_webhook(row: models.Webhook) -> Webhook:
    return Webhook(
        id=row.id,
        url=row.url,
        kinds=[records.AlertKind(kind) for kind in row.kinds],
        description=row.description,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


@strawberry.type
class WebhookWithSecret:
    webhook: Webhook
    secret: str = strawberry.field(
        description="whsec_...: verifies every delivery's webhook-signature (Standard "
        "Webhooks). Shown only here."
    )


@strawberry.input
class WebhookInput:
    url: str = strawberry.field(
        description="http(s); outside development no private or loopback address."
    )
    kinds: list[AlertKind] | None = strawberry.field(
        default=None, description="The alert kinds it wants; empty or null: all."
    )
    description: str | None = None


@strawberry.type
class AlertQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The caller's alerts, the latest first (first: 1 to 100).",
    )
    async def alerts(self, info: Info, first: int | None = 20) -> list[Alert]:
        user = await info.context.require_user()
        rows = await alerts.list_alerts(user, 20 if first is None else first)
        return [to_gql_alert(row) for row in rows]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def alert_settings(self, info: Info) -> AlertSettings:
        user = await info.context.require_user()
        return _settings(await alerts.settings_for(user))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def webhooks(self, info: Info) -> list[Webhook]:
        user = await info.context.require_user()
        return [to_gql_webhook(row) for row in await webhooks.list_webhooks(user)]


@strawberry.type
class AlertMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    async def update_alert_settings(self, info: Info, input: AlertSettingsInput) -> AlertSettings:
        user = await info.context.require_user()
        changes = present_fields(input)
        if "enabled_kinds" in changes:
            changes["enabled"] = changes.pop("enabled_kinds")
        return _settings(await alerts.update_settings(user, changes))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A new endpoint for the caller's alerts, with its signing secret (shown "
        "only here).",
    )
    async def create_webhook(self, info: Info, input: WebhookInput) -> WebhookWithSecret:
        user = await info.context.require_user()
        row = await webhooks.create_webhook(
            user,
            input.url,
            [kind.value for kind in input.kinds or ()],
            input.description,
            allow_private=info.context.settings.webhooks_may_reach_private,
        )
        return WebhookWithSecret(webhook=to_gql_webhook(row), secret=row.secret)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Deletes the endpoint; deliveries not made yet are not made.",
    )
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> bool:
        user = await info.context.require_user()
        await webhooks.delete_webhook(user, local_id(id, "Webhook"))
        return True


@strawberry.type
class AlertSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="The caller's alerts as they fire and clear (clearedAt set). Ends, and a "
        "websocket closes, when the caller's tokens are revoked.",
    )
    async def alerts(self, info: Info) -> AsyncGenerator[Alert, None]:
        user = await info.context.require_user()
        async for found in alerts.alert_events(
            user.id,
            poll_s=SUBSCRIPTION_POLL_SECONDS,
            still_allowed=info.context.still_signed_in,
        ):
            yield to_gql_alert(found.alert)
        socket = info.context.request
        if (
            isinstance(socket, WebSocket)
            and socket.application_state != WebSocketState.DISCONNECTED
        ):
            await socket.close(code=4401, reason="tokens revoked")
        raise Unauthenticated("token was revoked; sign in again")
