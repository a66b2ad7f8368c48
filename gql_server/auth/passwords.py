"""argon2id hashing, always off the event loop, and the password policy."""

from __future__ import annotations

from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from gql_server.errors import BadUserInput

MIN_LENGTH = 10
# argon2 cost grows with input; a cap keeps a huge "password" from becoming a DoS.
MAX_LENGTH = 128
# zxcvbn scores 0-4; 3 means "safely unguessable" (about 10^8 guesses), which rules out
# dictionary words, keyboard walks and the usual "Password123".
MIN_STRENGTH = 3

_hasher = PasswordHasher()


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
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        # Unknown users are checked against a dummy hash so timing does not reveal them.
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    return await anyio.to_thread.run_sync(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
