"""Coded errors of the tax core: each carries a `code` that the API can pass on as it is."""

from __future__ import annotations

from enum import StrEnum


class TaxErrorCode(StrEnum):
    UNSUPPORTED_FINANCIAL_YEAR = "UNSUPPORTED_FINANCIAL_YEAR"
    UNKNOWN_REGIME = "UNKNOWN_REGIME"
    UNKNOWN_SCHEME = "UNKNOWN_SCHEME"
    UNKNOWN_STATE = "UNKNOWN_STATE"
    UNKNOWN_PAYMENT_KIND = "UNKNOWN_PAYMENT_KIND"
    INVALID_DEDUCTION = "INVALID_DEDUCTION"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_CASH_SHARE = "INVALID_CASH_SHARE"
    INVALID_RECEIPTS_RANGE = "INVALID_RECEIPTS_RANGE"
    INVALID_DATE = "INVALID_DATE"


class TaxError(ValueError):
    """Input the tax rules cannot work with; `code` says which kind, the message says why."""

    def __init__(self, code: TaxErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: TaxErrorCode = code
