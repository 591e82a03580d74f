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

from bot.surfaces.discord.split import LIMIT

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


# Discord lets a bot use an interaction's token for 15 minutes; hand over well before that.
TOKEN_LIFETIME_S = 15 * 60.0
HAND_OVER_MARGIN_S = 90.0
HANDED_OVER = (
    "⏳ Still in the queue. Discord only lets me update this message for 15 minutes, so I'll "
    "post the answer in this channel and mention you."
)
QUEUE_TOO_LONG = (
    "⏳ The queue is too long right now and I can't post in this channel: please ask again in a "
    "few minutes."
)


class Reply(Protocol):
    async def show(self, text: str) -> None: ...

    async def finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
        """Post the answer; the id of the message carrying ``view``."""
        ...

    async def fail(self, line: str) -> None: ...

    @property
    def part_limit(self) -> int:
        """Characters one message of the answer may have here."""
        ...

    def expires_at(self) -> float | None:
        """When this reply stops working (answering's clock), or None for never."""
        ...

    async def hand_over(self) -> bool:
        """Move to a place that does not expire; False when there is none."""
        ...


class InteractionReply:
    """A slash command that was deferred ("panelist is thinking…"): edits, then follow-ups.

    The interaction's token works for 15 minutes. An answer that would take longer (a long
    queue) is handed over to an ordinary channel message that mentions the asker, after the
    placeholder says so; until then every move goes through the token.
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        clock: Callable[[], float] = time.monotonic,
        *,
        handed_over: str = HANDED_OVER,
        cannot_hand_over: str = QUEUE_TOO_LONG,
    ) -> None:
        self.interaction = interaction
        self._clock = clock
        self._handed_over = handed_over  # what the placeholder says when the channel takes over
        self._cannot_hand_over = cannot_hand_over  # ... and when the bot cannot post there
        # The token's 15 minutes started when the user asked; build this before deferring.
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        self._expires = clock() + TOKEN_LIFETIME_S - min(max(age, 0.0), 60.0)
        self._channel: ChannelReply | None = None
        # One move at a time: a queue notice must not land after the hand-over notice.
        self._lock = asyncio.Lock()

    @property
    def part_limit(self) -> int:
        return self._channel.part_limit if self._channel is not None else LIMIT

    def expires_at(self) -> float | None:
        return None if self._channel is not None else self._expires

    async def hand_over(self) -> bool:
        async with self._lock:
            return await self._hand_over()

    async def _hand_over(self) -> bool:
        channel = self.interaction.channel
        perms = self.interaction.app_permissions
        can_post = (
            perms.send_messages_in_threads
            if isinstance(channel, discord.Thread)
            else perms.send_messages
        )
        if isinstance(channel, discord.DMChannel):
            can_post = True  # the bot's own DM with the asker
        usable = isinstance(channel, discord.abc.Messageable) and not isinstance(
            channel, discord.PartialMessageable
        )
        if self._clock() >= self._expires:  # too late to say so: never use a dead token
            if not (usable and can_post):
                return False
            assert isinstance(channel, discord.abc.Messageable)
            self._channel = ChannelReply(channel, mention=self.interaction.user)
            return True
        try:
            if not (usable and can_post):
                await self.interaction.edit_original_response(
                    content=self._cannot_hand_over, view=None, allowed_mentions=NO_MENTIONS
                )
                return False
            await self.interaction.edit_original_response(
                content=self._handed_over, view=None, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            log.warning("could not update a queued reply: HTTP %s", exc.status)
            if not (usable and can_post):
                return False
        assert isinstance(channel, discord.abc.Messageable)
        self._channel = ChannelReply(channel, mention=self.interaction.user)
        return True

    async def show(self, text: str) -> None:
        async with self._lock:
            if self._channel is not None:
                await self._channel.show(text)
                return
            await self.interaction.edit_original_response(
                content=text, allowed_mentions=NO_MENTIONS
            )

    async def finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
        async with self._lock:
            if self._channel is not None:
                return await self._channel.finish(parts, view)
            return await self._finish(parts, view)

    async def _finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
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
        async with self._lock:
            await self._fail(line)

    async def _fail(self, line: str) -> None:
        if self._channel is not None:
            await self._channel.fail(line)
            return
        try:
            await self.interaction.delete_original_response()
            await self.interaction.followup.send(
                line, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
            )
        except discord.HTTPException:
            with contextlib.suppress(discord.HTTPException):
                await self.interaction.edit_original_response(
                    content=line, allowed_mentions=NO_MENTIONS
                )


class ChannelReply:
    """A DM, a thread or a channel: the first message is sent on the first ``show``, then edited.

    Until that first message, the channel shows "panelist is typing…", renewed every
    ``TYPING_EVERY_S`` because Discord drops the indicator after about ten seconds. ``mention``
    (a hand-over from an expiring interaction) is put before the first part and pinged, alone.
    """

    TYPING_EVERY_S = 5.0

    def __init__(
        self,
        channel: discord.abc.Messageable,
        reference: discord.Message | None = None,
        *,
        mention: discord.abc.User | None = None,
    ) -> None:
        self.channel = channel
        self.reference = reference
        self.mention = mention
        self.message: discord.Message | None = None
        self._typing: asyncio.Task[None] | None = None

    @property
    def part_limit(self) -> int:
        return LIMIT - (len(self.mention.mention) + 1 if self.mention is not None else 0)

    def expires_at(self) -> float | None:
        return None

    async def hand_over(self) -> bool:
        return True

    def start_typing(self) -> None:
        if self._typing is None and self.message is None:
            self._typing = asyncio.create_task(self._keep_typing(), name="panelist-typing")

    async def _keep_typing(self) -> None:
        while True:
            try:
                await self.channel.typing()
            except discord.HTTPException as exc:
                log.debug("typing failed: HTTP %s", exc.status)
                return
            await asyncio.sleep(self.TYPING_EVERY_S)

    def stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()
            self._typing = None

    async def show(self, text: str) -> None:
        if self.message is None:
            self.message = await self._send(text, reference=self.reference)
        else:
            self.message = await self.message.edit(
                content=self._addressed(text), allowed_mentions=self._allowed()
            )

    async def finish(self, parts: Sequence[str], view: discord.ui.View | None) -> int | None:
        first, rest = parts[0], parts[1:]
        first_view = None if rest else view
        if self.message is None:
            self.message = await self._send(first, view=first_view, reference=self.reference)
        else:
            self.message = await self.message.edit(
                content=self._addressed(first), view=first_view, allowed_mentions=self._allowed()
            )
        carrier = self.message.id
        for i, part in enumerate(rest):
            last = i == len(rest) - 1
            sent = await self._send(part, view=view if last else None)
            carrier = sent.id
        return carrier

    async def fail(self, line: str) -> None:
        self.stop_typing()
        try:
            await self.show(line)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about a failure: HTTP %s", exc.status)

    def _addressed(self, text: str) -> str:
        """The first message of a hand-over names the asker, who may no longer be looking."""
        return text if self.mention is None else f"{self.mention.mention} {text}"

    def _allowed(self) -> discord.AllowedMentions:
        if self.mention is None:
            return NO_MENTIONS
        return discord.AllowedMentions(
            everyone=False, roles=False, users=[self.mention], replied_user=False
        )

    async def _send(
        self,
        text: str,
        *,
        view: discord.ui.View | None = None,
        reference: discord.Message | None = None,
    ) -> discord.Message:
        self.stop_typing()
        first = self.message is None
        return await self.channel.send(
            self._addressed(text) if first else text,
            view=view,
            allowed_mentions=self._allowed() if first else NO_MENTIONS,
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

    def cancel(self) -> None:
        """Drop an edit in flight (the answer was abandoned), so it cannot land after a notice."""
        if self._task is not None:
            self._task.cancel()

    async def close(self) -> None:
        """Let an edit in flight land, so it cannot overwrite the final answer."""
        if self._task is not None:
            await self._task
