"""/ask end to end: discord.py against the fake Discord, the engine against the scripted model."""

from __future__ import annotations

import time
from pathlib import Path

from bot.surfaces.discord.bot import PanelistBot
from bot.surfaces.discord.errors import MODEL_DOWN
from tests.discord.helpers import (
    ANSWER,
    KAI_FU,
    QUESTION,
    answer_messages,
    bot_settings,
    final_answer,
    panelist_bot,
)
from tests.fakes.discord_models import CallbackType
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Text


async def test_slow_model_still_defers_within_deadline(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """A model that takes 3.5 s to start cannot make /ask miss Discord's 3-second deadline."""
    openai_server.enqueue(Text(ANSWER, initial_delay_s=3.5))
    inter = await fake_discord.send_command("ask", {"question": QUESTION})
    response = await inter.wait_for_response()
    assert response.json["type"] == CallbackType.DEFERRED_CHANNEL_MESSAGE
    assert inter.response_delay is not None and inter.response_delay < 1.0
    msg = await final_answer(inter, timeout=15)
    assert KAI_FU in msg.content


async def test_answer_ends_with_verified_footnotes(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """The final reply quotes the transcript and ends with its footnote."""
    openai_server.enqueue(ANSWER)
    inter = await fake_discord.send_command("ask", {"question": QUESTION})
    msg = await final_answer(inter)
    assert msg.content.rstrip().splitlines()[-1].startswith("[1] WEF Davos panel — Kai-Fu Lee")


async def test_question_is_echoed_above_the_answer(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Other readers see what was asked, since Discord hides a command's options."""
    openai_server.enqueue(ANSWER)
    inter = await fake_discord.send_command("ask", {"question": QUESTION})
    msg = await final_answer(inter)
    assert msg.content.startswith(f"> {QUESTION}")


async def test_streaming_edits_are_throttled(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """A reply streamed over ~3 s is shown in a few edits, not one per delta."""
    words = " ".join(f"Point {i} is that the panel kept talking." for i in range(30))
    openai_server.enqueue(Text(f"{words} {ANSWER}", deltas=60, delay_s=0.05))
    inter = await fake_discord.send_command("ask", {"question": QUESTION})
    started = time.monotonic()
    await final_answer(inter)
    elapsed = time.monotonic() - started
    edits = [a for a in inter.actions if a.kind == "webhook.original.edit"]
    assert 2 <= len(edits) <= elapsed / llm_bot.settings.discord.stream_edit_interval_s + 2


async def test_long_answer_is_split_in_order(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """An answer over 2000 characters arrives as ordered parts of at most 2000, footnotes whole."""
    paragraphs = [
        f"**Part {i}.** The panel came back to this again and again, and Kai-Fu Lee put it "
        f'plainly: "{KAI_FU}" [1] ' + "Others on stage weighed the same question at length. "
        for i in range(12)
    ]  # over 2000 characters, within answer_max_tokens (the client cuts a longer reply)
    openai_server.enqueue("\n\n".join(paragraphs))
    inter = await fake_discord.send_command("ask", {"question": QUESTION})
    await final_answer(inter)
    parts = [m.content for m in answer_messages(inter)]
    text = "\n".join(parts)
    assert len(parts) >= 2 and all(len(p) <= 2000 for p in parts)
    assert [text.index(f"**Part {i}.**") for i in range(12)] == sorted(
        text.index(f"**Part {i}.**") for i in range(12)
    )
    footnotes = [line for p in parts for line in p.splitlines() if line.startswith("[")]
    assert len(footnotes) == 12 and all("WEF Davos panel — Kai-Fu Lee" in f for f in footnotes)


async def test_extractive_mode_answers_without_a_model(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """With no model configured /ask still answers with verbatim passages and footnotes."""
    inter = await fake_discord.send_command(
        "ask", {"question": "What did Yann LeCun say about open research?"}
    )
    msg = await final_answer(inter)
    assert "[1]" in msg.content and "Offline mode" in msg.content
    assert "OPENAI" not in msg.content


async def test_cooldown_refuses_a_quick_second_question(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A second question inside the cooldown gets a private 'try again' line."""
    settings = bot_settings(seeded_data_dir, tmp_path, cooldown_s=60)
    async with panelist_bot(fake_discord, settings):
        first = await fake_discord.send_command("ask", {"question": QUESTION})
        await final_answer(first)
        second = await fake_discord.send_command("ask", {"question": QUESTION})
        await second.wait_for_response()
    body = second.callback_body or {}
    assert body["type"] == CallbackType.CHANNEL_MESSAGE
    assert "try again in" in body["data"]["content"] and body["data"]["flags"] & 64


async def test_too_long_question_is_refused(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """A question over max_question_chars gets a clear private line and no answer."""
    inter = await fake_discord.send_command("ask", {"question": "why " * 400})
    await inter.wait_for_response()
    data = (inter.callback_body or {})["data"]
    assert "keep it under 1000" in data["content"] and data["flags"] & 64


async def test_model_down_gives_a_friendly_line(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A dead model endpoint: the asker reads one friendly line; no host, key or traceback."""
    openai_server.stop()
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server)
    async with panelist_bot(fake_discord, settings):
        inter = await fake_discord.send_command("ask", {"question": QUESTION})
        await inter.wait_for_followups(1, timeout=15)
    [line] = [m for m in inter.followups if not m.deleted]
    assert line.content == MODEL_DOWN and line.ephemeral
    seen = " ".join(str(a.json) for a in fake_discord.actions)
    for secret in ("Traceback", "test-key", "127.0.0.1", "OPENAI_"):
        assert secret not in seen


async def test_unknown_persona_is_named_to_the_asker(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """A persona nobody in the discussions matches gets a private line listing who exists."""
    inter = await fake_discord.send_command(
        "ask", {"question": QUESTION, "persona": "Napoleon Bonaparte"}
    )
    [line] = await inter.wait_for_followups(1, timeout=10)
    assert "Napoleon" in line.content and "Kai-Fu Lee" in line.content and line.ephemeral
