"""Where an answer goes: a deferred slash-command reply, or a channel (DM or thread).

Both offer the same three moves, so one answering routine serves every surface: ``show`` puts
text in the first message (a preview, a queue notice, the first part), ``finish`` lays out the
final parts with the vote buttons under the last, and ``fail`` tells the user one short line.
Every send passes ``AllowedMentions.none()`` explicitly, although the bot sets it as its default
too: webhook edits and follow-ups take the default from the connection state, and an explicit
value cannot be lost by a refactor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import discord

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class Reply(Protocol):
    async def show(self, text: str) -> None: ...

    async def finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
        """Post the answer; the id of the message carrying ``view``."""
        ...

    async def fail(self, line: str) -> None: ...


class InteractionReply:
    """A slash command that was deferred ("panelist is thinking…"): edits, then follow-ups."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction

    async def show(self, text: str) -> None:
        await self.interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    async def finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
        first, rest = parts[0], parts[1:]
        message = await self.interaction.edit_original_response(
            content=first, view=None if rest else view, allowed_mentions=NO_MENTIONS
        )
        carrier = message.id
        for i, part in enumerate(rest):
            last = i == len(rest) - 1
            sent = await self.interaction.followup.send(
                part,
                view=view if last and view is not None else discord.utils.MISSING,
                allowed_mentions=NO_MENTIONS,
                suppress_embeds=True,
                wait=True,
            )
            carrier = sent.id
        return carrier

    async def fail(self, line: str) -> None:
        """The line only for the asker: the public "thinking" message goes away."""
        try:
            await self.interaction.delete_original_response()
            await self.interaction.followup.send(
                line, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
            )
        except discord.HTTPException:
            with contextlib.suppress(discord.HTTPException):
                await self.show(line)


class ChannelReply:
    """A DM or a thread: the first message is sent on the first ``show`` and edited after."""

    def __init__(
        self, channel: discord.abc.Messageable, reference: discord.Message | None = None
    ) -> None:
        self.channel = channel
        self.reference = reference
        self.message: discord.Message | None = None

    async def show(self, text: str) -> None:
        if self.message is None:
            self.message = await self._send(text, reference=self.reference)
        else:
            self.message = await self.message.edit(content=text, allowed_mentions=NO_MENTIONS)

    async def finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
        first, rest = parts[0], parts[1:]
        first_view = None if rest else view
        if self.message is None:
            self.message = await self._send(first, view=first_view, reference=self.reference)
        else:
            self.message = await self.message.edit(
                content=first, view=first_view, allowed_mentions=NO_MENTIONS
            )
        carrier = self.message.id
        for i, part in enumerate(rest):
            last = i == len(rest) - 1
            sent = await self._send(part, view=view if last else None)
            carrier = sent.id
        return carrier

    async def fail(self, line: str) -> None:
        try:
            await self.show(line)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about a failure: HTTP %s", exc.status)

    async def _send(
        self,
        text: str,
        *,
        view: discord.ui.View | None = None,
        reference: discord.Message | None = None,
    ) -> discord.Message:
        return await self.channel.send(
            text,
            view=view,
            allowed_mentions=NO_MENTIONS,
            suppress_embeds=True,
            reference=reference,
            mention_author=False if reference else None,
        )


class StreamingEdits:
    """Shows a reply as it streams, at most once per ``interval_s`` and one edit at a time.

    The engine hands over safe text about four times a second; Discord allows about five edits
    per five seconds per message. Edits run in a task so the model's stream is never held up by
    Discord, a newer text simply waits for the next turn instead of queueing every version, and
    text that will not be shown is never rendered.
    """

    def __init__(
        self,
        show: Callable[[str], Awaitable[None]],
        interval_s: float,
        render: Callable[[str], str] = str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._show = show
        self.interval_s = interval_s
        self._render = render
        self._clock = clock
        self._last: float | None = None
        self._task: asyncio.Task[None] | None = None
        self.edits = 0

    def update(self, text: str) -> None:
        now = self._clock()
        if self._task is not None and not self._task.done():
            return
        if self._last is not None and now - self._last < self.interval_s:
            return
        self._last = now
        self.edits += 1
        self._task = asyncio.create_task(self._edit(self._render(text)), name="panelist-stream")

    async def _edit(self, text: str) -> None:
        try:
            await self._show(text)
        except Exception as exc:  # a lost preview is harmless: the final answer replaces it
            log.debug("a streaming edit failed: %s", type(exc).__name__)

    async def close(self) -> None:
        """Let an edit in flight land, so it cannot overwrite the final answer."""
        if self._task is not None:
            await self._task
