"""The pooled spread factors of each stratum (`gql_server.core.forecasting.evaluation.POOLED`),
fitted again: the table the code holds, printed from the tuning job seed.

    .venv/bin/python -m bench.calibration_prior [--users-per-pattern 16]

Each generated user of job seed 11 (the one the model is tuned on; `bench.forecast_accuracy`
refuses it) is evaluated as the live outlook evaluates it (`evaluation.evaluate_with_scores`,
the same plan of known money and seed as `compute_outlook`) at eight month-end origins through
2025, so that every season is in the pool. Every normalised error of every evaluation origin
is kept with the stratum of the history before that origin (`strata.stratum`); a stratum's
factor for a flow and horizon is the 80th percentile of its errors, the spread that would have
held 80% of them. A stratum with fewer than MIN_SCORES errors for a flow and horizon takes the
factor of its trend over both volatilities, and UNKNOWN (too short a history to tell) the
factor of every error. Printed: the table as Python, to paste into evaluation.py, and the
errors counted in each cell. The default run takes about 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import date

import numpy as np

from bench.forecast_accuracy import OUTLOOK_SEED, TUNING_SEED, Person, generator_people
from gql_server.core.forecasting.choice import INFLOW, OUTFLOW
from gql_server.core.forecasting.evaluation import Scored, evaluate_with_scores
from gql_server.core.forecasting.strata import STRATA, UNKNOWN
from gql_server.core.outlook import Surroundings, planner

ORIGINS = (
    date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30),
    date(2025, 6, 30), date(2025, 7, 31), date(2025, 9, 30), date(2025, 10, 31),
)  # fmt: skip
KEYS = tuple((flow, h) for flow in (INFLOW, OUTFLOW) for h in (7, 30, 60))
MIN_SCORES = 150
QUANTILE = 0.8


def scored(work: tuple[Person, date]) -> list[Scored]:
    person, origin = work
    ledger, merchants = person.ledger(origin)
    plan = planner(Surroundings(merchants=merchants))
    _, scores = evaluate_with_scores(ledger, plan, seed=OUTLOOK_SEED)
    return scores


def table(scores: list[Scored]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Each stratum's factor per (flow, horizon), and how many errors it came from."""
    pools: dict[tuple[str, tuple[str, int]], list[float]] = defaultdict(list)
    for s in scores:
        key = (s.flow, s.horizon)
        pools[s.stratum, key].append(s.score)
        pools["*", key].append(s.score)
        if s.stratum != UNKNOWN:
            pools[s.stratum.split()[0], key].append(s.score)
    factors: dict[str, dict] = {}
    counts: dict[str, dict] = {}
    for group in STRATA:
        factors[group], counts[group] = {}, {}
        for key in KEYS:
            pool = pools.get((group, key), [])
            counts[group][key] = len(pool)
            if group == UNKNOWN or len(pool) < MIN_SCORES:
                wider = "*" if group == UNKNOWN else group.split()[0]
                if len(pools[wider, key]) < MIN_SCORES:
                    wider = "*"
                pool = pools[wider, key]
            factors[group][key] = round(float(np.quantile(pool, QUANTILE)), 2)
    return factors, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users-per-pattern", type=int, default=16)
    args = parser.parse_args()
    people = generator_people(args.users_per_pattern, [TUNING_SEED])
    work = [(person, origin) for person in people for origin in ORIGINS]
    with ProcessPoolExecutor(2) as pool:
        scores = [s for batch in pool.map(scored, work, chunksize=4) for s in batch]
    factors, counts = table(scores)
    print(f"{len(work)} evaluations of job seed {TUNING_SEED}, {len(scores)} errors")
    print("POOLED: dict[str, dict[tuple[str, int], float]] = {")
    for group in STRATA:
        cells = ", ".join(f"({flow.upper()}, {h}): {factors[group][flow, h]}" for flow, h in KEYS)
        print(f'    "{group}": {{{cells}}},')
    print("}  # fmt: skip")
    print("errors per cell (inflow 7/30/60, outflow 7/30/60):")
    for group in STRATA:
        print(f"  {group:15s} " + " ".join(f"{counts[group][key]:5d}" for key in KEYS))


if __name__ == "__main__":
    main()
