"""Worker processes for CPU-bound work (generation chunks, forecast fits), started with spawn
(forking a process that runs an event loop and threads is unsafe) and made to exit with their
server: a process pool's workers otherwise wait for work forever once their parent is killed."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_CHECK_SECONDS = 1.0


# Fits and generation chunks are batch work: at a lower CPU priority than the server, so a
# busy pool takes the cores the event loop and the database leave idle rather than slowing
# every request (bench/abuse.py measures it).
WORKER_NICENESS = 10


def _start_worker(parent_pid: int) -> None:
    os.nice(WORKER_NICENESS)
    _exit_with_parent(parent_pid)


def _exit_with_parent(parent_pid: int) -> None:
    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def process_pool(size: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=size,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
