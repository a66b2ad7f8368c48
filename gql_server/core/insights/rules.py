"""Insights: short, plain statements about a user's money, each with a kind, a severity and
the metrics it rests on, most important first.

Each rule is a small function of the context and the user's months (see `months`)
returning zero or more insights; its docstring states the rule and why its thresholds are
where they are. The rules live in `income` (trend, seasons), `stability`
(volatility, dependence on one source), `spending` (category growth, spikes, top
merchants), `balance` (runway, buffer progress, upcoming shortfall) and `tax` (advance tax
due or to set aside, the GST threshold, a presumptive scheme's limit, interest for late
advance tax).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gql_server.core.insights.balance import buffer_progress, runway, upcoming_shortfall
from gql_server.core.insights.income import income_trend, seasonality
from gql_server.core.insights.months import Months, lay_out_months
from gql_server.core.insights.records import Insight, InsightContext
from gql_server.core.insights.spending import category_growth, spending_spikes, top_merchants
from gql_server.core.insights.stability import income_concentration, income_volatility
from gql_server.core.insights.tax import (
    advance_tax_due,
    gst_threshold,
    tax_interest,
    tax_scheme_limit,
    tax_set_aside,
)

__all__ = ["RULES", "Rule", "generate_insights"]

Rule = Callable[[InsightContext, Months], list[Insight]]
RULES: tuple[Rule, ...] = (
    income_trend,
    seasonality,
    income_volatility,
    income_concentration,
    category_growth,
    spending_spikes,
    top_merchants,
    runway,
    buffer_progress,
    upcoming_shortfall,
    advance_tax_due,
    tax_set_aside,
    gst_threshold,
    tax_scheme_limit,
    tax_interest,
)
PER_CATEGORY_KINDS = frozenset({"category_growth", "spending_spike"})
logger = logging.getLogger(__name__)


def _one_per_category(insights: list[Insight]) -> list[Insight]:
    """A category that both grew and spiked is told once, by its more important insight
    (a one-off purchase also lifts the 3-month average)."""
    kept, seen = [], set()
    for insight in insights:
        if insight.kind in PER_CATEGORY_KINDS:
            category = insight.metrics.get("category")
            if category in seen:
                continue
            seen.add(category)
        kept.append(insight)
    return kept


def generate_insights(context: InsightContext) -> list[Insight]:
    """Every rule's insights, most important first (severity, then size of the effect; ties
    by kind and title so the order is stable). Never raises: a rule that fails is logged and
    skipped, so one bad corner of the data cannot hide the other insights."""
    try:
        months = lay_out_months(context.ledger, context.series)
    except Exception:
        logger.exception("insights: could not lay out the months")
        return []
    insights: list[Insight] = []
    for rule in RULES:
        try:
            insights.extend(rule(context, months))
        except Exception:
            logger.exception("insight rule %s failed", rule.__name__)
    insights.sort(key=lambda insight: (-insight.importance, insight.kind, insight.title))
    return _one_per_category(insights)
