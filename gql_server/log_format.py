"""Log lines as text for a terminal, or as one JSON object each (LOG_FORMAT=json) for a log
pipeline, carrying the request id and, once the GraphQL layer knows them, the caller and the
operation."""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from gql_server.request_ids import current_request_id
from gql_server.settings import Settings

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


@dataclass
class OperationLog:
    """What the log knows of the GraphQL operation being run. One mutable object per
    operation, set in a context variable where the operation starts: the caller is resolved
    in a resolver's own task, and a value set there would never reach the operation's later
    lines (an error logged as the response is assembled); a change to a shared object does."""

    operation: str | None = None
    user_id: int | None = None


current_operation: ContextVar[OperationLog | None] = ContextVar("operation_log", default=None)


def note_user(user_id: int) -> None:
    """The caller of the current operation is known (a no-op outside one)."""
    log = current_operation.get()
    if log is not None:
        log.user_id = user_id


class RequestContext(logging.Filter):
    """Adds request_id, and user_id and operation when known, to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id != "-":
            record.request_id = request_id
        log = current_operation.get()
        if log is not None:
            if log.user_id is not None:
                record.user_id = log.user_id
            if log.operation is not None:
                record.operation = log.operation
        return True


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for the root logger. As JSON it is also given to uvicorn (`log_config`),
    whose own loggers then have no handlers and reach the root: its access log comes out in
    the same format, request id included. As text, uvicorn keeps its own format."""
    loggers: dict[str, Any] = {"tortoise": {"level": "WARNING"}}  # not every query at INFO
    if settings.log_format == "json":
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            loggers[name] = {"level": "INFO"}  # no handlers of their own: the root's format
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"request_context": {"()": RequestContext}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_context"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": loggers,
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))


def logging_is_configured() -> bool:
    return bool(logging.getLogger().handlers)
