"""The forecast pool: where outlooks are computed, never on the event loop.

An injected `concurrent.futures.Executor` behind a bounded number of fits in flight and a time
limit per fit: a local process pool by default, a thread pool for tests, or a Dask cluster's
executor (`FORECAST_EXECUTOR=tcp://scheduler:8786`, `distributed.Client(...).get_executor()`),
so the service code is the same on one machine and on a fleet. A broken pool (a worker killed)
is rebuilt and the request gets a coded error; an unreachable scheduler is reported, never
silently replaced by the local pool.

A Dask cluster can go away and come back. Its health is the client's real state (running,
and the scheduler answering with at least one worker), checked at most every few seconds.
A client that is no longer running is closed and a new one is made at the next use, so the
server recovers when the scheduler returns; meanwhile fits are SERVICE_UNAVAILABLE
(retryable) at once instead of waiting out their time limit, as they are while the scheduler
has no workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from prometheus_client import Gauge, Histogram

from gql_server.errors import ServiceUnavailable
from gql_server.worker_processes import process_pool

logger = logging.getLogger("gql_server.forecast_pool")
T = TypeVar("T")
DASK_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://")
DASK_CONNECT_TIMEOUT_S = 5
DASK_CHECK_EVERY_S = 2.0  # how long a cluster's state is trusted between checks
CLUSTER_AWAY = "the forecast cluster cannot be reached; try again later"
NO_WORKERS = "the forecast cluster has no workers at the moment; try again later"

# Thread-safe (a fit ends on the executor's thread); "livesum" adds up the live server
# processes when PROMETHEUS_MULTIPROC_DIR is set.
FITS_WAITING = Gauge(
    "forecast_fits_waiting", "Fits waiting for a slot in the pool", multiprocess_mode="livesum"
)
FITS_IN_FLIGHT = Gauge(
    "forecast_fits_in_flight",
    "Fits holding a slot: handed to the executor, queued in it or running",
    multiprocess_mode="livesum",
)
FIT_SECONDS = Histogram(
    "forecast_fit_duration_seconds",
    "From a fit's submission to the executor until it ends (a wait for a free worker included)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60),
)


def is_dask_address(kind: str) -> bool:
    return kind.startswith(DASK_SCHEMES)


def local_executor(kind: str, size: int) -> Executor:
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=size, thread_name_prefix="forecast")
    return process_pool(size)


def dask_executor(address: str) -> Executor:
    """A `concurrent.futures` executor on a Dask cluster. Blocking: call it off the loop."""
    try:
        from distributed import Client  # optional extra: pip install .[dask]
    except ImportError:
        raise ServiceUnavailable(
            "FORECAST_EXECUTOR names a Dask scheduler, but `distributed` is not installed "
            "(pip install '.[dask]')"
        ) from None
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        # The address is for the operator's log, not for clients.
        logger.error("forecast cluster at %s cannot be reached: %s", address, exc)
        raise ServiceUnavailable(CLUSTER_AWAY) from exc
    return client.get_executor()


def dask_client(executor: Executor) -> Any | None:
    """The Dask client behind a cluster's executor; None for a local pool."""
    return getattr(executor, "_client", None)


def cluster_state(client: Any) -> str:
    """ "up", "down" or "no workers": the client's own state, then the scheduler's answer.
    Blocking (a round trip to the scheduler): call it off the loop."""
    if client.status != "running":
        return "down"
    try:
        info = client.scheduler_info(n_workers=0)
    except Exception:  # the scheduler went away under a client that has not noticed yet
        return "down"
    workers = info.get("n_workers", len(info.get("workers") or {}))
    return "up" if workers > 0 else "no workers"


