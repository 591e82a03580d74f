"""Questions by message on servers run as real ones are: permissions, role mentions, threads.

Each test here failed on the bot before the matching fix (issue 12, items 1, 4, 5 and 6).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import ANSWER, QUESTION, bot_settings, panelist_bot
from tests.discord.test_conversations import answer_in
from tests.fakes.discord_models import BOT_ID, GENERAL_CHANNEL_ID, GUILD_ID, Overwrite, Perm
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

MENTION = f"<@{BOT_ID}>"


def streamed(model: FakeOpenAI) -> int:
    return sum(1 for r in model.chat_requests if (r.json or {}).get("stream"))


async def bot_line_in(fake: FakeDiscord, channel_id: int, since: int) -> str:
    """The next message the bot posts in a channel (any kind), as text."""
    msg = await fake.wait_for_message(channel_id, since=since, timeout=10)
    return msg.content


# --- 1: follow-ups in the bot's thread without the intent -----------------------------------


async def test_unreadable_follow_up_gets_told_how_to_ask(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Without the intent a plain thread reply arrives blank: the bot says to mention or reply."""
    async with panelist_bot(fake_discord, bot_settings(seeded_data_dir, tmp_path)):
        asked = await fake_discord.send_message(
            GENERAL_CHANNEL_ID, "alice", f"{MENTION} What did Yann LeCun say about open research?"
        )
        await answer_in(fake_discord, asked.id)
        mark = fake_discord.mark()
        await fake_discord.send_message(asked.id, "alice", "And about scaling laws?")
        line = await bot_line_in(fake_discord, asked.id, mark)
        # Said once per thread, not after every message.
        await fake_discord.send_message(asked.id, "alice", "hello?")
        await asyncio.sleep(0.5)
    assert "mention" in line.lower() and "reply" in line.lower()
    hints = [m for m in fake_discord.bot_messages_in(asked.id) if "mention" in m.content.lower()]
    assert len(hints) == 1


