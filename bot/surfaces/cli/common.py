"""What every command shares: the common options, settings, one-line errors, JSON out.

Heavy imports (torch, chromadb, openai) happen inside commands so ``--help`` stays instant.
Every failure a user can fix prints one line to stderr and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.guard.terminal import for_markup
from bot.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Store and indexes (default: PANELIST_DATA_DIR or ./data)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def fail(message: str, code: int = 1) -> None:
    from bot.surfaces.console import err

    err.print(f"[bold red]error:[/] {for_markup(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Known errors → one line and exit 1; anything else → a generic line, details at DEBUG."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except SettingsError as exc:
        fail(str(exc))
    except Exception as exc:
        from bot.errors import PanelistError, user_message

        if not isinstance(exc, PanelistError):
            logging.getLogger("panelist").debug("unexpected error", exc_info=True)
        fail(user_message(exc))


def settings_for(data_dir: Path | None) -> Settings:
    """The settings, or one line naming the bad variable and exit 1 (before anything runs)."""
    try:
        settings = load_settings(data_dir=data_dir)
    except SettingsError as exc:
        fail(str(exc))
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings


def batch_lines(question: str | None, batch: Path | None) -> list[str] | None:
    """The non-blank lines of ``--batch FILE``, or None for a single question; exactly one of
    the two must be given (exit 2 otherwise), and an unreadable file is exit 1."""
    if (question is None) == (batch is None):
        fail("give a question or --batch FILE (not both)", 2)
    if batch is None:
        return None
    try:
        text = batch.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {batch}: {type(exc).__name__}")
    return [line for line in text.splitlines() if line.strip()]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def with_store(data_dir: Path | None, fn: Callable[..., T], **kw: Any) -> T:
    from bot.index.store import Store

    with friendly_errors():
        store = Store(settings_for(data_dir), **kw)
        try:
            return fn(store)
        finally:
            store.close()


def with_engine(data_dir: Path | None, fn: Callable[[Any], Any]) -> Any:
    """Build the engine once, run an async function with it, always close it."""
    import asyncio

    from bot.answer.engine import Engine

    async def run() -> Any:
        engine = Engine(settings_for(data_dir))
        try:
            return await fn(engine)
        finally:
            await engine.aclose()

    with friendly_errors():
        return asyncio.run(run())


QaFile = Annotated[Path, typer.Option("--qa", help="QA file (JSONL).")]
