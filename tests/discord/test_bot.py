"""How the bot is built: intents, mentions, sharding."""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands

from bot.answer.engine import Engine
from bot.surfaces.discord.bot import PanelistBot, create_bot
from tests.discord.helpers import ANSWER, QUESTION, bot_settings, panelist_bot
from tests.discord.test_conversations import answer_in
from tests.fakes.discord_fixtures import fake_discord_server, running_bot
from tests.fakes.discord_models import (
    BOT_ID,
    GUILD_ID,
    FakeChannel,
    FakeDiscordConfig,
    FakeGuild,
    FakeUser,
    default_guild,
)
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Text


def test_default_intents_leave_out_message_content(seeded_data_dir: Path, tmp_path: Path) -> None:
    """Without the setting the bot asks Discord for no privileged intent."""
    bot = create_bot(bot_settings(seeded_data_dir, tmp_path), engine=None)
    assert not bot.intents.message_content and not bot.intents.members
    assert not bot.intents.presences


def test_message_content_intent_follows_the_setting(seeded_data_dir: Path, tmp_path: Path) -> None:
    """PANELIST_DISCORD_MESSAGE_CONTENT turns the privileged intent on."""
    settings = bot_settings(seeded_data_dir, tmp_path, discord_message_content=True)
    assert create_bot(settings, engine=None).intents.message_content


def test_bot_allows_no_mentions_by_default(seeded_data_dir: Path, tmp_path: Path) -> None:
    """The bot-wide default lets nothing ping, for any send that forgets to say so."""
    bot = create_bot(bot_settings(seeded_data_dir, tmp_path), engine=None)
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}


async def test_sharded_setting_runs_an_autosharded_bot(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """PANELIST_DISCORD_SHARDED gives an AutoShardedBot that still answers."""
    settings = bot_settings(seeded_data_dir, tmp_path, discord_sharded=True)
    bot = create_bot(settings, Engine(settings))
    assert isinstance(bot, discord.AutoShardedClient) and isinstance(bot, PanelistBot)
    async with running_bot(bot, fake_discord, timeout=20):
        await fake_discord.send_dm("alice", QUESTION)
        msg = await fake_discord.wait_for_message(
            fake_discord.dm_channel_for("alice").id, timeout=10
        )
    assert "[1]" in msg.content


async def test_bot_default_reaches_interaction_edits_and_follow_ups(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """discord.py applies the bot's AllowedMentions.none() to webhook edits and follow-ups."""

    @app_commands.command(name="probe", description="Send @everyone without allowed_mentions")
    async def probe(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="@everyone edited")
        await interaction.followup.send("@everyone followed up")

    offline_bot.tree.add_command(probe)
    await offline_bot.tree.sync()
    inter = await fake_discord.send_command("probe")
    [followup] = await inter.wait_for_followups(1)
    sent = [a for a in inter.actions if a.kind in ("webhook.original.edit", "webhook.followup")]
    assert [a.allowed_mentions for a in sent] == [{"parse": []}, {"parse": []}]
    original = inter.original_message()
    assert original is not None and not original.pings.anyone and not followup.notified.anyone


# --- issue 12, item 7 ------------------------------------------------------------------------


def test_intents_are_only_what_the_bot_uses(seeded_data_dir: Path, tmp_path: Path) -> None:
    """Guilds (channels, threads), guild and DM messages; nothing else is subscribed."""
    bot = create_bot(bot_settings(seeded_data_dir, tmp_path), engine=None)
    expected = discord.Intents.none()
    expected.guilds = expected.guild_messages = expected.dm_messages = True
    assert bot.intents == expected


async def test_stale_command_gets_an_answer_not_a_timeout(
    seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A command Discord still shows but this version lacks is answered privately, at once."""
    config = FakeDiscordConfig(require_registered_commands=False)
    async with fake_discord_server(config) as fake:
        bot = PanelistBot(bot_settings(seeded_data_dir, tmp_path), engine=None)
        async with running_bot(bot, fake):
            inter = await fake.send_command("summarise", {"topic": "open source"})
            await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral and "out of date" in msg.content


async def test_typing_is_kept_up_while_the_model_is_slow(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Discord's typing indicator lasts ~10 s: a 7-second answer sends it more than once."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=7.0))
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server)
    async with panelist_bot(fake_discord, settings):
        await fake_discord.send_dm("alice", QUESTION)
        dm = fake_discord.dm_channel_for("alice").id
        await answer_in(fake_discord, dm)
    assert len(fake_discord.typing_in(dm)) >= 2


async def test_two_shards_answer_in_both_guilds(seeded_data_dir: Path, tmp_path: Path) -> None:
    """Discord offers two shards and routes each guild to one: both guilds are answered."""
    lobby = GUILD_ID + 7_000
    other = FakeGuild(
        id=GUILD_ID ^ (1 << 22),
        name="Second",
        channels=[FakeChannel(lobby, "lobby")],
        members=[FakeUser(GUILD_ID + 8_000, "carol")],
    )
    config = FakeDiscordConfig(guilds=[default_guild(), other], shards=2)
    settings = bot_settings(seeded_data_dir, tmp_path, discord_sharded=True)
    async with fake_discord_server(config) as fake:
        bot = create_bot(settings, Engine(settings))
        async with running_bot(bot, fake, timeout=20):
            assert bot.shard_count == 2
            for channel, user in ((lobby, "carol"), (fake.channel_named("general").id, "alice")):
                asked = await fake.send_message(channel, user, f"<@{BOT_ID}> {QUESTION}")
                msg = await answer_in(fake, asked.id)
                assert "[1]" in msg.content
    assert fake.identify_count == 2
