"""The errors a client can meet, each with the `extensions.code` of the API contract."""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """An expected failure whose message is safe and useful to show a client."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = dict(extra)
        if field is not None:
            self.extra["field"] = field

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.extra}


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class AccountErased(Unauthenticated):
    """The account is gone, erased while a request or a background task of it ran: what it
    was doing for the account is dropped (background tasks skip it quietly)."""


class Forbidden(ApiError):
    code = "FORBIDDEN"


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


class NotFound(ApiError):
    code = "NOT_FOUND"


class Conflict(ApiError):
    code = "CONFLICT"


class RateLimited(ApiError):
    code = "RATE_LIMITED"


class ServiceUnavailable(ApiError):
    """A dependency (database, forecast pool) is down or too slow; retrying later may work
    (the API contract's SERVICE_UNAVAILABLE, not a bug of ours)."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message, **{"retryable": True, **extra})
