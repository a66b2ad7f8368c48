"""GET /metrics: the Prometheus text format.

The metrics themselves live beside what they measure (graphql/metrics_extension.py, the
forecast pool); this module serves them, with the database pool's figures read at scrape time.
With several server processes (`gql-server serve --workers N`) and PROMETHEUS_MULTIPROC_DIR
set, prometheus-client keeps the values in files there and any process answers for all of
them; the database pool's figures are then those of the process that answered.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from tortoise import connections

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# What generate_latest writes, which every Prometheus reads.
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_dir() -> str | None:
    # prometheus-client reads the same variable when it is imported, from the environment
    # only (not from .env).
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


def clear_multiprocess_dir() -> None:
    """Before the server processes start: values left by an earlier run would be added in.
    This process's own files stay (with one worker it is the server, its values in use)."""
    directory = multiprocess_dir()
    if directory is not None:
        for stale in Path(directory).glob("*.db"):
            if not stale.stem.endswith(f"_{os.getpid()}"):
                stale.unlink(missing_ok=True)


def process_exited() -> None:
    """This process's live gauges (fits waiting, in flight) stop counting once it is gone."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


def _database_pool() -> list[GaugeMetricFamily]:
    """Connections of this process's pool: asyncpg's when PostgreSQL; SQLite has a single
    connection, in use while a query or transaction holds its lock. Read from the ORM's
    clients' attributes: Tortoise has no public accessor for them."""
    try:
        client = connections.get("default")
    except Exception:  # not opened yet, or closing: nothing to report
        return []
    pool = getattr(client, "_pool", None)
    if pool is not None:  # asyncpg.Pool
        size, idle, limit = pool.get_size(), pool.get_idle_size(), pool.get_max_size()
    elif getattr(client, "_connection", None) is not None and hasattr(client, "_lock"):
        size, limit = 1, 1
        idle = 0 if client._lock.locked() else 1
    else:
        return []
    connections_now = GaugeMetricFamily(
        "db_pool_connections", "Open database connections, by state", labels=["state"]
    )
    connections_now.add_metric(["idle"], idle)
    connections_now.add_metric(["in_use"], size - idle)
    return [
        connections_now,
        GaugeMetricFamily("db_pool_max_connections", "The pool's upper limit", value=limit),
    ]


class _Families(Collector):
    def __init__(self, families: Iterable[GaugeMetricFamily]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self.families)


def _exposition() -> bytes:
    """The text format, which (unlike OpenMetrics, ended by one `# EOF`) may be written in
    parts. A few hundred series: a millisecond or two, fine on the loop."""
    if multiprocess_dir() is None:
        registry = REGISTRY  # this process's metrics, and its CPU, memory and GC figures
    else:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    pool = CollectorRegistry()
    pool.register(_Families(_database_pool()))
    return generate_latest(registry) + generate_latest(pool)


def _authorized(request: Request, token: str) -> bool:
    if not token:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), token.encode()
    )


async def metrics(request: Request) -> Response:
    """Open unless METRICS_TOKEN is set, then for "Authorization: Bearer <token>" only."""
    if not _authorized(request, request.app.state.settings.metrics_token):
        return PlainTextResponse(
            "send Authorization: Bearer <METRICS_TOKEN>\n",
            status_code=401,
            headers={"www-authenticate": "Bearer"},
        )
    return Response(_exposition(), media_type=TEXT_FORMAT)
