"""The loop of a worker that claims due rows from a table every process shares (background
refits, webhook deliveries): claim what is due and start it, then sleep until this process
adds work or frees a slot (`wake`) or until `poll_s` has passed (work other processes added)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def claim_forever(
    claim_and_start: Callable[[], Awaitable[None]],
    wake: asyncio.Event,
    poll_s: float,
    on_failure: Callable[[Exception], None],
) -> None:
    while True:
        try:
            await claim_and_start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is away: try again at the next poll
            on_failure(exc)
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), poll_s)
