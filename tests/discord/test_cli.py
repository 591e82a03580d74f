"""`panelist discord` and `panelist discord sync` as real processes against the fake Discord.

The fake runs in the test's event loop, so the child is started with
``asyncio.create_subprocess_exec`` and awaited, never waited on synchronously.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot.surfaces.discord.bot import create_bot
from tests.discord.helpers import QUESTION, SEEDS, bot_settings
from tests.fakes.discord_models import GUILD_ID
from tests.fakes.discord_server import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "OPENAI_"))}
    env.update(PANELIST_ENV_FILE="", HF_HUB_OFFLINE="1", **extra)
    return env


def fake_env(fake: FakeDiscord, **extra: str) -> dict[str, str]:
    """The child talks to the fake: its URLs, its token (unless ``extra`` says otherwise)."""
    settings = {
        "DISCORD_TOKEN": fake.config.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    return child_env(**{**settings, **extra})


async def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def test_discord_without_token_explains_how_to_get_one() -> None:
    """No DISCORD_TOKEN: exit 1 with one line that says where the token comes from."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "discord"],
        cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Reset Token" in proc.stderr and "DISCORD_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_sync_registers_commands_in_a_guild(fake_discord: FakeDiscord) -> None:
    """`panelist discord sync --guild ID` logs in, registers the five commands and exits 0."""
    code, out, err = await run_cli(
        "discord", "sync", "--guild", str(GUILD_ID), env=fake_env(fake_discord)
    )
    assert code == 0, err
    names = {c["name"] for c in fake_discord.commands(GUILD_ID)}
    assert names == {
        "ask",
        "quote",
        "sources",
        "personas",
        "help",
        "panelist",
        "Ask panelist about this",
    }
    assert "registered 7 commands in guild" in out


async def test_sync_clear_removes_guild_commands(
    fake_discord: FakeDiscord, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """`sync --guild ID --clear` removes the guild copies a test sync left behind."""
    bot = create_bot(bot_settings(seeded_data_dir, tmp_path), engine=None)
    async with bot:
        await bot.login(fake_discord.config.token)
        bot.tree.copy_global_to(guild=discord.Object(id=GUILD_ID))
        await bot.tree.sync(guild=discord.Object(id=GUILD_ID))
    assert fake_discord.commands(GUILD_ID)
    env = fake_env(fake_discord)
    code, out, err = await run_cli("discord", "sync", "--guild", str(GUILD_ID), "--clear", env=env)
    assert code == 0, err
    assert fake_discord.commands(GUILD_ID) == [] and "removed the commands in guild" in out


async def test_sync_with_a_bad_token_fails_in_one_line(fake_discord: FakeDiscord) -> None:
    """A token Discord rejects: exit 1, how to get a new one, and the token is not echoed."""
    env = fake_env(fake_discord, DISCORD_TOKEN="not-the-token")
    code, _, err = await run_cli("discord", "sync", env=env)
    assert code == 1 and "Reset Token" in err
    assert "not-the-token" not in err and "Traceback" not in err


async def test_discord_answers_then_stops_on_sigterm(
    fake_discord: FakeDiscord, seeded_data_dir: Path
) -> None:
    """The real `panelist discord` process answers a DM, then exits 0 on SIGTERM."""
    env = fake_env(
        fake_discord, PANELIST_DATA_DIR=str(seeded_data_dir), PANELIST_SEEDS_DIR=str(SEEDS)
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "discord",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake_discord.wait_until_identified(timeout=60)
        await asyncio.sleep(0.2)  # READY and GUILD_CREATE reach the client
        await fake_discord.send_dm("alice", QUESTION)
        answer = await fake_discord.wait_for_message(
            fake_discord.dm_channel_for("alice").id, timeout=30
        )
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "Kai-Fu Lee" in answer.content
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode() and "shutting down" in err.decode()
