"""Fixtures for the Discord tests: the bot on the seeded store, with and without a model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import bot_settings, panelist_bot
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def llm_bot(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> AsyncIterator[PanelistBot]:
    """The bot with the scripted model (LLM mode), message-content intent on."""
    settings = bot_settings(seeded_data_dir, tmp_path, openai_server, discord_message_content=True)
    async with panelist_bot(fake_discord, settings) as bot:
        yield bot


@pytest.fixture
async def offline_bot(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> AsyncIterator[PanelistBot]:
    """The bot without a model (extractive mode)."""
    async with panelist_bot(fake_discord, bot_settings(seeded_data_dir, tmp_path)) as bot:
        yield bot
