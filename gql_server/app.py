"""The Starlette application: /graphql, the probes and /metrics, and a lifespan that owns the
database."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gql_server import clock, db
from gql_server.auth.caller_cache import CallerCache
from gql_server.body_limit import BodyLimitMiddleware
from gql_server.export_download import export_download
from gql_server.graphiql_page import static_routes as graphiql_static_routes
from gql_server.graphql.schema import create_schema
from gql_server.graphql.view import GraphQLView
from gql_server.health import healthz, livez, readyz
from gql_server.log_format import configure_logging, logging_is_configured
from gql_server.mail import Mailer
from gql_server.metrics import metrics, process_exited
from gql_server.request_ids import RequestIdMiddleware
from gql_server.resources import Resources
from gql_server.security_headers import SecurityHeadersMiddleware
from gql_server.services.alerts import alert_evaluator
from gql_server.services.forecast_pool import ForecastPool, executor_factory
from gql_server.services.generation import JobRunner
from gql_server.services.outlook import OutlookService
from gql_server.services.outlook.refits import RefitTimes
from gql_server.services.webhook_deliveries import DeliveryTimes, DeliveryWorker
from gql_server.settings import Settings, load_settings
from gql_server.webhooks import outbound

logger = logging.getLogger("gql_server")


def build_resources(
    settings: Settings, executor: Callable[[], Executor] | None = None
) -> Resources:
    pool = ForecastPool(
        executor or executor_factory(settings.forecast_executor, settings.forecast_pool_size),
        max_in_flight=settings.forecast_max_in_flight,
        timeout_s=settings.forecast_timeout_s,
    )
    outlook = OutlookService(
        pool,
        settings.forecast_jobs_per_user,
        read_budget_s=settings.outlook_read_budget_ms / 1000,
        refit_workers=settings.refit_workers,
        refit_times=RefitTimes(
            debounce_s=settings.refit_debounce_ms / 1000,
            max_delay_s=settings.refit_max_delay_ms / 1000,
        ),
    )
    deliveries = DeliveryWorker(
        allow_private=settings.webhooks_may_reach_private,
        times=DeliveryTimes(retry_s=settings.webhook_retry_seconds),
    )
    outlook.after_store.append(alert_evaluator(deliveries))
    return Resources(
        outlook=outlook,
        job_runner=JobRunner(settings, outlook),
        deliveries=deliveries,
        mailer=Mailer(settings),
        callers=CallerCache(settings.token_check_ms / 1000),
    )


def _trusted_proxies(settings: Settings) -> list[Middleware]:
    """uvicorn's X-Forwarded-For handling (the rightmost address not of a trusted proxy is
    the client), applied here rather than by the server so every way of running the app
    trusts the same peers, and none unless FORWARDED_ALLOW_IPS says so."""
    if not settings.forwarded_allow_ips:
        return []
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))]


_frozen = False  # per process: the objects of the first start-up are frozen once


def _freeze_startup_objects() -> None:
    """Leave what start-up made (modules, the schema, numpy, statsmodels: some 190,000
    objects) out of the garbage collector's full passes. A full pass over them paused the
    event loop for 0.15-0.2 s in the middle of requests (seen with gc.disable(): no pause).
    The garbage of start-up is collected first, so freezing keeps nothing alive."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    if not logging_is_configured():  # the CLI configures it; `uvicorn ...:create_app` does not
        configure_logging(settings)
    if settings.ledger_now is not None:
        clock.pin(settings.ledger_now)

    resources = build_resources(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # RegisterTortoise makes the ORM context global, so request tasks (which do not
        # inherit the lifespan task's context variables) see the connections.
        config = db.tortoise_config(settings.database_url, settings.db_pool_size)
        db.forget_cached_statements()
        async with RegisterTortoise(app, config=config):
            logger.info("database: %s", db.describe(settings.database_url))
            _freeze_startup_objects()
            sweeper = asyncio.create_task(resources.job_runner.sweep_forever())
            refits = asyncio.create_task(resources.outlook.refits.run_forever())
            deliveries = asyncio.create_task(resources.deliveries.run_forever())
            roll = asyncio.create_task(
                resources.outlook.refits.roll_days_forever(settings.daily_roll_seconds)
            )
            try:
                yield
            finally:
                sweeper.cancel()
                refits.cancel()
                deliveries.cancel()
                roll.cancel()
                await resources.deliveries.stop()
                await resources.mailer.drain()
                await outbound.close_client()
                await resources.outlook.stop()
                await resources.job_runner.shutdown()
                resources.outlook.pool.shutdown()
                await resources.outlook.leases.drain()
                process_exited()

    graphql_view = GraphQLView(create_schema(settings), settings, resources)
    app = Starlette(
        routes=[
            Route("/graphql", graphql_view, methods=["GET", "POST"]),
            # A Route matches HTTP only: without this, every websocket handshake got a 403.
            WebSocketRoute("/graphql", graphql_view),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/livez", livez, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/export", export_download, methods=["GET"]),
            *graphiql_static_routes(settings),  # /graphiql/static/..., outside production
        ],
        middleware=[
            *_trusted_proxies(settings),
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeadersMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
                max_age=600,
            ),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.resources = resources
    return app
