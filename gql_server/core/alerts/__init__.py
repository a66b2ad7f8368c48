"""Alerts, pure: the kinds and records (`records`), a user's alert settings and their checks
(`settings`), the situation the rules read and the covered share of a day's balance quantiles
(`situation`), how amounts, dates and chances are written (`wording`), the rule of each kind
with its fire and clear thresholds (`rules`), and which conditions hold and which alerts fire
and clear (`conditions`, which also re-exports every public name)."""
