"""The shared statistics: one coefficient of variation and one modified z-score limit, and
rows grouped by a key."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gql_server.core.stats import (
    MAD_OF_NORMAL,
    OUTLIER_Z,
    coefficient_of_variation,
    finite_or_none,
    median_and_mad,
    outlier_limit,
    positions_by_value,
    short_median,
)


def test_cv_is_the_sample_standard_deviation_over_the_mean() -> None:
    values = np.array([10.0, 20.0, 30.0, 40.0])
    expected = values.std(ddof=1) / values.mean()
    assert coefficient_of_variation(values) == pytest.approx(expected)


def test_cv_is_none_when_the_data_cannot_define_it() -> None:
    assert coefficient_of_variation([5.0]) is None  # one value says nothing about spread
    assert coefficient_of_variation([1.0, 2.0], min_count=3) is None
    assert coefficient_of_variation([0.0, 0.0, 0.0]) is None  # zero mean
    assert coefficient_of_variation([-3.0, 1.0]) is None  # negative mean


def test_a_value_at_the_limit_has_a_modified_z_score_of_3_5() -> None:
    values = np.array([1.0, 2.0, 2.0, 3.0, 9.0])
    median, mad = median_and_mad(values)
    limit = float(outlier_limit(median, mad))
    assert MAD_OF_NORMAL * (limit - float(median)) / float(mad) == pytest.approx(OUTLIER_Z)


def test_the_mad_floor_holds_a_steady_group_open_and_works_per_column() -> None:
    history = np.array([[100.0, 50.0], [100.0, 60.0], [100.0, 40.0]])
    median, mad = median_and_mad(history, axis=0)
    limit = outlier_limit(median, mad, min_mad=0.1 * MAD_OF_NORMAL * median)
    assert limit[0] == pytest.approx(100.0 + OUTLIER_Z * 10.0)  # MAD 0: floored at a tenth
    assert limit[1] == pytest.approx(50.0 + OUTLIER_Z * 10.0 / MAD_OF_NORMAL)


def test_finite_or_none() -> None:
    assert finite_or_none(None) is None
    assert finite_or_none(math.nan) is None
    assert finite_or_none(math.inf) is None
    assert finite_or_none(np.float64(1.5)) == 1.5


@given(
    st.lists(
        st.floats(min_value=-1e12, max_value=1e12, allow_nan=False) | st.integers(-1000, 1000),
        min_size=1,
        max_size=15,
    )
)
def test_short_median_is_numpys_median(values: list[float]) -> None:
    array = np.array(values)
    assert short_median(array) == float(np.median(array))


@given(st.lists(st.sampled_from(["Acme", "", "Zed", "acme", "Bolt Retainer"]), max_size=40))
def test_positions_by_value_are_the_positions_a_mask_per_value_finds(names: list[str]) -> None:
    values = np.array(names, dtype=str)

    unique, positions = positions_by_value(values)

    assert unique.tolist() == sorted(set(names))
    for value, where in zip(unique.tolist(), positions, strict=True):
        assert where.tolist() == np.flatnonzero(values == value).tolist()
