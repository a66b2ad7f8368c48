"""Transactions being assembled: numeric chunks now, strings and sorting once at the end.

Each generation step appends a whole chunk of rows as arrays; strings go into one small
per-user table and rows carry its indexes, so no step touches a Python object per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gql_server.generator.window import DAY_US, Window

IntLike = int | np.ndarray
FloatLike = float | np.ndarray


@dataclass(frozen=True)
class Columns:
    """The finished, time-ordered columns of one user's history."""

    occurred_at: np.ndarray
    amount_paise: np.ndarray
    is_income: np.ndarray
    category: np.ndarray
    merchant: np.ndarray
    description: np.ndarray
    source_index: np.ndarray
    recurring_key: np.ndarray
    balance_paise: np.ndarray


def _column(value: IntLike | bool, n: int, dtype: type) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value.astype(dtype, copy=False)
    return np.full(n, value, dtype=dtype)


class RowBuffer:
    """One user's rows in the making. Rows may fall outside the window (a rent day before the
    start, a refund after the end); `finish` drops them, so generators need not clip."""

    def __init__(self, win: Window) -> None:
        self.win = win
        self._texts: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def text(self, value: str) -> int:
        """The id of `value` in this user's string table."""
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = len(self._texts)
            self._texts.append(value)
        return found

    def texts(self, values: Sequence[str]) -> np.ndarray:
        return np.array([self.text(v) for v in values], dtype=np.int32)

    def add(
        self,
        day: np.ndarray,
        hour: FloatLike,
        paise: np.ndarray,
        *,
        income: bool,
        category: IntLike,
        merchant: IntLike,
        description: IntLike = 0,
        source: int = -1,
        key: IntLike = 0,
    ) -> None:
        """Append rows; `day` is the local day index, `hour` the IST time of day (0..24)."""
        n = len(day)
        if n == 0:
            return
        seconds = (np.asarray(hour) * 3600.0).astype(np.int64)
        moment = self.win.day0_us + day.astype(np.int64) * DAY_US + seconds * 1_000_000
        self._chunks.append(
            (
                moment,
                paise.astype(np.int64),
                _column(income, n, np.bool_),
                _column(category, n, np.int32),
                _column(merchant, n, np.int32),
                _column(description, n, np.int32),
                _column(source, n, np.int8),
                _column(key, n, np.int32),
            )
        )

    def monthly_net_rupees(self) -> tuple[np.ndarray, np.ndarray]:
        """Income and signed net flow of the rows so far, per month of the window, in rupees."""
        win = self.win
        if not self._chunks:
            zero = np.zeros(win.n_months)
            return zero, zero
        moment = np.concatenate([c[0] for c in self._chunks])
        paise = np.concatenate([c[1] for c in self._chunks])
        income = np.concatenate([c[2] for c in self._chunks])
        inside = (moment >= win.start_us) & (moment < win.end_us)
        day = (moment[inside] - win.day0_us) // DAY_US
        month = win.month[np.clip(day, 0, win.n_days - 1)]
        paise, income = paise[inside], income[inside]
        signed = np.where(income, paise, -paise)
        total_in = np.bincount(month, weights=paise * income, minlength=win.n_months)
        net = np.bincount(month, weights=signed, minlength=win.n_months)
        return total_in / 100.0, net / 100.0

    def finish(self, opening_paise: int) -> Columns:
        """Drop rows outside the window, order by time (ties keep insertion order), and add
        the running balance."""
        win = self.win
        dtypes = (np.int64, np.int64, np.bool_, np.int32, np.int32, np.int32, np.int8, np.int32)
        parts = [
            np.concatenate([np.zeros(0, dtype), *(c[i] for c in self._chunks)])
            for i, dtype in enumerate(dtypes)
        ]
        moment = parts[0]
        keep = np.flatnonzero((moment >= win.start_us) & (moment < win.end_us))
        order = keep[np.argsort(moment[keep], kind="stable")]
        moment, paise, income, category, merchant, description, source, key = (
            p[order] for p in parts
        )
        table = np.array(self._texts, dtype=object)
        signed = np.where(income, paise, -paise)
        return Columns(
            occurred_at=moment.astype("datetime64[us]"),
            amount_paise=paise,
            is_income=income,
            category=table[category],
            merchant=table[merchant],
            description=table[description],
            source_index=np.where(income, source, -1).astype(np.int8),
            recurring_key=table[key],
            balance_paise=opening_paise + np.cumsum(signed, dtype=np.int64),
        )
