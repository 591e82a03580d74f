"""How the bot is built: intents, mentions, sharding."""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands

from bot.answer.engine import Engine
from bot.surfaces.discord.bot import PanelistBot, create_bot
from tests.discord.conftest import QUESTION, bot_settings
from tests.fakes.discord_fixtures import running_bot
from tests.fakes.discord_server import FakeDiscord


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
