"""Counts, latency and error codes per GraphQL operation for /metrics, and the operation's
name (and later its caller) for the log lines written while it runs."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

from gql_server.log_format import OperationLog, current_operation

logger = logging.getLogger("gql_server.operations")

ANONYMOUS = "anonymous"
OTHER = "other"
# A name the metrics keep as a label: GraphQL's own syntax, not too long for a dashboard.
_LABEL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_ERROR_CODE = re.compile(r"[A-Z][A-Z_]{0,39}")

REQUESTS = Counter("graphql_requests", "GraphQL operations run, by name", ["operation"])
LATENCY = Histogram(
    "graphql_request_duration_seconds",
    "Time from receiving a GraphQL operation to its result, by name",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ERRORS = Counter(
    "graphql_errors",
    "Errors in GraphQL results, by operation and extensions.code",
    ["operation", "code"],
)


class OperationNames:
    """The label for an operation's name. Each label is a series kept in memory for the life
    of the process (and in every scrape), and names come from clients: the first `limit`
    distinct names of documents that parsed and validated become labels; every later new
    name is "other", so random names cannot grow memory without bound."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._known: set[str] = set()

    def label(self, name: str | None, *, admit: bool) -> str:
        if name is None:
            return ANONYMOUS
        if name in self._known:
            return name
        if admit and len(self._known) < self.limit and _LABEL_NAME.fullmatch(name):
            self._known.add(name)
            return name
        return OTHER


# One per process, as the metrics are.
operation_names = OperationNames()


class OperationMetrics(SchemaExtension):
    """Listed first among the schema's extensions: its end of the operation runs last, when
    the errors carry their codes (ApiErrorCodes), and the log context it sets covers every
    other extension's lines."""

    _label: str | None = None

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        log = OperationLog(operation=self._name())
        token = current_operation.set(log)
        try:
            yield
        finally:
            label = self._label or operation_names.label(self._name(), admit=False)
            elapsed = time.perf_counter() - started
            REQUESTS.labels(label).inc()
            LATENCY.labels(label).observe(elapsed)
            for code in self._error_codes():
                ERRORS.labels(label, code).inc()
            logger.debug("%s in %.3f s", label, elapsed)
            # A subscription's stream may be closed from another context than it began in.
            with contextlib.suppress(ValueError):
                current_operation.reset(token)

    def on_execute(self) -> Iterator[None]:
        # Runs only for a document that parsed and validated: only such a name is admitted.
        name = self._name()
        self._label = operation_names.label(name, admit=True)
        log = current_operation.get()
        if log is not None:
            log.operation = name
        yield

    def _name(self) -> str | None:
        name = self.execution_context.operation_name
        return name[:100] if isinstance(name, str) else None  # a client may send any JSON

    def _error_codes(self) -> Iterator[str]:
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            code = (error.extensions or {}).get("code")
            yield code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else "OTHER"
