"""What there is to ask about (speakers, discussions), cached for autocomplete and listings.

Autocomplete must answer within Discord's 3 seconds and is called on every keystroke, while
``Engine.personas()`` walks every chunk and the catalog is SQLite: both run in a thread, once at
start-up and then again in the background when the copy is older than ``ttl_s``, so a command
never waits on them and a new ``panelist ingest`` shows up without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Iterable

from discord import app_commands

from bot.answer.engine import Engine, PersonaInfo
from bot.guard.unicode import strip_escapes, strip_invisible
from bot.index.catalog import SourceRecord

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's limit for autocomplete
_NAME_CHARS = 100  # Discord's limit for a choice's name and value


class Listings:
    def __init__(self, engine: Engine, ttl_s: float = 300.0) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self.personas: list[PersonaInfo] = []
        self.sources: list[SourceRecord] = []
        self._loaded_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        self.personas, self.sources = await asyncio.to_thread(self._load)
        self._loaded_at = time.monotonic()

    def _load(self) -> tuple[list[PersonaInfo], list[SourceRecord]]:
        return self.engine.personas(), self.engine.store.catalog.sources()

    def refresh_if_stale(self) -> None:
        """Start a background reload when the copy is old; the caller keeps using the old one."""
        fresh = self._loaded_at is not None and time.monotonic() - self._loaded_at < self.ttl_s
        if fresh or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.create_task(self._refresh_logged(), name="panelist-listings")

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:
            log.warning("reloading speakers and sources failed: %s", type(exc).__name__)

    def labels(self) -> dict[str, str]:
        """File name → the label a listing shows (e.g. "S01E03")."""
        return {r.source: r.label or r.title for r in self.sources}

    # --- one server's view -------------------------------------------------------------------
    def visible(self, scope: Collection[str] | None) -> list[SourceRecord]:
        """The sources a server can see (``scope``: their file names; None: all)."""
        return [r for r in self.sources if scope is None or r.source in scope]

    def visible_personas(self, scope: Collection[str] | None) -> list[PersonaInfo]:
        """Speakers heard in at least one visible source (``PersonaInfo.sources`` are titles)."""
        if scope is None:
            return self.personas
        titles = {r.title for r in self.visible(scope)}
        return [p for p in self.personas if titles.intersection(p.sources)]

    # --- autocomplete ---------------------------------------------------------------------
    def persona_choices(
        self, typed: str, scope: Collection[str] | None = None
    ) -> list[app_commands.Choice[str]]:
        self.refresh_if_stale()
        return _matching(
            typed,
            (
                (f"{p.name} — {', '.join(p.sources)}", p.name, p.name)
                for p in self.visible_personas(scope)
            ),
        )

    def source_choices(
        self, typed: str, scope: Collection[str] | None = None
    ) -> list[app_commands.Choice[str]]:
        self.refresh_if_stale()
        return _matching(
            typed,
            (
                (
                    f"{r.label}{f' ({r.date})' if r.date else ''} — {r.title}",
                    r.source,
                    f"{r.label} {r.title} {r.source} {' '.join(r.participants)}",
                )
                for r in self.visible(scope)
            ),
        )


def _matching(
    typed: str, options: Iterable[tuple[str, str, str]]
) -> list[app_commands.Choice[str]]:
    """Choices whose searchable text contains every word typed; names that start with it first."""
    words = typed.casefold().split()
    starts, contains = [], []
    for name, value, haystack in options:
        hay = f"{name} {haystack}".casefold()
        if not all(w in hay for w in words):
            continue
        choice = app_commands.Choice(name=_clip(name), value=value[:_NAME_CHARS])
        (starts if name.casefold().startswith(typed.casefold().strip()) else contains).append(
            choice
        )
    return (starts + contains)[:MAX_CHOICES]


def _clip(text: str) -> str:
    """Speaker names and titles are transcript data: no invisible or bidi characters in a label."""
    text = " ".join(strip_invisible(strip_escapes(text)).split())
    return text if len(text) <= _NAME_CHARS else text[: _NAME_CHARS - 1] + "…"
