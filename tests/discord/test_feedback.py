"""👍/👎: a click is recorded locally and summarised by ``panelist feedback``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.settings import Settings
from bot.surfaces.cli import app
from bot.surfaces.discord.bot import PanelistBot
from bot.surfaces.discord.feedback import AnswerContext, FeedbackStore
from tests.discord.helpers import (
    ANSWER,
    KAI_FU,
    QUESTION,
    bot_settings,
    final_answer,
    panelist_bot,
)
from tests.fakes.discord_models import BOB_ID
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI


def votes(settings: Settings) -> list[dict]:
    assert settings.discord.feedback_file is not None
    return [json.loads(line) for line in settings.discord.feedback_file.read_text().splitlines()]


async def test_click_records_the_vote_with_its_answer(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """👎 stores the question, the answer, its citations and a pseudonymous user."""
    openai_server.enqueue(ANSWER)
    msg = await final_answer(await fake_discord.send_command("ask", {"question": QUESTION}))
    click = await fake_discord.click(msg, "panelist:vote:down", user="bob")
    await click.wait_for_response()
    [vote] = votes(llm_bot.settings)
    assert vote["vote"] == "down" and vote["question"] == QUESTION
    assert KAI_FU in vote["answer"] and vote["citations"][0]["speaker"] == "Kai-Fu Lee"
    assert vote["user"] != str(BOB_ID) and len(vote["user"]) == 16


async def test_click_is_acknowledged_privately(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """The voter gets an ephemeral thanks; the channel sees nothing new."""
    openai_server.enqueue(ANSWER)
    msg = await final_answer(await fake_discord.send_command("ask", {"question": QUESTION}))
    click = await fake_discord.click(msg, "panelist:vote:up", user="alice")
    await click.wait_for_response()
    data = (click.callback_body or {})["data"]
    assert data["content"].startswith("Thanks") and data["flags"] & 64


async def test_buttons_work_after_a_restart(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """A vote on an answer posted before a restart is still recorded, question included."""
    settings = bot_settings(seeded_data_dir, tmp_path)
    async with panelist_bot(fake_discord, settings):
        msg = await final_answer(await fake_discord.send_command("ask", {"question": QUESTION}))
    async with panelist_bot(fake_discord, settings):
        click = await fake_discord.click(msg, "panelist:vote:up", user="bob")
        await click.wait_for_response()
    [vote] = votes(settings)
    assert vote["vote"] == "up" and vote["question"] == QUESTION


async def test_feedback_command_summarises_votes(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, llm_bot: PanelistBot
) -> None:
    """`panelist feedback --json` counts the clicks and lists the recent 👎 question."""
    openai_server.default = ANSWER
    for user, vote in (("alice", "up"), ("bob", "down")):
        msg = await final_answer(await fake_discord.send_command("ask", {"question": QUESTION}))
        click = await fake_discord.click(msg, f"panelist:vote:{vote}", user=user)
        await click.wait_for_response()
    path = llm_bot.settings.discord.feedback_file
    result = CliRunner().invoke(
        app, ["feedback", "--json"], env={"PANELIST_FEEDBACK_FILE": str(path)}
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["votes"], summary["up"], summary["down"], summary["ratio"]) == (2, 1, 1, 0.5)
    assert summary["recent_down"][0]["question"] == QUESTION


def test_summary_counts_a_changed_vote_once(tmp_path: Path) -> None:
    """A user who switches 👍 to 👎 on one answer counts as one 👎."""
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    context = AnswerContext("q", "a")
    store.record("up", 1, 10, context)
    store.record("down", 1, 10, context)
    store.record("up", 2, 10, context)
    summary = store.summary()
    assert (summary.votes, summary.up, summary.down) == (2, 1, 1)


def test_summary_skips_a_damaged_line(tmp_path: Path) -> None:
    """A half-written line (a crash mid-append) does not break the summary."""
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    store.record("down", 1, 10, AnswerContext("q", "a"))
    with store.path.open("a") as f:
        f.write('{"vote": "up", "us')
    assert store.summary().votes == 1
