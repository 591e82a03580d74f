"""``panelist discord`` (run the bot), ``panelist discord sync`` and ``panelist feedback``.

discord.py and the engine are imported inside the commands so ``panelist --help`` stays instant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import Settings
from bot.surfaces.cli.common import DataDir, emit_json, fail, friendly_errors, settings_for

NO_TOKEN = (
    "no Discord bot token: open https://discord.com/developers/applications, pick (or create) "
    "the application, then Bot → Reset Token, and put DISCORD_TOKEN=<token> in .env "
    "(or export it)"
)
BAD_TOKEN = (
    "Discord rejected DISCORD_TOKEN; get a new one in the developer portal (Bot → Reset Token) "
    "and put it in .env"
)
NO_INTENT = (
    "PANELIST_DISCORD_MESSAGE_CONTENT is on but the bot may not use the Message Content intent: "
    "enable it in the developer portal (Bot → Privileged Gateway Intents → Message Content "
    "Intent), or unset PANELIST_DISCORD_MESSAGE_CONTENT"
)

discord_app = typer.Typer(
    help="Run the Discord bot (`panelist discord`), or register its slash commands (`sync`).",
)


@discord_app.callback(invoke_without_command=True)
def discord_main(ctx: typer.Context, data_dir: DataDir = None) -> None:
    """Run the bot until Ctrl-C or SIGTERM. Needs DISCORD_TOKEN (environment or .env)."""
    if ctx.invoked_subcommand is not None:
        return
    import asyncio

    from bot.surfaces.discord.bot import run_bot, token_of

    settings = _settings(data_dir)
    if not token_of(settings):
        fail(NO_TOKEN)
    with friendly_errors(), _discord_errors():
        asyncio.run(run_bot(settings))


@discord_app.command("sync")
def sync(
    guild: Annotated[
        int | None,
        typer.Option(help="Register in this server only (instant; for testing)."),
    ] = None,
    clear: Annotated[
        bool, typer.Option(help="Remove the commands instead (from the guild, or globally).")
    ] = False,
) -> None:
    """Register the slash commands with Discord (logs in, syncs, exits). Run after upgrades."""
    import asyncio

    from bot.surfaces.discord.bot import sync_commands, token_of

    settings = _settings(None)
    if not token_of(settings):
        fail(NO_TOKEN)
    with friendly_errors(), _discord_errors():
        names = asyncio.run(sync_commands(settings, guild, clear=clear))
    where = f"in guild {guild}" if guild is not None else "globally"
    from bot.surfaces.console import out

    if clear:
        out.print(f"removed the commands {where}")
    else:
        out.print(f"registered {len(names)} commands {where}: {', '.join(names)}")


def feedback(
    data_dir: DataDir = None,
    recent: Annotated[int, typer.Option(min=0, help="How many recent 👎 questions to list.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Summarise the 👍/👎 votes given under Discord answers."""
    from bot.surfaces.discord.feedback import FeedbackStore, feedback_path

    with friendly_errors():
        settings = settings_for(data_dir)
        store = FeedbackStore(feedback_path(settings))
        summary = store.summary(recent=recent)
    if as_json:
        emit_json({"file": str(store.path), **summary.as_json()})
        return
    from rich.markup import escape

    from bot.surfaces.console import out

    if not summary.votes:
        out.print(f"[dim]no votes yet ({escape(str(store.path))})[/]")
        return
    out.print(
        f"{summary.votes} votes: [green]{summary.up} 👍[/]  [red]{summary.down} 👎[/]  "
        f"({summary.ratio:.0%} positive)",
        highlight=False,
    )
    if summary.recent_down:
        out.print("recent 👎 questions:")
        for v in summary.recent_down:
            question = v.get("question") or "(question not recorded)"
            out.print(f"  [dim]{v.get('ts')}[/]  {escape(question)}", highlight=False)


def _settings(data_dir: Path | None) -> Settings:
    """Settings with INFO logging unless PANELIST_LOG_LEVEL says otherwise: a bot is a service."""
    with friendly_errors():
        settings = settings_for(data_dir)
    if "log_level" not in settings.model_fields_set:
        logging.getLogger().setLevel(logging.INFO)
    return settings


@contextmanager
def _discord_errors() -> Iterator[None]:
    """Discord's own failures as the one line an operator can act on."""
    import aiohttp
    import discord

    try:
        yield
    except discord.LoginFailure:
        fail(BAD_TOKEN)
    except discord.PrivilegedIntentsRequired:
        fail(NO_INTENT)
    except (aiohttp.ClientConnectionError, OSError) as exc:
        fail(f"cannot reach Discord ({type(exc).__name__}); check the network")
    except discord.HTTPException as exc:
        fail(f"Discord refused a request (HTTP {exc.status} {exc.code})")
