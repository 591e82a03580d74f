"""/panelist settings dms: a server can stop the bot answering its members by DM.

The rule (see ``bot/surfaces/discord/dm_policy.py``): a DM is refused, in one line, only when
every server the user shares with the bot has DMs off. The attack: one server turning DMs off
must not silence the bot for a member of another server that still takes them, nor for someone
the bot shares no server with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.surfaces.discord.dm_policy import DMS_OFF
from tests.discord.helpers import QUESTION, bot_settings, panelist_bot
from tests.discord.test_conversations import answer_in
from tests.discord.test_server_settings import admin
from tests.fakes.discord_fixtures import fake_discord_server
from tests.fakes.discord_models import (
    BOB_ID,
    GUILD_ID,
    FakeChannel,
    FakeDiscordConfig,
    FakeGuild,
    FakeUser,
    default_guild,
)
from tests.fakes.discord_server import FakeDiscord

LOBBY = GUILD_ID + 7_000
CAROL = GUILD_ID + 8_000


async def _servers(
    seeded_data_dir: Path, tmp_path: Path, *, bob_in_second: bool
) -> AsyncIterator[FakeDiscord]:
    members = [FakeUser(CAROL, "carol")]
    if bob_in_second:
        members.append(FakeUser(BOB_ID, "bob", "Bob"))
    other = FakeGuild(
        id=GUILD_ID ^ (1 << 22),
        name="Second",
        channels=[FakeChannel(LOBBY, "lobby")],
        members=members,
        owner_id=CAROL,
    )
    config = FakeDiscordConfig(guilds=[default_guild(), other])
    settings = bot_settings(seeded_data_dir, tmp_path)
    async with fake_discord_server(config) as fake, panelist_bot(fake, settings):
        yield fake


@pytest.fixture
async def bob_only_here(seeded_data_dir: Path, tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    async for fake in _servers(seeded_data_dir, tmp_path, bob_in_second=False):
        yield fake


@pytest.fixture
async def bob_in_both(seeded_data_dir: Path, tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    async for fake in _servers(seeded_data_dir, tmp_path, bob_in_second=True):
        yield fake


async def test_dms_off_refuses_its_members_in_one_line(bob_only_here: FakeDiscord) -> None:
    fake = bob_only_here
    assert "**DMs** off" in await admin(fake, "dms", enabled=False)
    await fake.send_dm("bob", QUESTION)
    dm = fake.dm_channel_for("bob").id
    action = await fake.wait_for(
        lambda a: a.ok and a.message is not None and a.message.channel_id == dm,
        timeout=15,
        what="the refusal",
    )
    assert action.message is not None and action.message.content == DMS_OFF
    # /ask in the bot's DMs is refused the same way, privately.
    inter = await fake.send_command("ask", {"question": QUESTION}, user="bob", dm=True)
    await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral and msg.content == DMS_OFF
    # Carol shares only the other server, which still takes DMs.
    await fake.send_dm("carol", QUESTION)
    assert "[1]" in (await answer_in(fake, fake.dm_channel_for("carol").id)).content
    # Turned back on, bob is answered again (the cached verdict is dropped).
    await admin(fake, "dms", enabled=True)
    await fake.send_dm("bob", QUESTION)
    assert "[1]" in (await answer_in(fake, dm)).content


async def test_another_shared_server_keeps_dms_open(bob_in_both: FakeDiscord) -> None:
    fake = bob_in_both
    await admin(fake, "dms", enabled=False)
    await fake.send_dm("bob", QUESTION)
    assert "[1]" in (await answer_in(fake, fake.dm_channel_for("bob").id)).content
