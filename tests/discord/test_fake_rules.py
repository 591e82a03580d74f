"""The fake's real-Discord rules, through a real discord.py client: rate limits, permissions,
threads that archive and lock, shards, role mentions, content blanking, closed DMs.

Each rule here is one a bot bug would otherwise only meet in production.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from tests.discord.test_fake_discord import ProbeBot, next_item
from tests.fakes.discord_fixtures import fake_discord_server, running_bot
from tests.fakes.discord_models import (
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    FakeChannel,
    FakeDiscordConfig,
    FakeGuild,
    FakeUser,
    Overwrite,
    Perm,
    default_guild,
)
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_server() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[ProbeBot]:
    async with running_bot(ProbeBot(), fake) as client:
        yield client


async def general(client: discord.Client) -> discord.TextChannel:
    channel = client.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    return channel


# --- rate limits -----------------------------------------------------------------------------


async def test_replies_carry_discords_rate_limit_headers(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Every limited route answers with bucket, limit, remaining, reset-after and Via."""
    await (await general(bot)).send("hi")
    action = await fake.wait_for(lambda a: a.kind == "message.create")
    assert action.ok
    bucket = fake.rate_limits._buckets[("message.create", f"channel_id={GENERAL_CHANNEL_ID}")]
    assert bucket.limit == 5 and bucket.remaining == 4


async def test_a_429_is_retried_after_retry_after(fake: FakeDiscord, bot: ProbeBot) -> None:
    """discord.py trusts the 429 (it carries Via), sleeps retry_after and sends again."""
    fake.rate_limit_next("message.create", retry_after=0.3)
    started = time.monotonic()
    await (await general(bot)).send("after the limit")
    assert time.monotonic() - started >= 0.3
    assert [a.status for a in fake.actions if a.kind == "message.create"] == [429, 200]
    assert fake.rate_limited[0].response["retry_after"] == 0.3


