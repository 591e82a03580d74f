"""Helpers for the Discord tests: the real bot, engine and discord.py client against the fake
Discord and the scripted model. Fixtures built from them are in ``conftest.py``.

``panelist_bot`` starts ``PanelistBot`` on the seeded store, syncs its commands to the fake and
closes it (and its engine) after the test. Scripted replies quote the WEF panel transcript word
for word, so they pass the engine's quote verification like a real model's would.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.answer.engine import Engine
from bot.settings import Settings, load_settings
from bot.surfaces.discord.bot import PanelistBot
from tests.fakes.discord_fixtures import running_bot
from tests.fakes.discord_models import FakeInteraction, FakeMessage
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

QUESTION = "Will the rate of change in AI slow down?"
KAI_FU = "I think it will slow down a little bit, but I think it will still be at incredible rates."
ANSWER = f'Kai-Fu Lee expects progress to continue: "{KAI_FU}" [1]'


def bot_settings(
    data_dir: Path, tmp_path: Path, model: FakeOpenAI | None = None, **overrides: Any
) -> Settings:
    """Settings for one test: no cooldown unless asked, votes in the test's own folder."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "seeds_dir": SEEDS,
        "cooldown_s": 0.0,
        "feedback_file": tmp_path / "feedback.jsonl",
        "discord_state_file": tmp_path / "discord_state.sqlite3",
        "llm_max_retries": 0,
        "llm_timeout_s": 10.0,
    }
    if model is not None:
        values.update(openai_base_url=model.base_url, openai_api_key="test-key", model="fake-model")
    values.update(overrides)
    return load_settings(**values)


@contextlib.asynccontextmanager
async def panelist_bot(
    fake: FakeDiscord, settings: Settings, *, fake_clock: bool = False
) -> AsyncIterator[PanelistBot]:
    """The bot on ``settings``; ``fake_clock`` makes it read the fake's clock, so a test can move
    time past Discord's deadlines (the 15-minute interaction token) without waiting."""
    bot = PanelistBot(settings, Engine(settings), clock=fake.now if fake_clock else None)
    async with running_bot(bot, fake, timeout=20.0):
        await bot.tree.sync()
        yield bot


async def final_answer(inter: FakeInteraction, timeout: float = 15.0) -> FakeMessage:
    """The deferred reply once it carries the answer (the vote buttons come with the answer)."""
    await inter.fake.wait_for(
        lambda a: a.interaction is inter and _has_votes(inter),
        timeout=timeout,
        what=f"the final answer to interaction {inter.id}",
    )
    msg = inter.original_message()
    assert msg is not None
    return msg


def _has_votes(inter: FakeInteraction) -> bool:
    msgs = [inter.original_message(), *inter.followups]
    return any(m is not None and "panelist:vote:up" in m.custom_ids() for m in msgs)


def answer_messages(inter: FakeInteraction) -> list[FakeMessage]:
    """The answer as the channel shows it: the original reply, then its follow-ups."""
    original = inter.original_message()
    assert original is not None
    return [original, *[m for m in inter.followups if m.id != original.id]]
