"""Load: fifty people run /ask at once while the model takes 2 s to start each answer.

Every interaction must be deferred inside Discord's 3 seconds, every answer must arrive, and the
event loop (which also runs the fake Discord here) must never stall for 100 ms: retrieval and
embedding run in threads, and the model calls wait in the queue rather than block anything.

``pytest tests/discord/test_load.py -s`` prints the figures recorded in
docs/benchmarks.md; ``PANELIST_LOAD_SLOTS`` changes max_concurrent_llm (default 25).
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.discord.helpers import (
    ANSWER,
    KAI_FU,
    QUESTION,
    bot_settings,
    final_answer,
    panelist_bot,
)
from tests.fakes.discord_fixtures import point_discord_py_at
from tests.fakes.discord_models import ALICE_ID, FakeDiscordConfig, FakeUser, default_guild
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Text

USERS = 50
MODEL_DELAY_S = 2.0
SLOTS = int(os.environ.get("PANELIST_LOAD_SLOTS", "25"))
pytestmark = pytest.mark.slow
T = TypeVar("T")


class LoopLag:
    """How late a 10 ms ticker wakes up: the longest time the event loop was busy elsewhere."""

    def __init__(self, tick_s: float = 0.01) -> None:
        self.tick_s = tick_s
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick_s)
            self.worst = max(self.worst, time.perf_counter() - before - self.tick_s)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def crowd() -> tuple[FakeDiscordConfig, list[FakeUser]]:
    """The default guild plus fifty members, so no one trips the per-user cooldown."""
    guild = default_guild()
    users = [FakeUser(ALICE_ID + 1000 + i, f"member{i}") for i in range(USERS)]
    guild.members.extend(users)
    return FakeDiscordConfig(guilds=[guild]), users


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class FakeInItsOwnThread:
    """The fake Discord on its own loop and thread, like the real one on its own servers.

    Run in the test's loop, the fake's request handling would be counted as the bot's
    event-loop lag; here only the bot (and its engine thread) run on the measured loop.
    """

    def __init__(self, config: FakeDiscordConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.config = config
        self.fake: FakeDiscord | None = None

    async def __aenter__(self) -> FakeDiscord:
        self.thread.start()
        self.fake = FakeDiscord(self.config)
        await self.run(self.fake.start())
        return self.fake

    async def __aexit__(self, *exc: object) -> None:
        assert self.fake is not None
        await self.run(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self.thread.join, 5)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


async def test_fifty_concurrent_asks(
    openai_server: FakeOpenAI, seeded_data_dir: Path, tmp_path: Path
) -> None:
    """50 concurrent /ask: all deferred < 3 s, the overflow queued, all answered, no loop stall."""
    openai_server.default = Text(ANSWER, initial_delay_s=MODEL_DELAY_S)
    config, users = crowd()
    settings = bot_settings(
        seeded_data_dir, tmp_path, openai_server, max_concurrent_llm=SLOTS, cooldown_s=10
    )
    remote = FakeInItsOwnThread(config)
    async with remote as fake:
        with point_discord_py_at(fake.api_base, fake.gateway_url):
            async with panelist_bot(fake, settings):
                with LoopLag() as lag:
                    started = time.perf_counter()
                    interactions = await asyncio.gather(
                        *(
                            remote.run(fake.send_command("ask", {"question": QUESTION}, user=u))
                            for u in users
                        )
                    )
                    answers = await asyncio.gather(
                        *(remote.run(final_answer(i, timeout=90)) for i in interactions)
                    )
                    total = time.perf_counter() - started

    deferrals = [i.response_delay for i in interactions if i.response_delay is not None]
    queued = sum(
        any("Busy right now" in str((a.json or {}).get("content")) for a in i.actions)
        for i in interactions
    )
    print(
        f"\nload: {USERS} concurrent /ask, model {MODEL_DELAY_S:g} s, max_concurrent_llm={SLOTS}, "
        f"{os.cpu_count()} cores: deferral p50 {statistics.median(deferrals) * 1000:.0f} ms, "
        f"p95 {percentile(deferrals, 0.95) * 1000:.0f} ms, max {max(deferrals) * 1000:.0f} ms; "
        f"all answered in {total:.1f} s; max event-loop lag {lag.worst * 1000:.0f} ms; "
        f"{queued} shown the queue notice"
    )
    assert len(deferrals) == USERS and max(deferrals) < 3.0
    assert all(KAI_FU in a.content and "[1] WEF Davos panel" in a.content for a in answers)
    assert len(openai_server.chat_requests) == USERS
    assert queued == max(0, USERS - SLOTS)
    assert total < 2 * MODEL_DELAY_S * math.ceil(USERS / SLOTS) + 5
    # The target is 100 ms (16-61 ms on a quiet 2-core machine, docs/benchmarks.md). The
    # bound here leaves room for a shared CI box whose other jobs, and these tests' own fakes,
    # compete for the same cores (206 ms seen at load average 9 with nothing wrong), yet still
    # fails a real stall: answering on Discord's loop measured 443 ms, an unfrozen garbage
    # collector 650 ms.
    assert lag.worst < 0.3
