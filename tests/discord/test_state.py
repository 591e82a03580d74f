"""Conversation memory and cooldowns survive a restart, and stay bounded (SQLite state)."""

from __future__ import annotations

from pathlib import Path

from bot.surfaces.discord.state import SqliteConversations, SqliteCooldown, StateDB
from tests.discord.helpers import QUESTION, bot_settings, panelist_bot
from tests.discord.test_conversations import FOLLOW_UP, answer_in, answer_or_condense
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI


def test_memory_is_bounded_per_conversation_and_overall(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "state.sqlite3")
    memory = SqliteConversations(db, max_turns=3, max_conversations=2)
    for i in range(10):
        memory.add("a", f"q{i}", f"a{i}")
    assert [t.question for t in memory.history("a")] == ["q7", "q8", "q9"]
    memory.add("b", "qb", "ab")
    memory.add("c", "qc", "ac")  # the least recently used ("a") goes
    db.flush()
    rows = db.read("SELECT conversation, COUNT(*) FROM turns GROUP BY conversation")
    assert sorted(rows) == [("b", 1), ("c", 1)]
    fresh = SqliteConversations(db, max_turns=3, max_conversations=2)
    assert fresh.history("a") == [] and fresh.history("c")[0].answer == "ac"


def test_memory_and_cooldown_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    db = StateDB(path)
    SqliteConversations(db).add("dm:1", "first?", "answer")
    SqliteCooldown(db, 60.0, clock=lambda: 1000.0).start(42)
    db.close()
    again = StateDB(path)
    assert SqliteConversations(again).history("dm:1")[0].question == "first?"
    assert SqliteCooldown(again, 60.0, clock=lambda: 1030.0).retry_after(42) == 30.0
    assert SqliteCooldown(again, 60.0, clock=lambda: 1061.0).retry_after(42) == 0.0


async def test_follow_up_after_a_restart_keeps_the_conversation(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A deploy between two DMs: the second still carries the first turn to the model."""
    openai_server.responder = answer_or_condense
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server)
    dm = fake_discord.dm_channel_for("alice").id
    async with panelist_bot(fake_discord, settings):
        await fake_discord.send_dm("alice", QUESTION)
        await answer_in(fake_discord, dm)
    mark = fake_discord.mark()
    async with panelist_bot(fake_discord, settings):
        await fake_discord.send_dm("alice", FOLLOW_UP)
        await answer_in(fake_discord, dm, since=mark)
    last = [r for r in openai_server.chat_requests if (r.json or {}).get("stream")][-1]
    assert QUESTION in last.prompt and FOLLOW_UP in last.prompt


async def test_cooldown_survives_a_restart(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A restart does not hand everyone a fresh question: the cooldown is still running."""
    openai_server.default = 'Kai-Fu Lee: "I think it will slow down a little bit" [1]'
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, cooldown_s=120.0)
    async with panelist_bot(fake_discord, settings):
        first = await fake_discord.send_command("ask", {"question": QUESTION})
        await first.wait_for_response()
    async with panelist_bot(fake_discord, settings):
        again = await fake_discord.send_command("ask", {"question": QUESTION})
        await again.wait_for_response()
    refused = again.original_message()
    assert refused is not None and refused.ephemeral and "asking quickly" in refused.content
