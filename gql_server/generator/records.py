"""What the generator hands over: plain frozen records with columnar transactions, so the
database writer can encode a user's rows without touching them one by one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class GeneratedSource:
    """An income source as the database stores it; its rows point to it by position."""

    name: str  # "Upwork", "Swiggy", "Pixel Forge Design Studio"
    kind: str  # "platform", "client", "employer" or "other"
    frequency: str  # "weekly", "biweekly", "monthly", "per_project" or "irregular"
    expected_monthly_amount: Decimal  # 2 decimal places


@dataclass(frozen=True)
class GeneratedUser:
    """A person and their whole history. Transactions are parallel numpy columns so a writer
    can turn thousands of rows into COPY text with a few vectorised calls."""

    index: int
    email: str
    full_name: str
    city: str
    occupation: str
    income_pattern: str
    opening_balance: Decimal
    sources: tuple[GeneratedSource, ...]
    # Transactions, columnar, ascending by occurred_at (ties in array order).
    occurred_at: np.ndarray  # datetime64[us], UTC
    amount_paise: np.ndarray  # int64, > 0
    is_income: np.ndarray  # bool
    category: np.ndarray  # object (str)
    merchant: np.ndarray  # object (str)
    description: np.ndarray  # object (str), "" allowed
    source_index: np.ndarray  # int8: index into `sources`; -1 for expenses and for income
    # that is not earnings (refunds, cashback, friends paying back, interest)
    recurring_key: np.ndarray  # object (str): "" or the key of a planted recurring series
    balance_paise: np.ndarray  # int64: running balance after each row, may be negative

    @property
    def transaction_count(self) -> int:
        return len(self.amount_paise)
