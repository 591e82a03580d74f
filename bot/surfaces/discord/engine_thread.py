"""The answer engine on an event loop of its own, in a thread beside Discord's.

Why: the engine already sends embedding and Chroma work to threads, but part of answering is
plain Python on whatever loop awaits it: parsing the model's stream chunk by chunk, verifying
every quote against the excerpts, counting prompt tokens. That is 10-30 ms per answer, and
answers released together (a busy model freeing its queue) would hold Discord's loop for the
sum, delaying heartbeats and the 3-second acknowledgements of everyone else. On its own loop the
same work only competes for the GIL, which Python hands back to Discord's loop every few
milliseconds. It satisfies the same ``Answerer`` protocol as ``Engine``, so callers cannot tell
them apart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Collection, Coroutine, Sequence
from typing import Any, TypeVar

from bot.answer.answerer import OnText
from bot.answer.engine import Engine
from bot.records import Answer, Citation, Turn

T = TypeVar("T")


class EngineThread:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="panelist-engine", daemon=True
        )
        self._thread.start()

    @property
    def mode(self) -> str:
        return self.engine.mode

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the engine's loop; cancelling the caller cancels it there too."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    async def answer(
        self,
        question: str,
        *,
        persona: str | None = None,
        source: str | None = None,
        history: Sequence[Turn] = (),
        on_text: OnText | None = None,
        allowed: Collection[str] | None = None,
    ) -> Answer:
        """``Engine.answer``; ``on_text`` is called on the caller's loop, never the engine's."""
        relay = None
        if on_text is not None:
            caller = asyncio.get_running_loop()

            def relay(text: str) -> None:
                caller.call_soon_threadsafe(_call_back, on_text, text)

        return await self._call(
            self.engine.answer(
                question,
                persona=persona,
                source=source,
                history=history,
                on_text=relay,
                allowed=allowed,
            )
        )

    async def best_quote(
        self, topic: str, *, speaker: str | None = None, allowed: Collection[str] | None = None
    ) -> Citation | None:
        return await self._call(self.engine.best_quote(topic, speaker=speaker, allowed=allowed))

    async def _close_here(self) -> None:
        try:
            await self.engine.aclose()
        finally:
            await self._loop.shutdown_asyncgens()
            await self._loop.shutdown_default_executor()

    async def aclose(self) -> None:
        """Close the engine on its own loop (its HTTP client lives there), then end the thread."""
        if not self._thread.is_alive():
            return
        try:
            await self._call(self._close_here())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 10)
            if not self._thread.is_alive():
                self._loop.close()


_callbacks: set[asyncio.Future[None]] = set()  # held until done, or the loop may drop them


def _call_back(on_text: OnText, text: str) -> None:
    """Run ``on_text`` on the caller's loop; an awaitable it returns runs there as a task."""
    result = on_text(text)
    if result is not None:
        future = asyncio.ensure_future(result)
        _callbacks.add(future)
        future.add_done_callback(_callbacks.discard)
