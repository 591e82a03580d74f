"""Generation: stream the model's reply, showing the reader only what is already safe to show.

Mid-stream text is a preview: every closed quote in it is verified, an open quote is held back
until it closes, and the output guard runs on it, so nothing reaches a reader that the final
answer would not contain. The final answer is made from the whole reply by ``Engine.finish``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bot.answer.guards import OutputGuard, request_guard
from bot.answer.prompts import DATAMARK
from bot.answer.verify import apply_checks, open_quote_start, verify_quotes
from bot.records import BuiltPrompt, Excerpt

if TYPE_CHECKING:
    from bot.answer.llm import LLM

OnText = Callable[[str], Awaitable[None] | None]

STREAM_INTERVAL_S = 0.25


async def stream_reply(
    llm: LLM,
    prompt: BuiltPrompt,
    *,
    max_tokens: int,
    spotlight: bool,
    guarded: bool,
    on_text: OnText | None = None,
) -> str:
    """The model's raw reply (datamarks removed). Stops early once the guard must refuse: a leak
    of the canary or system prompt is never worth streaming to its end."""
    guard = request_guard(prompt.system, prompt.canary, prompt.excerpts)
    raw = ""
    shown = ""
    last = 0.0
    async for delta in llm.stream(prompt.messages, max_tokens=max_tokens):
        delta = delta.replace(DATAMARK, " ") if spotlight else delta
        raw += delta
        if guarded and guard.feed(delta):  # incremental: O(len) over the whole reply
            break
        now = time.monotonic()
        if on_text and now - last >= STREAM_INTERVAL_S:
            display = safe_partial(raw, prompt.excerpts, guard, guarded)
            if display and display != shown:
                shown = display
                last = now
                await _call(on_text, display)
    return raw


def safe_partial(
    raw: str, excerpts: Sequence[Excerpt], guard: OutputGuard, guarded: bool = True
) -> str:
    """What may be shown mid-stream: closed quotes verified, an open quote held back, guarded.

    No quote reaches the reader before it is checked: text from an unclosed quotation mark on is
    withheld until it closes, and a closed quote that fails verification is removed at once.
    """
    prefix = before_open_quote(raw)
    prefix = apply_checks(prefix, verify_quotes(prefix, excerpts), unverified="remove")
    shown = guard.check_partial(prefix) if guarded else prefix
    return before_open_quote(shown)  # the guard's hold-back may end inside a verified quote


def before_open_quote(text: str) -> str:
    """``text`` up to a quotation (or trailing blockquote) that is still open, as ``verify`` reads
    them; a closed scare quote holds nothing back."""
    start = open_quote_start(text)
    return text if start is None else text[:start].rstrip()


async def _call(fn: OnText, text: str) -> None:
    result = fn(text)
    if asyncio.iscoroutine(result):
        await result
