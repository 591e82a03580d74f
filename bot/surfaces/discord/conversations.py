"""Questions asked by message: DMs, mentions in a server channel, and the threads the bot starts.

Discord delivers message text to a bot without the privileged message-content intent only for
DMs and for messages that mention it. So DMs and mentions always work; inside a thread the bot
started, follow-ups need no mention when the intent is on (``PANELIST_DISCORD_MESSAGE_CONTENT``)
and a mention when it is off. Each DM channel and each thread is one conversation with bounded
memory, so a follow-up ("and what did he say about Europe?") is understood in context.
"""

from __future__ import annotations

import contextlib
import logging
import re

import discord
from discord.ext import commands

from bot.surfaces.discord import render
from bot.surfaces.discord.answering import Answering, Question
from bot.surfaces.discord.replies import NO_MENTIONS, ChannelReply

log = logging.getLogger(__name__)

THREAD_NAME_CHARS = 90
_ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)


class MessageQuestions(commands.Cog, name="Conversations"):
    def __init__(self, client: discord.Client, answering: Answering) -> None:
        self.client = client  # who "me" is and which intents we have; services come from answering
        self.answering = answering

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or message.author.bot or message.type not in _ANSWERABLE:
            return  # other bots, ourselves (Discord echoes our own messages), system messages
        mentioned = any(u.id == me.id for u in message.mentions)
        channel = message.channel
        if message.guild is None:
            await self._ask(message, channel, via="dm", conversation=f"dm:{channel.id}")
        elif isinstance(channel, discord.Thread) and channel.owner_id == me.id:
            if mentioned or self.client.intents.message_content:
                await self._ask(message, channel, via="thread", conversation=f"t:{channel.id}")
        elif mentioned and isinstance(channel, discord.Thread):
            await self._ask(message, channel, via="mention", conversation=f"t:{channel.id}")
        elif mentioned:
            await self._ask_in_new_thread(message)

    async def _ask(
        self,
        message: discord.Message,
        channel: discord.abc.Messageable,
        *,
        via: str,
        conversation: str | None,
    ) -> None:
        text = self._question(message)
        if not text and via == "thread":
            return  # an image, or content withheld without the intent: nothing to answer
        line = self.answering.refusal(message.author.id, text)
        if line:
            await self._say(channel, line, reference=message)
            return
        with contextlib.suppress(discord.HTTPException):
            await channel.typing()
        q = Question(text, message.author.id, via=via, conversation=conversation)
        await self.answering.answer(ChannelReply(channel), q)

    async def _ask_in_new_thread(self, message: discord.Message) -> None:
        """A mention in a channel: the answer and its follow-ups go in a thread on the message."""
        text = self._question(message)
        line = self.answering.refusal(message.author.id, text)
        if line:
            await self._say(message.channel, line, reference=message)
            return
        try:
            thread = await message.create_thread(
                name=render.one_line(render.discord_safe(text), THREAD_NAME_CHARS),
                auto_archive_duration=1440,
            )
        except (discord.HTTPException, ValueError) as exc:
            # No permission to create threads, or a channel type without them: answer in place.
            log.info("no thread for a mention (%s); replying in the channel", type(exc).__name__)
            q = Question(text, message.author.id, via="mention")
            reply = ChannelReply(message.channel, reference=message)
            await self.answering.answer(reply, q)
            return
        with contextlib.suppress(discord.HTTPException):
            await thread.typing()
        q = Question(text, message.author.id, via="mention", conversation=f"t:{thread.id}")
        await self.answering.answer(ChannelReply(thread), q)

    def _question(self, message: discord.Message) -> str:
        """The message text without the bot's own mention."""
        me = self.client.user
        text = message.content
        if me is not None:
            text = re.sub(rf"<@!?{me.id}>", " ", text)
        return " ".join(text.split())

    async def _say(
        self, channel: discord.abc.Messageable, line: str, *, reference: discord.Message
    ) -> None:
        try:
            await channel.send(
                line,
                allowed_mentions=NO_MENTIONS,
                suppress_embeds=True,
                reference=reference,
                mention_author=False,
            )
        except discord.HTTPException as exc:
            log.warning("could not reply to a message: HTTP %s", exc.status)
