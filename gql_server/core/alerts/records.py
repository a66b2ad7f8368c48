"""What alerts are made of: their kinds, a condition that holds now (`Condition`), an alert
already open (`OpenAlert`) and what an evaluation changes (`Changes`). Severity is the
insights' own, so an alert and an insight rank alike in the API; alerts never use POSITIVE."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gql_server.core.insights.records import Severity

__all__ = ["AlertKind", "Changes", "Condition", "Metric", "OpenAlert", "Severity"]

Metric = str | float | int | None


class AlertKind(StrEnum):
    SHORTFALL_RISK = "SHORTFALL_RISK"
    LOW_BALANCE_AHEAD = "LOW_BALANCE_AHEAD"
    BILL_NOT_COVERED = "BILL_NOT_COVERED"
    INCOME_OVERDUE = "INCOME_OVERDUE"
    TAX_DUE_NOT_COVERED = "TAX_DUE_NOT_COVERED"
    BUFFER_RUNNING_DRY = "BUFFER_RUNNING_DRY"
    # Raised by the webhook delivery service when it gives up on an endpoint; `evaluate`
    # neither raises nor clears it, since the forecast knows nothing about it.
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


@dataclass(frozen=True)
class Condition:
    """Something that holds now. `key` names the very condition (the same risk, bill or
    payment gives the same key on every evaluation), so it fires once while it lasts."""

    key: str  # "SHORTFALL_RISK:30", "BILL_NOT_COVERED:<bill key>:<due iso>", ...
    kind: AlertKind
    severity: Severity
    title: str
    message: str
    metrics: dict[str, Metric]  # JSON-ready; money as strings with two decimals


@dataclass(frozen=True)
class OpenAlert:
    key: str
    kind: AlertKind
    fired_metrics: dict[str, Metric]


@dataclass(frozen=True)
class Changes:
    fire: tuple[Condition, ...]  # conditions to raise as new alerts
    clear: tuple[str, ...]  # keys of open alerts to clear
