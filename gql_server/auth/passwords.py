"""argon2id hashing, always off the event loop, and the password policy."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from gql_server.errors import BadUserInput
from gql_server.worker_processes import WORKER_NICENESS

MIN_LENGTH = 10
# argon2 cost grows with input; a cap keeps a huge "password" from becoming a DoS.
MAX_LENGTH = 128
# zxcvbn scores 0-4; 3 means "safely unguessable" (about 10^8 guesses), which rules out
# dictionary words, keyboard walks and the usual "Password123".
MIN_STRENGTH = 3

_hasher = PasswordHasher()
T = TypeVar("T")

# argon2 is deliberately costly (64 MiB and about 100-250 ms of CPU per check, on up to 4
# lanes): run at the server's priority, a few logins at once took both cores from the event
# loop, and every read queued behind them (bench.api_load's mix: 10 % logins used 95 % of a
# core). Checks run on their own threads at the batch work's lower priority
# (worker_processes.WORKER_NICENESS; libargon2's lane threads inherit it), at most HASH_THREADS
# at once, which also bounds their memory (the default thread pool allowed 40 x 64 MiB).
HASH_THREADS = min(4, os.cpu_count() or 1)
HASH_NICENESS = WORKER_NICENESS


def _lower_priority() -> None:
    # On Linux a thread has its own nice value (setpriority on its thread id); elsewhere this
    # would lower the whole process, so it is left as it is.
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


# Its threads start on first use.
_threads = ThreadPoolExecutor(
    HASH_THREADS, thread_name_prefix="argon2", initializer=_lower_priority
)


async def _off_loop(function: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_threads, function, *args)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-used-for-timing-only")


def password_problem(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why a password is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"password must be at most {MAX_LENGTH} characters long"
    strength = zxcvbn(password[:64], user_inputs=[u for u in user_inputs if u])
    if strength["score"] < MIN_STRENGTH:
        return "password is too common or easy to guess; use a longer phrase or more variety"
    return None


def check_password_policy(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    problem = password_problem(password, user_inputs=user_inputs)
    if problem:
        raise BadUserInput(problem, field="password")


async def hash_password(password: str) -> str:
    return await _off_loop(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        # Unknown users are checked against a dummy hash so timing does not reveal them.
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    return await _off_loop(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
