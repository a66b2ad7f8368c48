"""argon2 runs on its own few threads, below the event loop's priority (auth/passwords.py)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from gql_server.auth import passwords


async def test_hashes_are_checked_off_the_loop_at_a_lower_priority() -> None:
    hashed = await passwords.hash_password("Chai-and-invoices-2026")
    assert await passwords.verify_password(hashed, "Chai-and-invoices-2026")
    assert not await passwords.verify_password(hashed, "Chai-and-invoices-2027")

    def where() -> tuple[str, int]:
        me = threading.current_thread()
        return me.name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    name, niceness = await passwords._off_loop(where)
    assert name.startswith("argon2")
    assert threading.current_thread().name != name
    if sys.platform.startswith("linux"):
        mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert niceness == min(19, mine + passwords.HASH_NICENESS)
        assert mine < niceness  # the loop's own thread keeps its priority


async def test_checks_at_once_are_bounded() -> None:
    running, most = 0, 0
    gate = threading.Lock()

    def one() -> None:
        nonlocal running, most
        with gate:
            running += 1
            most = max(most, running)
        threading.Event().wait(0.05)
        with gate:
            running -= 1

    await asyncio.gather(*(passwords._off_loop(one) for _ in range(3 * passwords.HASH_THREADS)))
    assert most <= passwords.HASH_THREADS


@pytest.mark.parametrize("password", ["", "x" * (passwords.MAX_LENGTH + 1)])
async def test_odd_passwords_are_refused_without_error(password: str) -> None:
    hashed = await passwords.hash_password("Chai-and-invoices-2026")
    assert not await passwords.verify_password(hashed, password)
