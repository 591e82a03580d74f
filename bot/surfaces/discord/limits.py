"""Per-user cooldown and the cap on concurrent model calls.

The model endpoint is the scarce resource: a busy server must queue questions rather than
send fifty requests at once to a model that serves four, and one user must not be able to fill
the queue alone (a cooldown between questions, and a cap on questions in flight).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass


class Cooldown:
    """At most one question per user every ``seconds``; only accepted questions start the clock."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int, seconds: float | None = None) -> float:
        """Seconds the user still has to wait (0 when they may ask now); ``seconds`` overrides
        the window (a server's own cooldown)."""
        last = self._last.get(user_id)
        if last is None:
            return 0.0
        window = self.seconds if seconds is None else seconds
        return max(0.0, window - (self._clock() - last))

    def start(self, user_id: int) -> None:
        now = self._clock()
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown ran out long ago
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}


class ModelSlots:
    """A first-come queue for the model slots that tells each waiter its place as it changes.

    ``on_queued(position)`` runs when a question starts waiting and again whenever it moves up
    (position 1: next in line), so a notice like "2 questions ahead" does not go stale.
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._busy = 0
        self._queue: deque[_Waiter] = deque()
        self._notices: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @asynccontextmanager
    async def slot(
        self, on_queued: Callable[[int], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """Hold a slot; wait in line (told the position as it changes) when every slot is taken."""
        if self._busy < self.size and not self._queue:
            self._busy += 1
        else:
            waiter = _Waiter(asyncio.get_running_loop().create_future(), on_queued)
            self._queue.append(waiter)
            try:
                if on_queued is not None:
                    await on_queued(len(self._queue))
                await waiter.granted
            except BaseException:
                if waiter.granted.done() and not waiter.granted.cancelled():
                    self._release()  # granted as we were cancelled: pass the slot on
                elif waiter in self._queue:
                    self._queue.remove(waiter)
                    self._tell_positions()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._queue:
            waiter = self._queue.popleft()
            if not waiter.granted.done():
                waiter.granted.set_result(None)  # the slot passes on; _busy is unchanged
                self._tell_positions()
                return
        self._busy -= 1

    def _tell_positions(self) -> None:
        for position, waiter in enumerate(self._queue, start=1):
            if waiter.on_queued is not None:
                task = asyncio.create_task(waiter.on_queued(position), name="panelist-queue")
                self._notices.add(task)
                task.add_done_callback(self._notices.discard)


@dataclass(eq=False)
class _Waiter:
    granted: asyncio.Future[None]
    on_queued: Callable[[int], Awaitable[None]] | None


class InFlight:
    """Questions each user asked that are not answered yet: one user cannot fill the queue."""

    def __init__(self, per_user: int) -> None:
        self.per_user = max(1, per_user)
        self._count: dict[int, int] = {}

    @property
    def total(self) -> int:
        return sum(self._count.values())

    def try_add(self, user_id: int) -> bool:
        if self._count.get(user_id, 0) >= self.per_user:
            return False
        self._count[user_id] = self._count.get(user_id, 0) + 1
        return True

    def done(self, user_id: int) -> None:
        left = self._count.get(user_id, 0) - 1
        if left > 0:
            self._count[user_id] = left
        else:
            self._count.pop(user_id, None)
