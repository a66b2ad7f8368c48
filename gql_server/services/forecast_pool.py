"""The forecast pool: where outlooks are computed, never on the event loop.

An injected `concurrent.futures.Executor` behind a bounded number of fits in flight and a time
limit per fit: a local process pool by default, a thread pool for tests, or a Dask cluster's
executor (`FORECAST_EXECUTOR=tcp://scheduler:8786`, `distributed.Client(...).get_executor()`),
so the service code is the same on one machine and on a fleet. A broken pool (a worker killed)
is rebuilt and the request gets a coded error; an unreachable scheduler is reported, never
silently replaced by the local pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from gql_server.errors import ServiceUnavailable
from gql_server.worker_processes import process_pool

logger = logging.getLogger("gql_server.forecast_pool")
T = TypeVar("T")
DASK_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://")
DASK_CONNECT_TIMEOUT_S = 5


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
        raise ServiceUnavailable("the forecast cluster cannot be reached; try again later") from exc
    return client.get_executor()


def _call_on(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """From a pool's thread: run `callback` on the loop (unless the loop has closed)."""
    # A closed loop means the server is shutting down; its slots and leases go with it.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


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

    async def executor(self) -> Executor:
        """The executor, made on first use in a thread (connecting to a cluster blocks)."""
        async with self._creating:
            if self._executor is None:
                self._executor = await asyncio.to_thread(self._make_executor)
            return self._executor

    async def health(self) -> str:
        """ "up" or "down" (a local pool is up once made; a cluster when it answers)."""
        if self._executor is not None:
            return "up"
        try:
            await self.executor()
        except ServiceUnavailable:
            return "down"
        return "up"

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
            self._slots.release()
            if finished is not None:
                finished()

        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except BaseException as exc:
            if finished is not None:
                finished()
            if isinstance(exc, TimeoutError):
                raise self.late() from None
            raise
        try:
            executor = await self.executor()
            future = executor.submit(function, *args)
        except BaseException:
            over()
            raise
        future.add_done_callback(lambda _: _call_on(loop, over))
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.wrap_future(future)
        except TimeoutError:
            raise self.late() from None
        except BrokenProcessPool:
            logger.error("a forecast worker died; rebuilding the pool")
            self._replace(executor)
            raise ServiceUnavailable(
                "the forecast worker stopped unexpectedly; try again"
            ) from None

    def late(self) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"the forecast took longer than {self.timeout_s:.0f} s; try again"
        )

    def _replace(self, broken: Executor) -> None:
        if self._executor is broken:
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)

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
