"""Restarts and long queues: no asker is left looking at "thinking…" for good.

Each test here failed on the bot before the matching fix (issue 12, items 2 and 3).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.discord.helpers import ANSWER, QUESTION, bot_settings, final_answer, panelist_bot
from tests.fakes.discord_fixtures import fake_discord_server
from tests.fakes.discord_models import GENERAL_CHANNEL_ID, FakeDiscordConfig, FakeUser
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Text


def loading(fake: FakeDiscord) -> list[int]:
    """Deferred "thinking…" placeholders nobody completed."""
    return [
        m.id
        for ch in (GENERAL_CHANNEL_ID,)
        for m in fake.messages_in(ch, include_ephemeral=True)
        if m.loading
    ]


# --- 2: graceful shutdown --------------------------------------------------------------------


async def test_shutdown_refuses_new_questions_and_finishes_the_running_one(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Once closing starts, /ask is refused at once; the answer in progress is still posted."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=1.5))
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server)
    async with panelist_bot(fake_discord, settings) as bot:
        running = await fake_discord.send_command("ask", {"question": QUESTION}, user="alice")
        await running.wait_for_response()
        closing = asyncio.create_task(bot.close())
        await asyncio.sleep(0.2)
        late = await fake_discord.send_command("ask", {"question": QUESTION}, user="bob")
        await late.wait_for_response()
        await asyncio.wait_for(closing, 20)
    refused = late.original_message()
    assert refused is not None and refused.ephemeral and "restarting" in refused.content
    assert "[1]" in (running.original_message() or refused).content
    assert loading(fake_discord) == []


async def test_shutdown_tells_askers_it_could_not_wait_for(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """An answer longer than the grace period is told "restarting" before the gateway closes."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=8.0))
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, discord_shutdown_grace_s=0.5)
    async with panelist_bot(fake_discord, settings) as bot:
        inter = await fake_discord.send_command("ask", {"question": QUESTION})
        await inter.wait_for_response()
        await asyncio.sleep(0.3)
        await asyncio.wait_for(bot.close(), 10)
    told = [inter.original_message(), *inter.followups]
    assert any(m is not None and "restarting" in m.content for m in told)
    assert loading(fake_discord) == []


async def test_shutdown_tells_a_dm_asker_too(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A DM question cut off by a restart gets the same line in the DM."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=8.0))
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, discord_shutdown_grace_s=0.5)
    async with panelist_bot(fake_discord, settings) as bot:
        await fake_discord.send_dm("alice", QUESTION)
        dm = fake_discord.dm_channel_for("alice").id
        await fake_discord.wait_for(lambda a: a.kind == "typing", timeout=10)
        await asyncio.sleep(0.3)
        await asyncio.wait_for(bot.close(), 10)
    assert any("restarting" in m.content for m in fake_discord.bot_messages_in(dm))


# --- 3: long queues --------------------------------------------------------------------------


def three_members() -> FakeDiscordConfig:
    config = FakeDiscordConfig()
    carol = FakeUser(GENERAL_CHANNEL_ID + 99, "carol", "Carol")
    config.guilds[0].members.append(carol)
    return config


async def test_queue_position_is_updated_as_the_queue_moves(
    openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Third in line sees "2 ahead", then "1 ahead" when the first answer is done."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=1.5), Text(ANSWER, initial_delay_s=1.5))
    openai_server.default = ANSWER
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, max_concurrent_llm=1)
    async with fake_discord_server(three_members()) as fake, panelist_bot(fake, settings):
        first = await fake.send_command("ask", {"question": QUESTION}, user="alice")
        await first.wait_for_response()
        await asyncio.sleep(0.3)
        second = await fake.send_command("ask", {"question": QUESTION}, user="bob")
        await second.wait_for_response()
        await asyncio.sleep(0.3)
        third = await fake.send_command("ask", {"question": QUESTION}, user="carol")
        await final_answer(third, timeout=20)
        shown = [h["body"].get("content") or "" for h in third.original_message().history]  # type: ignore[union-attr]
    assert any("2 questions ahead" in s for s in shown)
    assert any("one question ahead" in s for s in shown)


async def test_one_user_cannot_fill_the_queue(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A second question while one of yours is still waiting is refused, privately."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=1.5))
    settings = bot_settings(
        seeded_data_dir, tmp_path, openai_server, discord_max_in_flight_per_user=1
    )
    async with panelist_bot(fake_discord, settings):
        first = await fake_discord.send_command("ask", {"question": QUESTION}, user="alice")
        await first.wait_for_response()
        again = await fake_discord.send_command("ask", {"question": "And Europe?"}, user="alice")
        await again.wait_for_response()
        refused = again.original_message()
        await final_answer(first, timeout=15)
    assert refused is not None and refused.ephemeral and "still" in refused.content


async def test_a_queue_longer_than_the_token_posts_in_the_channel(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Queued past Discord's 15-minute token, the answer still arrives: before the token runs
    out the bot says it will post in the channel, and does; no request fails with 401/50027."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=3.0))
    openai_server.default = ANSWER
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, max_concurrent_llm=1)
    async with panelist_bot(fake_discord, settings, fake_clock=True):
        first = await fake_discord.send_command("ask", {"question": QUESTION}, user="alice")
        await first.wait_for_response()
        await asyncio.sleep(0.3)
        queued = await fake_discord.send_command("ask", {"question": QUESTION}, user="bob")
        await queued.wait_for_response()
        fake_discord.advance_clock(14 * 60)
        for inter in (first, queued):  # the bot notices both tokens are about to run out
            await fake_discord.wait_for(
                lambda a, inter=inter: (
                    a.interaction is inter
                    and a.kind == "webhook.original.edit"
                    and "channel" in str((a.json or {}).get("content"))
                ),
                timeout=10,
                what="the hand-over notice",
            )
        fake_discord.advance_clock(2 * 60)
        bob = f"<@{fake_discord.user('bob').id}>"
        action = await fake_discord.wait_for(
            lambda a: (
                a.ok
                and a.message is not None
                and a.message.channel_id == GENERAL_CHANNEL_ID
                and bob in a.message.content
                and "panelist:vote:up" in a.message.custom_ids()
            ),
            timeout=20,
            what="bob's answer in the channel",
        )
        msg = action.message
        assert msg is not None
    assert "[1]" in msg.content
    assert msg.pings.users == frozenset({fake_discord.user("bob").id})
    placeholder = queued.original_message()
    assert placeholder is not None and not placeholder.loading
    assert "channel" in placeholder.content
    assert not [a for a in fake_discord.errors if a.error_code == 50027]
