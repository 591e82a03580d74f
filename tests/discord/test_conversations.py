"""Questions by message: DMs and mentions, answered with memory in the DM channel or a thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import ANSWER, QUESTION, bot_settings, panelist_bot
from tests.fakes.discord_models import BOT_ID, GENERAL_CHANNEL_ID, FakeMessage
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

FOLLOW_UP = "And why does he think so?"


def answer_or_condense(body: dict[str, Any]) -> str:
    """Streamed requests are answers; the one-shot request condenses a follow-up for search."""
    return ANSWER if body.get("stream") else "Why does Kai-Fu Lee think AI progress will slow?"


async def answer_in(fake: FakeDiscord, channel_id: int, since: int = 0) -> FakeMessage:
    """The next finished answer (it carries the vote buttons) the bot posts in a channel."""
    action = await fake.wait_for(
        lambda a: (
            a.ok
            and a.message is not None
            and a.message.channel_id == channel_id
            and "panelist:vote:up" in a.message.custom_ids()
        ),
        since=since,
        timeout=15,
        what=f"an answer in channel {channel_id}",
    )
    assert action.message is not None
    return action.message


async def test_dm_question_is_answered(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Any DM is a question; the answer comes back in the DM with its footnote."""
    openai_server.enqueue(ANSWER)
    await fake_discord.send_dm("alice", QUESTION)
    msg = await answer_in(fake_discord, fake_discord.dm_channel_for("alice").id)
    assert "[1] WEF Davos panel — Kai-Fu Lee" in msg.content


async def test_dm_follow_up_remembers_the_first_turn(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """The second DM's prompt carries the first question, so "he" can be resolved."""
    openai_server.responder = answer_or_condense
    dm = fake_discord.dm_channel_for("alice").id
    await fake_discord.send_dm("alice", QUESTION)
    await answer_in(fake_discord, dm)
    mark = fake_discord.mark()
    await fake_discord.send_dm("alice", FOLLOW_UP)
    await answer_in(fake_discord, dm, since=mark)
    last = [r for r in openai_server.chat_requests if (r.json or {}).get("stream")][-1]
    assert QUESTION in last.prompt and FOLLOW_UP in last.prompt


async def test_dm_memory_is_per_channel(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Bob's first DM is not a follow-up to Alice's conversation."""
    openai_server.responder = answer_or_condense
    await fake_discord.send_dm("alice", QUESTION)
    await answer_in(fake_discord, fake_discord.dm_channel_for("alice").id)
    await fake_discord.send_dm("bob", "What did Kai-Fu Lee say about the rate of change in AI?")
    await answer_in(fake_discord, fake_discord.dm_channel_for("bob").id)
    streamed = [r for r in openai_server.chat_requests if (r.json or {}).get("stream")]
    assert len(streamed) == 2 and QUESTION not in streamed[-1].prompt


async def test_mention_is_answered_in_a_thread(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """@panelist in a channel starts a thread on the message and answers there."""
    openai_server.enqueue(ANSWER)
    asked = await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"<@{BOT_ID}> {QUESTION}")
    msg = await answer_in(fake_discord, asked.id)  # a thread on a message gets the message's id
    thread = fake_discord.channel(asked.id)
    assert thread is not None and thread.parent_id == GENERAL_CHANNEL_ID
    assert thread.name == QUESTION and "[1]" in msg.content


async def test_thread_follow_up_keeps_context(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """A plain message in the bot's thread is a follow-up: its prompt carries the first turn."""
    openai_server.responder = answer_or_condense
    asked = await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"<@{BOT_ID}> {QUESTION}")
    await answer_in(fake_discord, asked.id)
    mark = fake_discord.mark()
    await fake_discord.send_message(asked.id, "bob", FOLLOW_UP)
    await answer_in(fake_discord, asked.id, since=mark)
    last = [r for r in openai_server.chat_requests if (r.json or {}).get("stream")][-1]
    assert QUESTION in last.prompt and FOLLOW_UP in last.prompt


async def test_without_message_content_intent_mentions_still_work(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Without the privileged intent a mention is answered, and so is a mention in the thread."""
    async with panelist_bot(fake_discord, bot_settings(seeded_data_dir, tmp_path)) as bot:
        assert not bot.intents.message_content
        asked = await fake_discord.send_message(
            GENERAL_CHANNEL_ID, "alice", f"<@{BOT_ID}> What did Yann LeCun say about open research?"
        )
        await answer_in(fake_discord, asked.id)
        mark = fake_discord.mark()
        await fake_discord.send_message(
            asked.id, "alice", f"<@{BOT_ID}> Will the rate of change in AI slow down?"
        )
        msg = await answer_in(fake_discord, asked.id, since=mark)
    assert "[1]" in msg.content


async def test_without_intent_thread_messages_need_a_mention(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Without the intent Discord hides unmentioned thread messages, and the bot leaves them be."""
    async with panelist_bot(fake_discord, bot_settings(seeded_data_dir, tmp_path)):
        asked = await fake_discord.send_message(
            GENERAL_CHANNEL_ID, "alice", f"<@{BOT_ID}> What did Yann LeCun say about open research?"
        )
        await answer_in(fake_discord, asked.id)
        await fake_discord.send_message(asked.id, "alice", "And about scaling laws?")
        mark = fake_discord.mark()
        await fake_discord.send_message(asked.id, "alice", f"<@{BOT_ID}> And about robots?")
        await answer_in(fake_discord, asked.id, since=mark)
    answers = [m for m in fake_discord.bot_messages_in(asked.id) if m.custom_ids()]
    assert len(answers) == 2


async def test_other_bots_are_ignored(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """A DM from another bot gets no reply."""
    openai_server.default = ANSWER
    other = fake_discord.add_user("otherbot", bot=True)
    await fake_discord.send_dm(other, QUESTION)
    await fake_discord.send_dm("alice", QUESTION)
    await answer_in(fake_discord, fake_discord.dm_channel_for("alice").id)
    assert fake_discord.bot_messages_in(fake_discord.dm_channel_for(other).id) == []
    assert fake_discord.typing_in(fake_discord.dm_channel_for(other).id) == []


async def test_own_messages_are_ignored(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """The bot's own answers, echoed back by Discord, never start another answer."""
    openai_server.default = ANSWER
    alice_dm = fake_discord.dm_channel_for("alice").id
    await fake_discord.send_dm("alice", QUESTION)
    await answer_in(fake_discord, alice_dm)
    await fake_discord.send_dm("bob", QUESTION)
    await answer_in(fake_discord, fake_discord.dm_channel_for("bob").id)
    assert len(fake_discord.typing_in(alice_dm)) == 1
    assert len(openai_server.chat_requests) == 2


async def test_empty_mention_gets_a_hint(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """A bare @panelist gets a one-line hint, not an answer to nothing."""
    asked = await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"<@{BOT_ID}>")
    msg = await fake_discord.wait_for_message(GENERAL_CHANNEL_ID)
    assert msg.content.startswith("Ask me a question")
    assert msg.message_reference is not None
    assert msg.message_reference["message_id"] == str(asked.id)