async def test_reply_to_the_answer_is_a_follow_up_without_the_intent(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Replying to the bot's answer pings it, so Discord shows the text and it is answered."""
    async with panelist_bot(fake_discord, bot_settings(seeded_data_dir, tmp_path)):
        asked = await fake_discord.send_message(
            GENERAL_CHANNEL_ID, "alice", f"{MENTION} What did Yann LeCun say about open research?"
        )
        first = await answer_in(fake_discord, asked.id)
        mark = fake_discord.mark()
        live = fake_discord.message(first.id)
        assert live is not None
        await fake_discord.send_message(
            asked.id, "alice", "Will the rate of change in AI slow down?", reference=live
        )
        msg = await answer_in(fake_discord, asked.id, since=mark)
    assert "[1]" in msg.content


# --- 4: role mentions -------------------------------------------------------------------------


async def test_role_mention_is_answered_with_the_intent(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Mentioning the bot's managed role (what the @ picker offers) is asking the bot."""
    openai_server.enqueue(ANSWER)
    role = fake_discord.bot_role_id()
    asked = await fake_discord.send_message(GENERAL_CHANNEL_ID, "bob", f"<@&{role}> {QUESTION}")
    msg = await answer_in(fake_discord, asked.id)
    assert "[1]" in msg.content


async def test_role_mention_without_the_intent_says_to_mention_the_bot(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Discord withholds a role-mention's text: the bot says how to reach it instead of nothing."""
    async with panelist_bot(fake_discord, bot_settings(seeded_data_dir, tmp_path)):
        role = fake_discord.bot_role_id()
        mark = fake_discord.mark()
        await fake_discord.send_message(GENERAL_CHANNEL_ID, "bob", f"<@&{role}> {QUESTION}")
        line = await bot_line_in(fake_discord, GENERAL_CHANNEL_ID, mark)
    assert "/ask" in line and "role" in line


# --- 5: permissions checked before threads ---------------------------------------------------


async def test_no_thread_permission_answers_in_the_channel(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Without Send Messages in Threads the bot starts no empty thread and replies in place."""
    openai_server.enqueue(ANSWER)
    await fake_discord.set_overwrites(
        GENERAL_CHANNEL_ID, [Overwrite(GUILD_ID, 0, deny=Perm.SEND_MESSAGES_IN_THREADS)]
    )
    await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"{MENTION} {QUESTION}")
    msg = await answer_in(fake_discord, GENERAL_CHANNEL_ID)
    assert "[1]" in msg.content
    assert not [a for a in fake_discord.actions if a.kind == "thread.create"]
    assert streamed(openai_server) == 1


async def test_no_history_permission_answers_without_a_reply_reference(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Without Read Message History (which replies need) the answer is a plain message."""
    openai_server.enqueue(ANSWER)
    deny = Perm.READ_MESSAGE_HISTORY | Perm.CREATE_PUBLIC_THREADS
    await fake_discord.set_overwrites(GENERAL_CHANNEL_ID, [Overwrite(GUILD_ID, 0, deny=deny)])
    await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"{MENTION} {QUESTION}")
    msg = await answer_in(fake_discord, GENERAL_CHANNEL_ID)
    assert "[1]" in msg.content and msg.message_reference is None
    assert not [a for a in fake_discord.errors if a.kind == "message.create"]


async def test_nowhere_to_answer_costs_no_model_call_and_no_cooldown(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A channel the bot cannot post in: no model call, the asker is told by DM, and the cooldown
    is not spent, so their next question (here by DM) is answered."""
    openai_server.default = ANSWER
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, cooldown_s=60.0)
    fake_discord.channel(GENERAL_CHANNEL_ID).bot_can_send = False  # type: ignore[union-attr]
    async with panelist_bot(fake_discord, settings):
        await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"{MENTION} {QUESTION}")
        dm = fake_discord.dm_channel_for("alice").id
        told = await fake_discord.wait_for_message(dm, timeout=10)
        assert "can't post" in told.content
        assert streamed(openai_server) == 0
        await fake_discord.send_dm("alice", QUESTION)
        msg = await answer_in(fake_discord, dm)
    assert "[1]" in msg.content


async def test_closed_dms_do_not_break_the_bot(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """Nowhere to post and DMs closed (50007): nothing is sent, and the next question works."""
    openai_server.default = ANSWER
    await fake_discord.set_overwrites(
        GENERAL_CHANNEL_ID,
        [Overwrite(GUILD_ID, 0, deny=Perm.SEND_MESSAGES_IN_THREADS | Perm.SEND_MESSAGES)],
    )
    fake_discord.close_dms("alice")
    await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"{MENTION} {QUESTION}")
    await fake_discord.wait_for(lambda a: a.error_code == 50007, timeout=10)
    await fake_discord.send_dm("bob", QUESTION)
    await answer_in(fake_discord, fake_discord.dm_channel_for("bob").id)
    assert streamed(openai_server) == 1


# --- 6: only questions count in the bot's threads; refusals stay quiet ----------------------


async def test_thanks_in_a_thread_costs_no_model_call(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """With the intent, "thanks!" in the bot's thread is not a question; a real follow-up is."""
    openai_server.default = ANSWER
    asked = await fake_discord.send_message(GENERAL_CHANNEL_ID, "alice", f"{MENTION} {QUESTION}")
    await answer_in(fake_discord, asked.id)
    await fake_discord.send_message(asked.id, "alice", "thanks!")
    mark = fake_discord.mark()
    await fake_discord.send_message(asked.id, "alice", "Why does he think it will slow down?")
    await answer_in(fake_discord, asked.id, since=mark)
    asked_model = [r.prompt for r in openai_server.chat_requests if (r.json or {}).get("stream")]
    assert len(asked_model) == 2 and not any("thanks!" in p for p in asked_model)


async def test_cooldown_refusal_is_not_a_public_reply(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Asking again too soon in a channel gets a quiet ⏳ reaction, not a message for everyone."""
    openai_server.default = ANSWER
    settings = bot_settings(
        seeded_data_dir, tmp_path, openai_server, cooldown_s=60.0, discord_message_content=True
    )
    async with panelist_bot(fake_discord, settings):
        first = await fake_discord.send_message(GENERAL_CHANNEL_ID, "bob", f"{MENTION} {QUESTION}")
        await answer_in(fake_discord, first.id)
        again = await fake_discord.send_message(
            GENERAL_CHANNEL_ID, "bob", f"{MENTION} And what about Europe?"
        )
        reaction = await fake_discord.wait_for(
            lambda a: a.kind == "reaction.add" and a.params.get("message_id") == str(again.id),
            timeout=10,
        )
    assert reaction.ok
    assert fake_discord.bot_messages_in(GENERAL_CHANNEL_ID) == []
