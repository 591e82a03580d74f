"""What a surface needs from the answer path, as one protocol.

Why: the Discord bot runs the engine on a loop of its own (``surfaces/discord/engine_thread``)
while the CLI and REPL call it directly. Both must offer the same calls with the same arguments,
or a new option added to ``Engine.answer`` silently never reaches Discord. Surfaces type against
this protocol; ``tests/discord/test_answering.py`` checks both implementations against it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Protocol, runtime_checkable

from bot.records import Answer, Citation, Turn

OnText = Callable[[str], Awaitable[None] | None]


@runtime_checkable
class Answerer(Protocol):
    @property
    def mode(self) -> str:
        """``llm`` or ``extractive``."""
        ...

    async def answer(
        self,
        question: str,
        *,
        persona: str | None = None,
        source: str | None = None,
        history: Sequence[Turn] = (),
        on_text: OnText | None = None,
        allowed: Collection[str] | None = None,
    ) -> Answer: ...

    async def best_quote(
        self, topic: str, *, speaker: str | None = None, allowed: Collection[str] | None = None
    ) -> Citation | None: ...

    async def aclose(self) -> None: ...
