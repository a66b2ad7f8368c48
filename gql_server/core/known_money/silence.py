"""Clients who have gone quiet: how much of a past client's money the weekly model should
still count on.

A client who paid whenever a project ended (neither scheduled nor at a rhythm) stays in the
baseline the weekly model learns from. While it keeps paying, that is right; once it has been
silent far longer than its own gaps between payments, it has probably gone, and its past
payments keep the learned level up for months (the mean model looks back a year). This is the
intermittent-demand idea of Teunter, Syntetos & Babai (2011), the chance of a payment decaying
while payments stop, applied per client: each of its rows in the baseline counts at the
chance that it still pays, Bayes' rule between a prior hazard of stopping of STOP_HAZARD a
month and the chance that a client who still pays would have been silent this long (the share
of its own gaps at least this long, smoothed by an exponential tail of its mean gap so that a
silence longer than any gap so far is unlikely, not impossible).

Only clients with MIN_PAYING_DAYS paying days or more are judged: a one-off client says
nothing about its gaps, and new one-off clients arriving is itself the income the weekly
model learns.
"""

from __future__ import annotations

import math

import numpy as np

from gql_server.core.calendar import day_number
from gql_server.core.series import DAYS_PER_MONTH, Ledger
from gql_server.core.stats import positions_by_value

MIN_PAYING_DAYS = 4
# A month's prior chance that a client stops. Tuned on the tuning job seed (11, 240 forecasts,
# 30-day inflow MAE / naive) and `bench.lumpy_income` (100): without this module 0.69 and
# 0.86; at 1% 0.69 and 0.82; at 2% (the rhythms' hazard) 0.70 and 0.83; at 4% 0.70 and 0.81.
# The generator's clients never leave, so every judgement there is a false alarm: the lower
# prior costs nothing there and keeps the gain where clients do leave.
STOP_HAZARD = 0.01


def still_paying(gaps: np.ndarray, silent: int) -> float:
    """The chance that a client with these gaps (days) between paying days still pays after
    `silent` days without a payment (module docstring)."""
    if silent <= 0 or len(gaps) == 0:
        return 1.0
    tail = math.exp(-silent / max(float(np.mean(gaps)), 1.0))
    survival = (float(np.sum(gaps >= silent)) + tail) / (len(gaps) + 1)
    stopped = 1.0 - (1.0 - STOP_HAZARD) ** (silent / DAYS_PER_MONTH)
    staying = survival * (1.0 - stopped)
    return float(staying / (staying + stopped))


def client_weights(ledger: Ledger, keys: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """Per row of the ledger: the chance that its client still pays for the income rows in
    `rows` (a mask: the baseline's) of clients with MIN_PAYING_DAYS paying days or more among
    them, 1 elsewhere. `keys` are `rhythm.income_keys` (None without merchant names: all 1).
    Today's rows count as a payment."""
    weights = np.ones(len(ledger))
    if keys is None or len(ledger) == 0:
        return weights
    days = ledger.day_numbers
    today = day_number(ledger.as_of) + 1
    income = (
        np.asarray(rows, dtype=bool)
        & np.asarray(ledger.is_income, dtype=bool)
        & (np.asarray(ledger.amount) > 0)
        & (days <= today)
    )
    found = np.flatnonzero(income)
    if len(found) == 0:
        return weights
    for where in positions_by_value(keys[found].astype(str))[1]:
        mine = found[where]
        paid = np.unique(days[mine])
        if len(paid) < MIN_PAYING_DAYS:
            continue
        weights[mine] = still_paying(np.diff(paid), int(today - paid[-1]))
    return weights
