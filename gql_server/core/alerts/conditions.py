"""Which alert conditions hold for a user now (`conditions`) and, against the alerts already
open, which fire and which clear (`evaluate`). Each condition fires at one threshold and,
once open, clears only past a looser one (`rules` lists them), so a figure wobbling around a
threshold from one forecast to the next raises one alert, not one a day. A condition of a kind
the user turned off neither fires nor stays open.

Every public name of the package can be imported from here."""

from __future__ import annotations

from collections.abc import Mapping

from gql_server.core.alerts.records import (
    AlertKind,
    Changes,
    Condition,
    Metric,
    OpenAlert,
    Severity,
)
from gql_server.core.alerts.rules import (
    Candidate,
    candidates,
    money_clear_margin,
    shortfall_clear_below,
)
from gql_server.core.alerts.settings import AlertSettings, AlertSettingsError
from gql_server.core.alerts.situation import Bill, ExpectedIncome, Situation, covered_share
from gql_server.core.insights.records import SEVERITY_RANK

__all__ = [
    "AlertKind",
    "AlertSettings",
    "AlertSettingsError",
    "Bill",
    "Changes",
    "Condition",
    "ExpectedIncome",
    "Metric",
    "OpenAlert",
    "Severity",
    "Situation",
    "conditions",
    "covered_share",
    "evaluate",
    "money_clear_margin",
    "shortfall_clear_below",
]


def conditions(situation: Situation, settings: AlertSettings) -> list[Condition]:
    """Every condition of an enabled kind that holds now by its fire threshold, the most
    severe first."""
    return _firing(candidates(situation, settings))


def evaluate(
    situation: Situation, settings: AlertSettings, open_alerts: Mapping[str, OpenAlert]
) -> Changes:
    """Conditions that hold and are not open fire; open alerts whose condition no longer
    holds by its clear threshold, or whose kind was turned off, clear. WEBHOOK_DISABLED
    alerts are left alone."""
    found = candidates(situation, settings)
    staying = {one.condition.key for one in found if one.stays}
    fire = tuple(condition for condition in _firing(found) if condition.key not in open_alerts)
    clear = tuple(
        key
        for key, alert in open_alerts.items()
        if alert.kind != AlertKind.WEBHOOK_DISABLED
        and (alert.kind not in settings.enabled or key not in staying)
    )
    return Changes(fire=fire, clear=clear)


def _firing(found: list[Candidate]) -> list[Condition]:
    firing = [one.condition for one in found if one.fires]
    return sorted(firing, key=lambda condition: -SEVERITY_RANK[condition.severity])
