"""Income at a rhythm, forecast per counterparty: a client who pays every month, but late."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from gql_server.core.forecasting.scenarios import Scenario, known_flows
from gql_server.core.known_money.plan import plan_known_money
from gql_server.core.known_money.rhythm import (
    Rhythm,
    _due_offsets,
    anchored,
    find_rhythms,
    rhythm_paths,
    still_paying,
)
from gql_server.core.outlook import Surroundings, compute_outlook
from tests.unit.test_recurring import Row, groceries, make_ledger

AS_OF = date(2025, 6, 30)
CLIENT = "Acme Studio"
# Days between the client's payments: about a month, never on the same day of it.
LATE_GAPS = [27, 38, 31, 24, 41, 29, 35, 26, 33, 30, 39, 28, 34]


def _client(last_paid: date, amount: float = 60_000.0) -> list[Row]:
    days = [last_paid]
    for gap in reversed(LATE_GAPS):
        days.insert(0, days[0] - timedelta(days=gap))
    return [
        (d, amount * (1 + 0.02 * (k % 3)), True, "Freelance", CLIENT) for k, d in enumerate(days)
    ]


def _rhythm(silent: int) -> Rhythm:
    return Rhythm(
        merchant=CLIENT,
        source_id=-1,
        gaps=np.array(LATE_GAPS, dtype=np.float64),
        amounts=np.full(6, 60_000.0),
        silent=silent,
        rows=np.zeros(0, dtype=np.int64),
    )


def test_a_late_paying_client_is_a_rhythm_and_leaves_the_baseline() -> None:
    rows = _client(AS_OF - timedelta(days=10)) + groceries(1, date(2024, 1, 1), 540)
    ledger, merchants = make_ledger(rows, AS_OF)

    known = plan_known_money(ledger, merchants=merchants)

    assert CLIENT not in {s.merchant for s in known.schedule}  # no usual day: not scheduled
    [rhythm] = known.rhythms
    assert rhythm.merchant == CLIENT
    assert rhythm.silent == 11  # paid 10 days before as_of: 11 before the forecast's first day
    client = merchants == CLIENT
    assert not known.baseline[client].any()
    assert known.baseline[~client].all()
    assert not known.excluded[client].any()  # modelled, not kept out


def test_irregular_or_weekly_income_is_not_a_rhythm() -> None:
    rng = np.random.default_rng(3)
    whenever = [
        (AS_OF - timedelta(days=int(d)), 20_000.0, True, "Freelance", "Odd Jobs")
        for d in np.sort(rng.choice(360, size=14, replace=False))
    ]
    weekly = [
        (AS_OF - timedelta(weeks=k), 5_000.0 + 300 * (k % 4), True, "Payout", "Swiggy")
        for k in range(40)
    ]
    ledger, merchants = make_ledger(whenever + weekly, AS_OF)

    assert find_rhythms(ledger, merchants, np.zeros(len(ledger), dtype=bool)) == ()
    assert find_rhythms(ledger, None, np.zeros(len(ledger), dtype=bool)) == ()


def test_the_next_payment_comes_a_gap_after_the_last_one() -> None:
    rng = np.random.default_rng(0)
    just_paid = rhythm_paths(_rhythm(silent=1), 60, 2000, rng)
    assert (just_paid[:, :7].sum(axis=1) == 0).mean() > 0.99  # the shortest gap is 24 days
    assert 0.9 < (just_paid[:, :45] > 0).sum(axis=1).mean() < 1.2  # one payment in 45 days
    due = rhythm_paths(_rhythm(silent=30), 60, 2000, rng)
    first_week = (due[:, :7] > 0).any(axis=1).mean()
    assert first_week > 0.5  # a month silent: its payment is due within the week
    assert np.isclose(due[due > 0], 60_000.0).all()


def test_a_source_silent_far_beyond_its_gaps_has_stopped() -> None:
    def alive(silent: int) -> float:
        lengths, weights, waited = _rhythm(silent).waits()
        assert np.isclose(weights.sum(), 1.0)
        return still_paying(_rhythm(silent), lengths, weights, waited)

    assert alive(20) > 0.95
    assert alive(45) < 0.9
    assert alive(120) == 0.0
    stopped = rhythm_paths(_rhythm(silent=120), 60, 100, np.random.default_rng(1))
    assert not stopped.any()


def test_known_flows_draw_the_rhythm_per_path_and_drop_it_with_its_source() -> None:
    rows = _client(AS_OF - timedelta(days=28)) + groceries(2, date(2024, 1, 1), 540)
    ledger, merchants = make_ledger(rows, AS_OF)
    ledger = type(ledger)(**{**ledger.__dict__, "source_id": np.where(merchants == CLIENT, 9, -1)})
    known = plan_known_money(ledger, merchants=merchants)
    assert [r.source_id for r in known.rhythms] == [9]

    inflow, _ = known_flows(ledger, known, 30, paths=500, rng=np.random.default_rng(4))
    assert inflow.shape == (500, 30)
    assert (inflow.sum(axis=1) > 0).mean() > 0.8  # 28 days silent: due within the month
    expected, _ = known_flows(ledger, known, 30)
    assert np.isclose(expected.sum(), inflow.sum(axis=1).mean(), rtol=0.1)
    dropped, _ = known_flows(
        ledger, known, 30, Scenario(drop_source_ids=frozenset({9})), paths=500,
        rng=np.random.default_rng(4),
    )  # fmt: skip
    assert not dropped.any()


def test_the_weeks_forecast_expects_a_late_client_when_it_is_due_not_just_after_it_paid() -> None:
    def week_inflow(days_since_paid: int) -> float:
        rows = _client(AS_OF - timedelta(days=days_since_paid)) + groceries(
            5, date(2024, 1, 1), 540
        )
        ledger, merchants = make_ledger(rows, AS_OF)
        outlook = compute_outlook(ledger, seed=3, surroundings=Surroundings(merchants=merchants))
        [week] = [h for h in outlook.forecast.horizons if h.horizon_days == 7]
        return week.expected_inflow

    assert week_inflow(2) < 3_000.0  # the shortest gap is 24 days: nothing this week
    assert week_inflow(30) > 30_000.0  # a month silent: more likely than not this week


def test_dropping_one_source_leaves_the_other_rhythms_paths_as_they_were() -> None:
    other = [
        (d, 45_000.0, True, "Freelance", "Bright Labs")
        for d, *_ in _client(AS_OF - timedelta(days=17))
    ]
    rows = _client(AS_OF - timedelta(days=5)) + other + groceries(6, date(2024, 1, 1), 540)
    ledger, merchants = make_ledger(rows, AS_OF)
    sources = np.select([merchants == CLIENT, merchants == "Bright Labs"], [9, 10], -1)
    ledger = type(ledger)(**{**ledger.__dict__, "source_id": sources})
    known = plan_known_money(ledger, merchants=merchants)
    assert sorted(r.source_id for r in known.rhythms) == [9, 10]

    def inflow(dropped: frozenset[int]) -> np.ndarray:
        flows, _ = known_flows(
            ledger, known, 60, Scenario(drop_source_ids=dropped), paths=300,
            rng=np.random.default_rng(np.random.SeedSequence(8)),
        )  # fmt: skip
        return flows

    both = inflow(frozenset())
    only_bright, only_acme = inflow(frozenset({9})), inflow(frozenset({10}))
    assert only_bright.any()
    assert only_acme.any()
    assert np.array_equal(both, only_acme + only_bright)


DUE = 5  # the retainer's day of the month
LATENESS = [0, 9, 3, 14, 6, 1, 11, 4, 8, 2, 13, 5]  # days after it, month by month


def _retainer(months: int = 12, amount: float = 80_000.0) -> list[Row]:
    """Due on the 5th of each month from July 2024, paid LATENESS days late."""
    return [
        (date(2024 + (6 + m) // 12, (6 + m) % 12 + 1, DUE) + timedelta(days=LATENESS[m % 12]),
         amount, True, "Freelance", "Northwind Retainer")
        for m in range(months)
    ]  # fmt: skip


def test_a_retainer_paid_late_is_due_monthly_not_a_renewal() -> None:
    ledger, _ = make_ledger(_retainer(), date(2025, 6, 30))
    due = anchored(np.unique(ledger.day_numbers))
    assert due is not None
    anchor, lateness, _ = due
    assert anchor == DUE
    assert lateness.tolist() == LATENESS
    drifting, _ = make_ledger(_client(AS_OF), AS_OF)  # paid a gap after the last: a renewal
    assert anchored(np.unique(drifting.day_numbers)) is None


def test_a_month_not_yet_paid_is_still_expected_and_a_paid_one_is_not() -> None:
    rows = _retainer(months=11) + groceries(7, date(2024, 6, 1), 420)  # July to May
    unpaid, merchants = make_ledger(rows, date(2025, 6, 12))  # June's has not come yet
    known = plan_known_money(unpaid, merchants=merchants)
    assert "Northwind Retainer" not in {s.merchant for s in known.schedule}
    [rhythm] = known.rhythms
    assert rhythm.anchor == DUE
    assert not rhythm.cycle_paid
    assert rhythm.into_cycle == 8  # the 13th is 8 days after the 5th
    paths = rhythm_paths(rhythm, 30, 2000, np.random.default_rng(2))
    assert (paths[:, :10].sum(axis=1) > 0).mean() > 0.8  # at most 14 days late so far
    # June's, and July's (due on day 22 of 30) when it is at most 7 days late: 6 of 11 were
    assert 0.9 < (paths > 0).sum(axis=1).mean() <= 1.6

    paid_rows = [*rows, (date(2025, 6, 13), 80_000.0, True, "Freelance", "Northwind Retainer")]
    paid, merchants = make_ledger(paid_rows, date(2025, 6, 12))
    [rhythm] = plan_known_money(paid, merchants=merchants).rhythms
    assert rhythm.cycle_paid  # today's row (13 June, after the history) pays June's
    paths = rhythm_paths(rhythm, 30, 2000, np.random.default_rng(2))
    assert (paths[:, :22].sum(axis=1) == 0).all()  # July's comes on the 5th or later


def test_a_retainer_paid_on_time_stays_on_the_schedule() -> None:
    on_time = [(d - timedelta(days=LATENESS[k % 12]), a, i, c, m)
               for k, (d, a, i, c, m) in enumerate(_retainer())]  # fmt: skip
    ledger, merchants = make_ledger(on_time + groceries(8, date(2024, 6, 1), 420), AS_OF)
    known = plan_known_money(ledger, merchants=merchants)
    assert "Northwind Retainer" in {s.merchant for s in known.schedule}
    assert known.rhythms == ()


def test_a_client_paid_every_six_weeks_or_so_is_left_to_the_weekly_model() -> None:
    """Projects every few weeks, each invoice paid when it is paid: one payment in most
    months (so not due monthly) at gaps too uneven for a renewal."""
    gaps = [44, 29, 58, 37, 51, 33, 62, 40, 47, 31, 55, 38]
    days = [AS_OF - timedelta(days=5)]
    for gap in reversed(gaps):
        days.insert(0, days[0] - timedelta(days=gap))
    rows = [(d, 40_000.0 + 500 * k, True, "Freelance", "Initech") for k, d in enumerate(days)]
    ledger, merchants = make_ledger(rows, AS_OF)

    assert anchored(np.unique(ledger.day_numbers)) is None
    assert find_rhythms(ledger, merchants, np.zeros(len(ledger), dtype=bool)) == ()


def _due_monthly(lateness: Sequence[float], into_cycle: int, paid: bool) -> Rhythm:
    return Rhythm(
        merchant=CLIENT,
        source_id=-1,
        gaps=np.full(len(lateness), 30.0),
        amounts=np.full(6, 50_000.0),
        silent=into_cycle + 30,
        rows=np.zeros(0, dtype=np.int64),
        anchor=DUE,
        lateness=np.array(lateness, dtype=np.float64),
        cycle=12 * 55 + 5,  # June 2025
        into_cycle=into_cycle,
        cycle_paid=paid,
    )


def test_a_client_mostly_paid_on_its_due_day_is_expected_on_it() -> None:
    # Nine of thirteen months paid on the due day: a kernel cut at day 0 and renormalised
    # gave that day about half their weight, and next month's payment came too late.
    rhythm = _due_monthly([0] * 9 + [1, 2, 3, 5], into_cycle=0, paid=False)
    lengths, weights, _ = rhythm.waits()
    assert np.isclose(weights.sum(), 1.0)
    assert abs(float(weights[lengths == 0][0]) - 9 / 13) < 0.08


def test_a_client_a_few_days_later_than_ever_is_late_not_gone() -> None:
    # Never more than 6 days late in 13 months, and 9 days late now: what one month in 14 or
    # so does (the next of 13 is the longest with chance 1/14), not a client who has stopped.
    # A Gaussian kernel's tail took it for gone, and dropped this and next month's payments.
    rhythm = _due_monthly([0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6], into_cycle=9, paid=False)
    lengths, weights, waited = rhythm.waits()
    assert still_paying(rhythm, lengths, weights, waited) > 0.3
    paths = rhythm_paths(rhythm, 30, 4000, np.random.default_rng(3))
    assert (paths > 0).sum(axis=1).mean() > 0.5
    # ... while one silent far longer than its spread explains has stopped
    gone = _due_monthly([0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6], into_cycle=28, paid=False)
    assert still_paying(gone, *gone.waits()) < 0.01


def _skipping(catch_up: bool, months: int = 14, passed: tuple[int, ...] = (4, 9)) -> list[Row]:
    """The retainer, but the `passed` months go unpaid and are paid with the next one (or not
    at all, without `catch_up`)."""
    rows = []
    for k, (day, amount, income, category, merchant) in enumerate(_retainer(months)):
        if k in passed:
            continue
        covers = 2 if catch_up and k - 1 in passed else 1
        rows.append((day, amount * covers, income, category, merchant))
    return rows


def test_a_client_who_lets_a_month_pass_and_pays_it_with_the_next_is_still_due_monthly() -> None:
    # 12 payments over 14 months: below the 90% of months due monthly wanted before, the
    # client fell to the weekly model with its doubled payments; now the months it passes
    # are a chance of its own, and the one after pays both.
    rows = _skipping(catch_up=True, months=13) + groceries(7, date(2024, 6, 1), 480)
    ledger, merchants = make_ledger(rows, date(2025, 8, 27))  # August's not paid yet
    [rhythm] = plan_known_money(ledger, merchants=merchants).rhythms
    assert rhythm.anchor == DUE
    assert rhythm.catch_up
    assert np.isclose(rhythm.skip, 2 / 13)  # two of the 13 months July 2024 to July 2025
    assert np.allclose(rhythm.amounts, 80_000.0)  # per month: a double payment is two months
    assert not rhythm.cycle_paid
    assert rhythm.into_cycle == 23
    paths = rhythm_paths(rhythm, 45, 2000, np.random.default_rng(4))
    # August's has most likely passed (it is later than ever): September's (due on day 9)
    # then pays both
    first = paths[np.arange(len(paths)), (paths > 0).argmax(axis=1)]
    assert (first == 160_000.0).mean() > 0.5
    assert 80_000.0 < paths.sum(axis=1).mean() < 3 * 80_000.0


def test_months_a_client_passed_without_paying_them_later_are_not_expected_back() -> None:
    groceries_rows = groceries(7, date(2024, 6, 1), 480)
    once, merchants = make_ledger(_skipping(False, passed=(4,)) + groceries_rows, date(2025, 8, 20))
    [rhythm] = plan_known_money(once, merchants=merchants).rhythms
    assert rhythm.anchor == DUE
    assert not rhythm.catch_up
    _, months = _due_offsets(rhythm, 60, 2000, np.random.default_rng(5))
    assert set(np.unique(months).tolist()) == {0, 1}  # passed, or paid for itself alone
    # Two months in 14 passed and never made up: a client paid when it pleases, not due
    # monthly (a project client has such months too)
    twice, merchants = make_ledger(_skipping(False) + groceries_rows, date(2025, 8, 20))
    assert all(r.anchor is None for r in plan_known_money(twice, merchants=merchants).rhythms)


def test_a_month_later_than_any_lateness_of_a_client_who_passes_months_is_passed() -> None:
    # The wait is past the end of the lateness distribution: no draw of this month's payment
    # is possible (numpy's choice got NaN chances), yet a client who passes months is not gone.
    rhythm = replace(
        _due_monthly([0, 0, 1, 1, 2, 2, 3, 1, 0, 2, 1, 0], into_cycle=29, paid=False),
        skip=0.15,
        catch_up=True,
    )
    paths = rhythm_paths(rhythm, 45, 1000, np.random.default_rng(6))
    first = paths[np.arange(len(paths)), (paths > 0).argmax(axis=1)]
    assert (first[first > 0] >= 100_000.0).all()  # the next paid month pays for both (or 3)
    assert (first[first > 0] == 100_000.0).mean() > 0.75


def test_a_client_paid_whenever_a_project_ends_is_not_due_monthly_with_months_passed() -> None:
    # Gaps of 3 to 10 weeks: the month-long ones have a median of about a month, and with the
    # long ones in the spread any lateness looked steady; the project client was taken for a
    # retainer that passes months (test_silence's gone client was then still expected).
    gaps = [34, 61, 22, 45, 28, 70, 39, 52, 25, 47, 36]
    assert anchored(np.cumsum([20_000, *gaps])) is None
