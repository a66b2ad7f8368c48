"""The forecast pool: where outlooks are computed, never on the event loop.

An injected `concurrent.futures.Executor` (a local process pool by default; a Dask client's
executor can stand in for a fleet) behind a bounded number of fits in flight and a time limit
per fit. A broken pool (a worker killed) is rebuilt and the request gets a coded error.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from gql_server.errors import ServiceUnavailable

logger = logging.getLogger("gql_server.forecast_pool")
T = TypeVar("T")


def local_executor(kind: str, size: int) -> Executor:
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=size, thread_name_prefix="forecast")
    # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
    return ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"))


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
        self._slots = asyncio.Semaphore(max_in_flight)
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            self._executor = self._make_executor()
        return self._executor

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` in the pool; raise ServiceUnavailable when it cannot."""
        async with self._slots:
            executor = self.executor
            try:
                future = executor.submit(function, *args)
                return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
            except TimeoutError:
                raise ServiceUnavailable(
                    f"the forecast took longer than {self.timeout_s:.0f} s; try again"
                ) from None
            except BrokenProcessPool:
                logger.error("a forecast worker died; rebuilding the pool")
                self._replace(executor)
                raise ServiceUnavailable(
                    "the forecast worker stopped unexpectedly; try again"
                ) from None

    def _replace(self, broken: Executor) -> None:
        if self._executor is broken:
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