async def test_an_empty_bucket_makes_the_client_wait(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Six sends in one channel: the sixth waits for the bucket to reset, with no 429."""
    channel = await general(bot)
    started = time.monotonic()
    for i in range(6):
        await channel.send(f"message {i}")
    assert time.monotonic() - started >= 4.0
    assert not fake.rate_limited


async def test_global_limit_answers_a_global_429(fake: FakeDiscord, bot: ProbeBot) -> None:
    """A global 429 says so in the body and a header; the client holds every route."""
    fake.rate_limit_next("message.create", retry_after=0.2, is_global=True)
    await (await general(bot)).send("x")
    refused = fake.rate_limited[0]
    assert refused.response["global"] is True and refused.status == 429


# --- permissions -----------------------------------------------------------------------------


def _guild_with(overwrites: list[Overwrite], bot_permissions: int = 0) -> FakeDiscordConfig:
    guild = default_guild()
    guild.channels[0].overwrites = overwrites
    guild.bot_permissions = bot_permissions
    return FakeDiscordConfig(guilds=[guild])


async def test_everyone_overwrite_denies_send_and_discord_py_agrees() -> None:
    """A channel overwrite on @everyone removes Send Messages for the bot too."""
    config = _guild_with([Overwrite(GUILD_ID, 0, deny=Perm.SEND_MESSAGES)])
    async with fake_discord_server(config) as server, running_bot(ProbeBot(), server) as client:
        channel = await general(client)
        assert not channel.permissions_for(channel.guild.me).send_messages
        with pytest.raises(discord.Forbidden) as caught:
            await channel.send("hi")
    assert caught.value.code == 50013


async def test_bot_role_overwrite_allows_back() -> None:
    """A role overwrite for the bot's role wins over the @everyone deny."""
    async with fake_discord_server(_guild_with([])) as server:
        role_id = server.bot_role_id()
        server.guild().channels[0].overwrites = [
            Overwrite(GUILD_ID, 0, deny=Perm.SEND_MESSAGES),
            Overwrite(role_id, 0, allow=Perm.SEND_MESSAGES),
        ]
        async with running_bot(ProbeBot(), server) as client:
            channel = await general(client)
            assert channel.permissions_for(channel.guild.me).send_messages
            await channel.send("allowed")


async def test_thread_needs_send_messages_in_threads() -> None:
    """The bot may create a thread but not post in it without Send Messages in Threads."""
    config = _guild_with([Overwrite(GUILD_ID, 0, deny=Perm.SEND_MESSAGES_IN_THREADS)])
    async with fake_discord_server(config) as server, running_bot(ProbeBot(), server) as client:
        message = await (await general(client)).send("topic")
        thread = await message.create_thread(name="t")
        assert not thread.permissions_for(thread.guild.me).send_messages_in_threads
        with pytest.raises(discord.Forbidden) as caught:
            await thread.send("in the thread")
    assert caught.value.code == 50013


async def test_creating_a_thread_needs_create_public_threads() -> None:
    config = _guild_with([Overwrite(GUILD_ID, 0, deny=Perm.CREATE_PUBLIC_THREADS)])
    async with fake_discord_server(config) as server, running_bot(ProbeBot(), server) as client:
        message = await (await general(client)).send("topic")
        with pytest.raises(discord.Forbidden):
            await message.create_thread(name="t")


async def test_reply_needs_read_message_history() -> None:
    """A reply (message_reference) without Read Message History fails with 160002."""
    config = _guild_with([Overwrite(GUILD_ID, 0, deny=Perm.READ_MESSAGE_HISTORY)])
    async with fake_discord_server(config) as server, running_bot(ProbeBot(), server) as client:
        asked = await server.send_message(GENERAL_CHANNEL_ID, "alice", "question")
        channel = await general(client)
        partial = channel.get_partial_message(asked.id)
        with pytest.raises(discord.Forbidden) as caught:
            await channel.send("answer", reference=partial)
        await channel.send("answer without reply")
    assert caught.value.code == 160002


async def test_administrator_bypasses_overwrites() -> None:
    config = _guild_with([Overwrite(GUILD_ID, 0, deny=Perm.SEND_MESSAGES)], Perm.ADMINISTRATOR)
    async with fake_discord_server(config) as server, running_bot(ProbeBot(), server) as client:
        await (await general(client)).send("admin speaks")


# --- threads ---------------------------------------------------------------------------------


async def test_locked_thread_refuses_the_bot(fake: FakeDiscord, bot: ProbeBot) -> None:
    message = await (await general(bot)).send("topic")
    thread = await message.create_thread(name="t")
    await fake.archive_thread(thread.id, locked=True)
    with pytest.raises(discord.Forbidden) as caught:
        await thread.send("still here?")
    assert caught.value.code == 160005


async def test_archived_thread_unarchives_on_send_but_refuses_edits(
    fake: FakeDiscord, bot: ProbeBot
) -> None:
    """Sending revives an archived thread; editing an old message there fails with 50083."""
    message = await (await general(bot)).send("topic")
    thread = await message.create_thread(name="t")
    first = await thread.send("first")
    fake.advance_clock(25 * 3600)  # past the 24 h auto-archive
    with pytest.raises(discord.HTTPException) as caught:
        await first.edit(content="edited")
    assert caught.value.code == 50083
    await thread.send("revived")
    stored = fake.channel(thread.id)
    assert stored is not None and not stored.archived


# --- shards, DMs, mentions -------------------------------------------------------------------


async def test_two_shards_split_the_guilds() -> None:
    """With two shards each guild arrives on the shard Discord routes it to, and only there."""
    other = FakeGuild(
        id=GUILD_ID ^ (1 << 22),  # the other shard of two
        name="Second",
        channels=[FakeChannel(GUILD_ID + 7_000, "lobby")],
        members=[FakeUser(GUILD_ID + 8_000, "carol")],
    )
    config = FakeDiscordConfig(guilds=[default_guild(), other], shards=2)
    async with fake_discord_server(config) as server:
        assert server.shard_of(GUILD_ID) != server.shard_of(other.id)
        client = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default())
        async with running_bot(client, server):
            assert client.shard_count == 2
            assert {g.id: g.shard_id for g in client.guilds} == {
                GUILD_ID: server.shard_of(GUILD_ID),
                other.id: server.shard_of(other.id),
            }
        assert server.identify_count == 2


async def test_closed_dms_answer_50007(fake: FakeDiscord, bot: ProbeBot) -> None:
    fake.close_dms("alice")
    user = await bot.fetch_user(fake.user("alice").id)
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("hello")
    assert caught.value.code == 50007


async def test_role_mention_of_the_bot_is_blank_without_the_intent() -> None:
    """Mentioning the bot's role is not mentioning the bot: the content is withheld."""
    config = FakeDiscordConfig(message_content_intent=False)
    async with fake_discord_server(config) as server:
        client = ProbeBot(intents=discord.Intents.default())
        async with running_bot(client, server):
            role = server.bot_role_id()
            await server.send_message(GENERAL_CHANNEL_ID, "bob", f"<@&{role}> what about Europe?")
            message = await next_item(client.inbox)
    assert message.content == "" and [r.id for r in message.role_mentions] == [role]


async def test_reply_that_pings_the_bot_keeps_its_content() -> None:
    """A reply to the bot (with the reply ping) mentions it, so the content arrives."""
    config = FakeDiscordConfig(message_content_intent=False)
    async with fake_discord_server(config) as server:
        client = ProbeBot(intents=discord.Intents.default())
        async with running_bot(client, server):
            sent = await (await general(client)).send("an answer")
            stored = server.message(sent.id)
            assert stored is not None
            await server.send_message(GENERAL_CHANNEL_ID, "bob", "why?", reference=stored)
            message = await asyncio.wait_for(client.inbox.get(), 5)
    assert message.content == "why?"
