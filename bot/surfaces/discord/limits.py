"""Per-user cooldown and the cap on concurrent model calls.

The model endpoint is the scarce resource: a busy server must queue questions rather than
send fifty requests at once to a model that serves four, and one user must not be able to fill
the queue alone. Both checks are in memory; they reset on restart, which is harmless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class Cooldown:
    """At most one question per user every ``seconds``; only accepted questions start the clock."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """Seconds the user still has to wait (0 when they may ask now)."""
        last = self._last.get(user_id)
        if last is None:
            return 0.0
        return max(0.0, self.seconds - (self._clock() - last))

    def start(self, user_id: int) -> None:
        now = self._clock()
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown ran out long ago
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}


class ModelSlots:
    """An ``asyncio.Semaphore`` that also says how many questions are waiting ahead."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._sem = asyncio.Semaphore(self.size)
        self.waiting = 0

    @asynccontextmanager
    async def slot(
        self, on_queued: Callable[[int], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """Hold a slot; ``on_queued(position)`` runs first when every slot is taken."""
        if self._sem.locked():
            self.waiting += 1
            try:
                if on_queued is not None:
                    await on_queued(self.waiting)
                await self._sem.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._sem.acquire()
        try:
            yield
        finally:
            self._sem.release()
