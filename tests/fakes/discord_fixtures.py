"""pytest fixtures and helpers that run a real discord.py client against ``FakeDiscord``.

Add to ``tests/conftest.py``::

    from tests.fakes.discord_fixtures import fake_discord  # noqa: F401

discord.py has no constructor option for its endpoints: REST URLs are built from the class
attribute ``discord.http.Route.BASE`` (webhook/interaction calls in ``webhook/async_.py`` use the
same ``Route``), and a plain ``Client`` never asks ``GET /gateway/bot`` -- it connects straight to
``DiscordWebSocket.DEFAULT_GATEWAY`` (only ``AutoShardedClient`` asks). Both are process-wide, so
``point_discord_py_at`` patches them for one test and restores them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakes.discord_models import FakeDiscordConfig
from tests.fakes.discord_server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def point_discord_py_at(api_base: str, gateway_url: str | None = None) -> Iterator[None]:
    """Aim discord.py's REST base (and gateway, if given) at another server, then restore."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_base.rstrip("/")
    if gateway_url is not None:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def fake_discord_server(
    config: FakeDiscordConfig | None = None,
) -> AsyncIterator[FakeDiscord]:
    """Start a fake on a free loopback port with discord.py pointed at it."""
    async with FakeDiscord(config) as fake:
        with point_discord_py_at(fake.api_base, fake.gateway_url):
            yield fake


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake with the default config (one guild, #general and #panel, alice and bob)."""
    async with fake_discord_server() as fake:
        yield fake


@contextlib.asynccontextmanager
async def running_bot(
    client: ClientT,
    fake: FakeDiscord,
    *,
    timeout: float = 10.0,
    fast_ready: bool = True,
) -> AsyncIterator[ClientT]:
    """Run ``client.start`` in a task until the client is READY; close it and reap the task after.

    ``fast_ready`` shortens discord.py's ``guild_ready_timeout`` (default 2 s: how long it waits
    for more GUILD_CREATEs before firing on_ready). The fake sends every guild at once, so the
    wait only slows tests down; it is a private attribute, hence the switch.
    """
    if fast_ready:
        client._connection.guild_ready_timeout = min(client._connection.guild_ready_timeout, 0.05)
    task = asyncio.create_task(client.start(fake.config.token), name="fake-discord-client")
    try:
        async with asyncio.timeout(timeout):
            while not client.is_ready():
                if task.done():
                    task.result()  # re-raise LoginFailure, PrivilegedIntentsRequired, ...
                    raise RuntimeError("client.start() returned before the client was ready")
                await asyncio.sleep(0.01)
        yield client
    finally:
        await client.close()
        try:
            await asyncio.wait_for(task, timeout)
        except (discord.DiscordException, asyncio.CancelledError, TimeoutError):
            # Already surfaced above, or a close-time disconnect we do not care about.
            if not task.done():
                task.cancel()
