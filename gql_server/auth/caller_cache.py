"""Recent callers' accounts, trusted for a short window instead of read on every request.

Every request with a token needs the caller's account row: whether the token's version still
holds, whether the account is active, the role and the profile that resolvers read. Reading
it was a query per request, the largest part of a small read's database time. Within
TOKEN_CHECK_MS of the last read (per process and account) a query checks its token against
this copy instead. The database stays the only judge: a revocation (logout, a new password,
revokeSession on every session, an erasure) made by another process takes effect here within
the window; mutations never use the copy (they read the account, and refresh the copy), and
after one the caller's copy here is forgotten, so a process sees its own writes at once.
"""

from __future__ import annotations

import time

from gql_server.models import User

# Accounts kept per process; the oldest go first beyond it.
MAX_ENTRIES = 10_000


class CallerCache:
    def __init__(self, window_s: float, max_entries: int = MAX_ENTRIES) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self._entries: dict[int, tuple[float, User]] = {}

    @property
    def enabled(self) -> bool:
        return self.window_s > 0

    def get(self, user_id: int, token_version: int) -> User | None:
        """The account as read within the window, if the token's version is still its own and
        the account active; None means: read it."""
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        read_at, user = entry
        if time.monotonic() - read_at >= self.window_s:
            del self._entries[user_id]
            return None
        if user.token_version != token_version or not user.is_active:
            return None
        return user

    def put(self, user: User) -> None:
        if not self.enabled:
            return
        self._entries.pop(user.id, None)  # re-inserted last: the oldest stay first
        self._entries[user.id] = (time.monotonic(), user)
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]

    def forget(self, user_id: int) -> None:
        self._entries.pop(user_id, None)
