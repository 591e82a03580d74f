"""/panelist settings: per-server channels, reply mode and cooldown, kept across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import ANSWER, QUESTION, bot_settings, panelist_bot
from tests.discord.test_conversations import answer_in
from tests.fakes.discord_models import BOT_ID, GENERAL_CHANNEL_ID, PANEL_CHANNEL_ID
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

MENTION = f"<@{BOT_ID}>"


async def admin(fake: FakeDiscord, setting: str, **options: object) -> str:
    """Alice (the server owner) runs /panelist settings <setting>; the private reply's text."""
    inter = await fake.send_command("panelist", {"settings": {setting: options}}, user="alice")
    await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral
    return msg.content


async def test_only_chosen_channels_are_answered(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """With #panel chosen, a mention in #general costs nothing and /ask there is refused."""
    openai_server.default = ANSWER
    said = await admin(fake_discord, "channel", channel=PANEL_CHANNEL_ID, enabled=True)
    assert f"<#{PANEL_CHANNEL_ID}>" in said
    await fake_discord.send_message(GENERAL_CHANNEL_ID, "bob", f"{MENTION} {QUESTION}")
    refused = await fake_discord.send_command(
        "ask", {"question": QUESTION}, user="bob", channel_id=GENERAL_CHANNEL_ID
    )
    await refused.wait_for_response()
    asked = await fake_discord.send_message(PANEL_CHANNEL_ID, "bob", f"{MENTION} {QUESTION}")
    await answer_in(fake_discord, asked.id)
    msg = refused.original_message()
    assert msg is not None and msg.ephemeral and "other channels" in msg.content
    streamed = [r for r in openai_server.chat_requests if (r.json or {}).get("stream")]
    assert len(streamed) == 1


async def test_inline_replies_start_no_thread(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    openai_server.default = ANSWER
    await admin(fake_discord, "replies", mode="inline")
    asked = await fake_discord.send_message(GENERAL_CHANNEL_ID, "bob", f"{MENTION} {QUESTION}")
    msg = await answer_in(fake_discord, GENERAL_CHANNEL_ID)
    assert msg.message_reference is not None
    assert msg.message_reference["message_id"] == str(asked.id)
    assert not [a for a in fake_discord.actions if a.kind == "thread.create"]


async def test_server_cooldown_applies(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """The bot's default here is no cooldown; the server's 300 s holds a second /ask."""
    openai_server.default = ANSWER
    await admin(fake_discord, "cooldown", seconds=300)
    first = await fake_discord.send_command("ask", {"question": QUESTION}, user="bob")
    await first.wait_for_response()
    again = await fake_discord.send_command("ask", {"question": QUESTION}, user="bob")
    await again.wait_for_response()
    msg = again.original_message()
    assert msg is not None and msg.ephemeral and "asking quickly" in msg.content


async def test_server_cooldown_holds_the_message_menu_too(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """ "Ask panelist about this" is another door to the same model: the server's 300 s
    cooldown, started by an /ask, refuses it as it refuses a second /ask."""
    openai_server.default = ANSWER
    await admin(fake_discord, "cooldown", seconds=300)
    first = await fake_discord.send_command("ask", {"question": QUESTION}, user="bob")
    await first.wait_for_response()
    said = await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", QUESTION)
    again = await fake_discord.send_context_menu("Ask panelist about this", said, user="bob")
    await again.wait_for_response()
    msg = again.original_message()
    assert msg is not None and msg.ephemeral and "asking quickly" in msg.content


async def test_settings_survive_a_restart(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    settings = bot_settings(seeded_data_dir, tmp_path)
    async with panelist_bot(fake_discord, settings):
        await admin(fake_discord, "replies", mode="inline")
    async with panelist_bot(fake_discord, settings):
        shown = await admin(fake_discord, "show")
    assert "**Replies** in place" in shown


async def test_members_without_manage_server_never_see_the_group(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """default_member_permissions hides /panelist: Discord would not send bob's command."""
    with pytest.raises(LookupError, match="hidden from bob"):
        await fake_discord.send_command("panelist", {"status": {}}, user="bob")
