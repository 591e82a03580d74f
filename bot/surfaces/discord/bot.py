"""The Discord bot: one ``commands.Bot`` subclass, wired up in ``setup_hook``, run until a signal.

Choices that matter for safety and scale are made once, here: ``AllowedMentions.none()`` for
everything the bot sends, only the intents it uses (guilds, guild and DM messages; message
content only when the operator has enabled that privileged intent), no member chunking at
start-up, ``AutoShardedBot`` when ``PANELIST_DISCORD_SHARDED`` is on, and command registration
as an explicit ``panelist discord sync`` rather than on every start (Discord rate-limits it, and
a restart should not change what users see).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Callable

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.answer.engine import Engine
from bot.settings import DiscordSettings, Settings
from bot.surfaces.discord.admin import AdminCommands
from bot.surfaces.discord.answering import Answering
from bot.surfaces.discord.commands import PanelCommands, ask_about_menu, on_tree_error
from bot.surfaces.discord.conversations import MessageQuestions
from bot.surfaces.discord.feedback import VoteButton

log = logging.getLogger(__name__)


def intents_for(settings: Settings) -> discord.Intents:
    """Channels and threads (guilds), messages in servers and DMs; nothing the bot ignores."""
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.dm_messages = True
    intents.message_content = settings.discord.discord_message_content
    return intents


class PanelistBot(commands.Bot):
    """The bot; ``engine`` is None only for ``panelist discord sync``, which answers nothing."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # The bot never joins voice: discord.py's warnings about missing voice libraries are noise.
        for flag in ("warn_nacl", "warn_dave"):
            if getattr(discord.VoiceClient, flag, False):
                setattr(discord.VoiceClient, flag, False)
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: questions are not prefix commands
            intents=intents_for(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            help_command=None,
            # Installable on a server and by a user; usable in servers, the bot's DMs and (for a
            # user install) group DMs. /panelist narrows itself to servers.
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
        )
        self.settings = settings
        self.engine = engine
        self.answering = Answering.build(settings, engine, clock or time.monotonic)
        self.tree.on_error = on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        self.add_dynamic_items(VoteButton)
        await self.add_cog(PanelCommands(self.answering))
        await self.add_cog(MessageQuestions(self, self.answering))
        self.tree.add_command(ask_about_menu(self.answering))
        self.tree.add_command(AdminCommands(self.answering))
        if self.engine is None:
            return
        # Load what the first question would otherwise wait for: speakers, sources, the lexical
        # index and the embedding model, all off the event loop.
        listings = self.answering.listings
        await listings.refresh()
        await self.engine.awarm()
        if not listings.sources:
            log.warning("nothing is indexed yet: run `panelist ingest` before asking questions")
        # What is loaded by now (modules, indexes, speakers) lives as long as the process. Left
        # in the collector's view, every full collection walks it all: a pause of ~150 ms that
        # stops the event loop (and every thread) at random. Frozen, only newer objects are walked.
        gc.freeze()
        log.info(
            "ready to answer: mode=%s sources=%d personas=%d message_content=%s",
            self.engine.mode,
            len(listings.sources),
            len(listings.personas),
            self.intents.message_content,
        )

    async def on_ready(self) -> None:
        who = f"{self.user} (id {self.user.id})" if self.user else "?"
        log.info("connected as %s to %d guild(s)", who, len(self.guilds))

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages are questions, handled by ``MessageQuestions``."""

    async def close(self) -> None:
        """Refuse new questions, finish or tell every waiting asker, then close the gateway."""
        if not self.is_closed():
            await self.answering.shutdown(self.settings.discord.discord_shutdown_grace_s)
        await super().close()
        await self.answering.aclose()


class ShardedPanelistBot(PanelistBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (Discord requires them past 2500 guilds)."""


def create_bot(settings: Settings, engine: Engine | None) -> PanelistBot:
    cls = ShardedPanelistBot if settings.discord.discord_sharded else PanelistBot
    return cls(settings, engine)


def point_discord_at(settings: Settings) -> None:
    """Aim discord.py at another Discord-compatible server when the settings say so.

    discord.py has no constructor option for this: REST URLs come from the class attribute
    ``Route.BASE`` and a plain client connects straight to ``DiscordWebSocket.DEFAULT_GATEWAY``.
    Both are left alone at their defaults, so nothing else that set them is undone.
    """
    default_base = DiscordSettings.model_fields["discord_api_base"].default
    base = settings.discord.discord_api_base.rstrip("/")
    if base != default_base.rstrip("/"):
        Route.BASE = base
    if settings.discord.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.discord_gateway_url)


def token_of(settings: Settings) -> str:
    token = settings.discord.discord_token
    return token.get_secret_value().strip() if token else ""


async def run_bot(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then finish answers in progress and close bot and engine."""
    point_discord_at(settings)
    engine = Engine(settings)
    bot = create_bot(settings, engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token_of(settings)), name="panelist-bot")
            stopper = asyncio.create_task(stop.wait(), name="panelist-stop")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                stopper.cancel()
                runner.result()  # LoginFailure, PrivilegedIntentsRequired, ...
                return
            log.info("shutting down")
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
                await runner
    finally:
        await bot.close()  # no-op when already closed; closes the engine thread after a failure
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)


async def sync_commands(
    settings: Settings, guild_id: int | None, *, clear: bool = False
) -> list[str]:
    """Register the slash commands (in one guild: instantly; globally: for every server).

    ``clear`` registers none instead, removing what an earlier sync put there (e.g. the guild
    copies used for testing, which would otherwise show next to the global commands).
    """
    point_discord_at(settings)
    bot = create_bot(settings, engine=None)
    async with bot:
        await bot.login(token_of(settings))
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if clear:
            bot.tree.clear_commands(guild=None)
        elif guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return [f"/{c.name}" if c.type is discord.AppCommandType.chat_input else c.name for c in synced]
