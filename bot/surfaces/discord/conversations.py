"""Questions asked by message: DMs, mentions in a server channel, and the threads the bot starts.

What Discord shows a bot decides what can work. Without the privileged message-content intent a
bot receives the text of DMs, of messages that mention it (a reply to it pings it, so that counts)
and nothing else: a plain follow-up in its thread, or a mention of its managed role, arrives
blank. So DMs, mentions and replies always work; a blank message where the bot was clearly being
talked to gets one line saying how to reach it, instead of silence. With the intent
(``PANELIST_DISCORD_MESSAGE_CONTENT``) a thread message is a follow-up only when it reads like a
question, so "thanks!" costs no model call.

Before a mention in a channel costs anything (the cooldown, a model call), the bot checks where it
can answer: a thread needs Create Public Threads and Send Messages in Threads, a reply needs Read
Message History, and a plain message Send Messages. It falls back in that order, and tells the
asker by DM when it can post nowhere. Each DM channel and each thread is one conversation with
bounded memory, so a follow-up ("and what did he say about Europe?") is understood in context.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import OrderedDict

import discord
from discord.ext import commands

from bot.surfaces.discord import render
from bot.surfaces.discord.answering import Answering, Question, Refusal
from bot.surfaces.discord.dm_policy import DMS_OFF
from bot.surfaces.discord.replies import NO_MENTIONS, ChannelReply

log = logging.getLogger(__name__)

THREAD_NAME_CHARS = 90
_ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)
_QUESTION_WORDS = frozenset(
    {
        "what",
        "why",
        "how",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "which",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "has",
        "have",
        "had",
        "may",
        "might",
        "tell",
        "explain",
        "describe",
        "compare",
        "summarise",
        "summarize",
        "and",
        "but",
        "so",
        "any",
        "anything",
    }
)
_HINTED_MAX = 5000

WITHHELD = (
    "Discord doesn't show me messages in this thread unless you mention me or reply to one of my "
    "messages, so @mention me (or reply to me) to ask a follow-up."
)
ROLE_WITHHELD = (
    "You mentioned my role, and Discord doesn't show me those messages: mention me (the user, "
    "not the role), reply to me, or use /ask."
)
NOWHERE = (
    "You asked me something in #{channel}, but I can't post there (missing permissions). "
    "Ask me here, or use /ask."
)
COOLING = "⏳"


def looks_like_a_question(text: str) -> bool:
    """A thread message worth a model call: it asks something ("thanks!" does not)."""
    if "?" in text:
        return True
    words = text.split()
    return bool(words) and words[0].casefold().strip(",.:;!") in _QUESTION_WORDS


class MessageQuestions(commands.Cog, name="Conversations"):
    def __init__(self, client: discord.Client, answering: Answering) -> None:
        self.client = client  # who "me" is and which intents we have; services come from answering
        self.answering = answering
        self._hinted: OrderedDict[int, None] = OrderedDict()  # threads told about mentions

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or message.author.bot or message.type not in _ANSWERABLE:
            return  # other bots, ourselves (Discord echoes our own messages), system messages
        channel = message.channel
        if message.guild is None:
            if await self.answering.dms.refused(self.client.guilds, message.author.id):
                with contextlib.suppress(discord.HTTPException):
                    await channel.send(DMS_OFF)
                return
            await self._ask(message, channel, via="dm", conversation=f"dm:{channel.id}")
            return
        mentioned = any(u.id == me.id for u in message.mentions)
        role = message.guild.self_role
        role_mentioned = role is not None and any(r.id == role.id for r in message.role_mentions)
        withheld = not self.client.intents.message_content and not message.content
        if role_mentioned and not mentioned and withheld:
            await self._say(message, ROLE_WITHHELD)
            return
        addressed = mentioned or role_mentioned
        if isinstance(channel, discord.Thread) and channel.owner_id == me.id:
            conversation = f"t:{channel.id}"
            if addressed:
                await self._ask(message, channel, via="thread", conversation=conversation)
            elif withheld and not message.attachments:
                await self._hint_once(message, channel)
            elif self.client.intents.message_content and looks_like_a_question(message.content):
                await self._ask(message, channel, via="thread", conversation=conversation)
        elif addressed and isinstance(channel, discord.Thread):
            if not self.answering.servers.get(message.guild.id).allows(channel.parent_id or 0):
                return
            await self._ask(message, channel, via="mention", conversation=f"t:{channel.id}")
        elif addressed:
            await self._ask_in_channel(message)

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
        if isinstance(channel, discord.Thread):
            perms = channel.permissions_for(channel.guild.me)
            if not perms.send_messages_in_threads or channel.locked:
                log.info("cannot post in thread %s; question ignored", channel.id)
                return
        guild_id = message.guild.id if message.guild is not None else None
        refused = self.answering.refusal(message.author.id, text, guild_id)
        if refused:
            await self._refuse(message, refused)
            return
        reply = ChannelReply(channel)
        reply.start_typing()
        q = Question(text, message.author.id, via=via, conversation=conversation, guild_id=guild_id)
        await self.answering.answer(reply, q)

    async def _ask_in_channel(self, message: discord.Message) -> None:
        """A mention in a channel: a thread on the message when allowed, else a reply in place."""
        channel = message.channel
        guild = message.guild
        assert guild is not None
        server = self.answering.servers.get(guild.id)
        if not server.allows(channel.id):
            return  # the server's admins chose other channels (/panelist settings channel)
        perms = channel.permissions_for(guild.me)  # type: ignore[arg-type]
        threads_ok = (
            server.replies == "thread"
            and isinstance(channel, discord.TextChannel)
            and (perms.create_public_threads and perms.send_messages_in_threads)
        )
        if not (threads_ok or perms.send_messages):
            await self._tell_privately(
                message, NOWHERE.format(channel=getattr(channel, "name", ""))
            )
            return
        text = self._question(message)
        refused = self.answering.refusal(message.author.id, text, guild.id)
        if refused:
            await self._refuse(message, refused)
            return
        if threads_ok:
            try:
                thread = await message.create_thread(
                    name=render.one_line(render.discord_safe(text), THREAD_NAME_CHARS),
                    auto_archive_duration=1440,
                )
            except (discord.HTTPException, ValueError) as exc:
                log.info(
                    "no thread for a mention (%s); replying in the channel", type(exc).__name__
                )
            else:
                reply = ChannelReply(thread)
                reply.start_typing()
                q = Question(
                    text,
                    message.author.id,
                    via="mention",
                    conversation=f"t:{thread.id}",
                    guild_id=guild.id,
                )
                await self.answering.answer(reply, q)
                return
        if not perms.send_messages:
            self.answering.release(message.author.id)
            return
        # A reply (with its reference) needs Read Message History; without it, a plain message.
        reference = message if perms.read_message_history else None
        reply = ChannelReply(channel, reference=reference)
        reply.start_typing()
        q = Question(text, message.author.id, via="mention", guild_id=guild.id)
        await self.answering.answer(reply, q)

    def _question(self, message: discord.Message) -> str:
        """The message text without the bot's own mention (or its role's)."""
        me = self.client.user
        text = message.content
        if me is not None:
            text = re.sub(rf"<@!?{me.id}>", " ", text)
        role = message.guild.self_role if message.guild is not None else None
        if role is not None:
            text = text.replace(role.mention, " ")
        return " ".join(text.split())

    async def _refuse(self, message: discord.Message, refused: Refusal) -> None:
        """Quiet refusals (too soon, too many at once) are a reaction only the asker will read;
        the others are a reply, since an ephemeral message does not exist outside interactions."""
        if refused.quiet and message.guild is not None:
            try:
                await message.add_reaction(COOLING)
                return
            except discord.HTTPException as exc:
                log.debug("could not react to a refused question: HTTP %s", exc.status)
                return
        await self._say(message, refused.line)

    async def _hint_once(self, message: discord.Message, thread: discord.Thread) -> None:
        if thread.id in self._hinted:
            return
        self._hinted[thread.id] = None
        while len(self._hinted) > _HINTED_MAX:
            self._hinted.popitem(last=False)
        await self._say(message, WITHHELD, reply=False)

    async def _tell_privately(self, message: discord.Message, line: str) -> None:
        try:
            await message.author.send(line, allowed_mentions=NO_MENTIONS, suppress_embeds=True)
        except discord.HTTPException as exc:  # 50007: the user does not take DMs
            log.info("could not tell a user by DM (HTTP %s, code %s)", exc.status, exc.code)

    async def _say(self, message: discord.Message, line: str, *, reply: bool = True) -> None:
        channel = message.channel
        with_reference = reply
        if message.guild is not None:
            perms = channel.permissions_for(message.guild.me)  # type: ignore[arg-type]
            with_reference = reply and perms.read_message_history
        try:
            await channel.send(
                line,
                allowed_mentions=NO_MENTIONS,
                suppress_embeds=True,
                reference=message if with_reference else None,
                mention_author=False if with_reference else None,
            )
        except discord.HTTPException as exc:
            log.warning("could not reply to a message: HTTP %s", exc.status)