def _close_quietly(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.close(timeout=DASK_CONNECT_TIMEOUT_S)


def _call_on(
    loop: asyncio.AbstractEventLoop, callback: Callable[[], None], context: contextvars.Context
) -> None:
    """From a pool's thread: run `callback` on the loop (unless the loop has closed), in
    `context`, the submitting task's: the pool's thread has none of its context variables,
    and the callback's work (giving a lease back) needs the database the task was using
    (Tortoise keeps it in a context variable outside a server, e.g. `gql-server generate`)."""
    # A closed loop means the server is shutting down; its slots and leases go with it.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, context=context)


def executor_factory(kind: str, size: int) -> Callable[[], Executor]:
    if is_dask_address(kind):
        return lambda: dask_executor(kind)
    return lambda: local_executor(kind, size)


class ForecastPool:
    def __init__(
        self,
        make_executor: Callable[[], Executor],
        *,
        max_in_flight: int,
        timeout_s: float,
    ) -> None:
        self._make_executor = make_executor
        self._executor: Executor | None = None
        self._creating = asyncio.Lock()
        self._slots = asyncio.Semaphore(max_in_flight)
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s
        self._checked: tuple[float, str] | None = None  # (loop time, cluster state)
        self._checking = asyncio.Lock()

    async def executor(self) -> Executor:
        """The executor, made on first use in a thread (connecting to a cluster blocks)."""
        async with self._creating:
            if self._executor is None:
                self._executor = await asyncio.to_thread(self._make_executor)
            return self._executor

    async def health(self) -> str:
        """ "up", "down" or "no workers" (a local pool is up once made; a cluster when its
        client runs and its scheduler answers with workers)."""
        try:
            executor = await self.executor()
        except ServiceUnavailable:
            return "down"
        return await self._state(executor)

    async def _state(self, executor: Executor) -> str:
        """The cluster's state, checked at most every DASK_CHECK_EVERY_S; a client that is
        no longer running is dropped, so the next use connects afresh."""
        client = dask_client(executor)
        if client is None:
            return "up"
        loop = asyncio.get_running_loop()
        async with self._checking:
            if self._checked is None or loop.time() - self._checked[0] > DASK_CHECK_EVERY_S:
                try:
                    state = await asyncio.wait_for(
                        asyncio.to_thread(cluster_state, client), DASK_CONNECT_TIMEOUT_S
                    )
                except TimeoutError:
                    state = "down"
                self._checked = (loop.time(), state)
            state = self._checked[1]
        if state == "down":
            logger.warning("the forecast cluster is away; its client will be made again")
            self._replace(executor)
        return state

    async def _usable_executor(self) -> Executor:
        executor = await self.executor()
        state = await self._state(executor)
        if state != "up":
            raise ServiceUnavailable(NO_WORKERS if state == "no workers" else CLUSTER_AWAY)
        return executor

    async def run(
        self,
        function: Callable[..., T],
        *args: Any,
        deadline: float | None = None,
        finished: Callable[[], None] | None = None,
    ) -> T:
        """Run `function(*args)` in the pool; raise ServiceUnavailable when it cannot.

        `deadline` (the loop's clock) bounds the wait for a slot and the fit together; by
        default the time limit from now. A slot is held until the fit really ends, not when
        its caller stops waiting (a timed-out or abandoned fit still occupies a worker, and
        counting it stops such fits from piling up); `finished` is called at that moment, on
        the loop, for the caller's own holds (a user's lease). A fit still queued when its
        caller gives up is cancelled and never runs.
        """
        loop = asyncio.get_running_loop()
        if deadline is None:
            deadline = loop.time() + self.timeout_s

        def over() -> None:
            FITS_IN_FLIGHT.dec()
            self._slots.release()
            if finished is not None:
                finished()

        try:
            async with asyncio.timeout_at(deadline):
                with FITS_WAITING.track_inprogress():
                    await self._slots.acquire()
        except BaseException as exc:
            if finished is not None:
                finished()
            if isinstance(exc, TimeoutError):
                raise self.late() from None
            raise
        FITS_IN_FLIGHT.inc()
        try:
            executor = await self._usable_executor()
        except BaseException:
            over()
            raise
        try:
            future = executor.submit(function, *args)
        except Exception:
            over()
            if dask_client(executor) is not None:  # a client that cannot submit lost its cluster
                self._lost(executor)
                raise ServiceUnavailable(CLUSTER_AWAY) from None
            raise
        except BaseException:
            over()
            raise
        submitted = time.perf_counter()
        context = contextvars.copy_context()

        def ended(done: Future[T]) -> None:
            if not done.cancelled():
                FIT_SECONDS.observe(time.perf_counter() - submitted)
            _call_on(loop, over, context)

        future.add_done_callback(ended)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.wrap_future(future)
        except TimeoutError:
            raise self.late() from None
        except asyncio.CancelledError:
            # The executor's own future cancelled (a Dask cluster that went away cancels its
            # clients' futures) reads here like this request being cancelled; only the former
            # is an outage to report.
            task = asyncio.current_task()
            if not future.cancelled() or (task is not None and task.cancelling()):
                raise
            if dask_client(executor) is not None:
                self._lost(executor)
            raise ServiceUnavailable(CLUSTER_AWAY) from None
        except BrokenProcessPool:
            logger.error("a forecast worker died; rebuilding the pool")
            self._replace(executor)
            raise ServiceUnavailable(
                "the forecast worker stopped unexpectedly; try again"
            ) from None
        except Exception:
            client = dask_client(executor)
            if client is not None and client.status != "running":
                self._lost(executor)
                raise ServiceUnavailable(CLUSTER_AWAY) from None
            raise

    def _lost(self, executor: Executor | None) -> None:
        """The cluster went away during a fit: forget its client (the next use reconnects)."""
        logger.warning("the forecast cluster went away during a fit")
        self._checked = None
        if executor is not None:
            self._replace(executor)

    def late(self) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"the forecast took longer than {self.timeout_s:.0f} s; try again"
        )

    def _replace(self, broken: Executor) -> None:
        if self._executor is not broken:
            return
        self._executor = None
        self._checked = None
        client = dask_client(broken)
        if client is None:
            broken.shutdown(wait=False, cancel_futures=True)
            return
        # A Dask client's close blocks on its own loop: done in a thread, not awaited.
        with contextlib.suppress(Exception):
            broken.shutdown(wait=False)
        threading.Thread(target=_close_quietly, args=(client,), daemon=True).start()

    def shutdown(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        client = getattr(executor, "_client", None)
        if client is None:
            executor.shutdown(wait=False, cancel_futures=True)
        else:  # a Dask executor: its fits belong to the cluster; close our connection
            executor.shutdown(wait=False)
            client.close()
