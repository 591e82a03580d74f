"""Nothing the bot sends can ping anyone, preview a link, or leak how it works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import KAI_FU, QUESTION, bot_settings, final_answer, panelist_bot
from tests.fakes.discord_models import ALICE_ID, BOT_ID, GENERAL_CHANNEL_ID, Action, MessageFlag
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

TOWN_HALL = """\
[00:00.000 --> 00:09.000]  Welcome back to the town hall about the vector database migration.
[00:09.000 --> 00:21.000]  Quick reminder for @everyone here: the migration finishes on Friday.
[00:21.000 --> 00:30.000]  Ping <@1100000000000000302> if the migration breaks your dashboards.
"""
MANIFEST = """\
[sources."town_hall.txt"]
title = "Infrastructure town hall"
label = "Town hall"
url = "https://www.youtube.com/watch?v=abc123"
"""
_SENDS = ("webhook.original.edit", "webhook.followup", "message.create", "message.edit")


@pytest.fixture(scope="module")
def town_hall_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store holding one transcript whose text pings @everyone and a user."""
    from bot.index.ingest import ingest
    from bot.index.store import Store
    from bot.settings import load_settings

    root = tmp_path_factory.mktemp("town_hall")
    (root / "seeds").mkdir()
    (root / "seeds" / "town_hall.txt").write_text(TOWN_HALL, encoding="utf-8")
    (root / "seeds" / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    data = root / "data"
    data.mkdir()
    store = Store(load_settings(data_dir=data, seeds_dir=root / "seeds"))
    try:
        assert not ingest(store, [root / "seeds"]).failed
    finally:
        store.close()
    yield data


def pings_nothing(allowed: dict[str, Any] | None) -> bool:
    """allowed_mentions that let nothing through: no parse, no ids, no reply ping."""
    return (
        allowed is not None
        and allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user")
    )


def sends(fake: FakeDiscord) -> list[Action]:
    """Every request in which the bot wrote message content."""
    out = [a for a in fake.actions if a.kind in _SENDS]
    out += [
        a for a in fake.actions if a.kind == "interaction.callback" and (a.json or {}).get("data")
    ]
    return out


async def test_model_writing_everyone_pings_nobody(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """A model reply with @everyone and <@id> reaches the channel but notifies no one."""
    openai_server.enqueue(f'@everyone <@{ALICE_ID}> Kai-Fu Lee said: "{KAI_FU}" [1] @here')
    inter = await fake_discord.send_command("ask", {"question": QUESTION})
    msg = await final_answer(inter)
    assert "everyone" in msg.content
    assert not msg.pings.anyone and not msg.notified.anyone


async def test_transcript_everyone_in_a_quote_pings_nobody(
    fake_discord: FakeDiscord, town_hall_dir: Path, tmp_path: Path
) -> None:
    """/quote of a transcript line that says @everyone and <@id> notifies no one."""
    async with panelist_bot(fake_discord, bot_settings(town_hall_dir, tmp_path)):
        inter = await fake_discord.send_command(
            "quote", {"topic": "reminder migration finishes on Friday"}
        )
        msg = await inter.wait_for_final_original(timeout=10)
    assert "everyone" in msg.content
    assert not msg.pings.anyone and not msg.notified.anyone


async def test_transcript_everyone_in_a_thread_answer_pings_nobody(
    fake_discord: FakeDiscord, town_hall_dir: Path, tmp_path: Path
) -> None:
    """An extractive answer quoting @everyone, posted as new messages in a thread, pings no one."""
    async with panelist_bot(fake_discord, bot_settings(town_hall_dir, tmp_path)):
        asked = await fake_discord.send_message(
            GENERAL_CHANNEL_ID,
            "alice",
            f"<@{BOT_ID}> When does the vector database migration finish?",
        )
        await fake_discord.wait_for(
            lambda a: a.message is not None and bool(a.message.custom_ids()), timeout=10
        )
    [answer] = fake_discord.bot_messages_in(asked.id)
    assert "everyone" in answer.content and "Friday" in answer.content
    assert not answer.pings.anyone and not answer.notified.anyone


async def test_every_send_disallows_mentions(
    fake_discord: FakeDiscord, town_hall_dir: Path, tmp_path: Path
) -> None:
    """Edits, follow-ups, channel messages and replies all carry allowed_mentions parse []."""
    async with panelist_bot(fake_discord, bot_settings(town_hall_dir, tmp_path)):
        ask = await fake_discord.send_command("ask", {"question": "When is the migration done?"})
        await final_answer(ask)
        await fake_discord.send_dm("bob", "Who should I ping if dashboards break?")
        await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"<@{BOT_ID}>")
        await fake_discord.wait_for_message(GENERAL_CHANNEL_ID)
        await fake_discord.wait_for(
            lambda a: (
                a.message is not None
                and a.message.channel_id == fake_discord.dm_channel_for("bob").id
                and bool(a.message.custom_ids())
            ),
            timeout=10,
        )
        help_ = await fake_discord.send_command("help")
        await help_.wait_for_response()
    kinds = {a.kind for a in sends(fake_discord)}
    assert {"webhook.original.edit", "message.create", "interaction.callback"} <= kinds
    assert all(pings_nothing(a.allowed_mentions) for a in sends(fake_discord))


async def test_links_never_preview(
    fake_discord: FakeDiscord, town_hall_dir: Path, tmp_path: Path
) -> None:
    """Deep links are wrapped in <...>; messages the bot creates also suppress embeds."""
    async with panelist_bot(fake_discord, bot_settings(town_hall_dir, tmp_path)):
        await fake_discord.send_dm("bob", "When does the vector database migration finish?")
        await fake_discord.wait_for(
            lambda a: a.message is not None and bool(a.message.custom_ids()), timeout=10
        )
    [answer] = fake_discord.bot_messages_in(fake_discord.dm_channel_for("bob").id)
    assert re.search(r"<https://www\.youtube\.com/watch\?v=abc123&t=\d+s>", answer.content)
    assert not re.search(r"(?<!<)https?://", answer.content)
    assert answer.flags & MessageFlag.SUPPRESS_EMBEDS


async def test_user_question_with_everyone_is_echoed_harmlessly(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """A question that says @everyone is echoed above the answer without pinging."""
    inter = await fake_discord.send_command(
        "ask", {"question": "@everyone what did Yann LeCun say about open research?"}
    )
    msg = await final_answer(inter)
    assert msg.content.startswith("> ＠everyone")
    assert not msg.pings.anyone
