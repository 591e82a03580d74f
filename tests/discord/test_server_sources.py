"""/panelist settings source: what one server can see, and only there.

The attack: the question's best passage (Kai-Fu Lee at the WEF panel) is in the source one
server hid. Every way of asking there (/ask, a mention, /quote, listings, autocomplete) must
avoid it, while another server, sharing the same bot and index, still gets it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.discord.helpers import QUESTION, bot_settings, final_answer, panelist_bot
from tests.discord.test_conversations import answer_in
from tests.discord.test_server_settings import admin
from tests.fakes.discord_fixtures import fake_discord_server
from tests.fakes.discord_models import (
    BOT_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    FakeChannel,
    FakeDiscordConfig,
    FakeGuild,
    FakeUser,
    default_guild,
)
from tests.fakes.discord_server import FakeDiscord

WEF = "004_ec03862bfd892207.txt"
WEF_LABEL = "WEF Davos panel"
LOBBY = GUILD_ID + 7_000
CAROL = GUILD_ID + 8_000


@pytest.fixture
async def two_servers(seeded_data_dir: Path, tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    """The default server and a second one (carol owns it), one extractive bot in both."""
    other = FakeGuild(
        id=GUILD_ID ^ (1 << 22),
        name="Second",
        channels=[FakeChannel(LOBBY, "lobby")],
        members=[FakeUser(CAROL, "carol")],
        owner_id=CAROL,
    )
    config = FakeDiscordConfig(guilds=[default_guild(), other])
    settings = bot_settings(seeded_data_dir, tmp_path, discord_message_content=True)
    async with fake_discord_server(config) as fake, panelist_bot(fake, settings):
        yield fake


async def _ask(fake: FakeDiscord, user: str, channel: int, **options: str) -> str:
    inter = await fake.send_command(
        "ask", {"question": QUESTION, **options}, user=user, channel_id=channel
    )
    return (await final_answer(inter)).content


async def test_hidden_source_is_never_cited_there_but_is_elsewhere(
    two_servers: FakeDiscord,
) -> None:
    fake = two_servers
    said = await admin(fake, "source", source=WEF, visible=False)
    assert "**Sees**" in said and WEF_LABEL not in said
    here = await _ask(fake, "bob", GENERAL_CHANNEL_ID)
    elsewhere = await _ask(fake, "carol", LOBBY)
    assert WEF_LABEL not in here and "Kai-Fu" not in here
    assert WEF_LABEL in elsewhere

    # A mention (answered in a thread) follows the same scope.
    asked = await fake.send_message(GENERAL_CHANNEL_ID, "bob", f"<@{BOT_ID}> {QUESTION}")
    mention = await answer_in(fake, asked.id)
    assert WEF_LABEL not in mention.content

    # Naming the hidden source is refused in one line, not answered from it.
    named = await fake.send_command(
        "ask", {"question": QUESTION, "source": WEF}, user="bob", channel_id=GENERAL_CHANNEL_ID
    )
    [line] = await named.wait_for_followups(1, timeout=15)
    assert "not available here" in line.content


async def test_quote_listings_and_autocomplete_follow_the_scope(two_servers: FakeDiscord) -> None:
    fake = two_servers
    await admin(fake, "source", source=WEF, visible=False)

    topic = {"topic": "open research progress", "speaker": "Yann LeCun"}
    there = await fake.send_command("quote", topic, user="carol", channel_id=LOBBY)
    assert WEF_LABEL in (await there.wait_for_final_original(timeout=10)).content
    here = await fake.send_command("quote", topic, user="bob")
    [line] = await here.wait_for_followups(1, timeout=10)
    assert line.content.startswith("No quote") and WEF_LABEL not in line.content

    listing = await fake.send_command("sources", user="bob")
    await listing.wait_for_response()
    text = (listing.callback_body or {})["data"]["content"]
    assert "Gradient Dissent" in text and "WEF" not in text

    for channel, user, expected in ((GENERAL_CHANNEL_ID, "bob", []), (LOBBY, "carol", [WEF])):
        auto = await fake.send_autocomplete(
            "ask",
            {"question": "x", "source": "davos"},
            focused="source",
            user=user,
            channel_id=channel,
        )
        await auto.wait_for_response()
        assert [c["value"] for c in auto.autocomplete_choices or []] == expected

    personas = await fake.send_command("personas", user="bob")
    await personas.wait_for_response()
    assert "Kai-Fu Lee" not in (personas.callback_body or {})["data"]["content"]


async def test_showing_it_again_and_bad_names(two_servers: FakeDiscord) -> None:
    fake = two_servers
    await admin(fake, "source", source=WEF, visible=False)
    assert "not a discussion" not in await admin(fake, "source", source=WEF, visible=True)
    assert "every discussion" in await admin(fake, "show")
    bad = await admin(fake, "source", source="../../etc/passwd\u202e", visible=False)
    assert bad.startswith("No discussion") and "\n" not in bad
    assert WEF_LABEL in await _ask(fake, "bob", GENERAL_CHANNEL_ID)
