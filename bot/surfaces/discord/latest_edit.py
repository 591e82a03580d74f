"""One message kept showing the latest of a changing line, without flooding Discord.

A queue position or an upload's progress changes in bursts (every waiter moves when an answer
finishes; reading and embedding stages arrive together) and then not at all for a while. Each
interaction token has its own small rate-limit bucket, so a backlog of stale edits would delay
what comes after them (the answer, the upload's outcome), and a plain throttle would drop the
stage that matters. Here only the latest text is shown, one edit at a time, at most one every
``interval_s``, and an edit in flight is never cut: ``close`` lets it land first, so it cannot
cover what the caller shows next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

log = logging.getLogger(__name__)


class LatestEdit:
    def __init__(
        self, show: Callable[[str], Awaitable[None]], interval_s: float, what: str
    ) -> None:
        """``what``: how a failed edit is named in the log ("the queue notice")."""
        self._show = show
        self.interval_s = interval_s
        self._what = what
        self._shown: str | None = None
        self._pending: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._edit: asyncio.Future[None] | None = None

    def update(self, text: str) -> None:
        self._pending = text
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"panelist-{self._what}")

    async def _run(self) -> None:
        while self._pending is not None and self._pending != self._shown:
            text, self._pending = self._pending, None
            self._edit = asyncio.ensure_future(self._show(text))
            try:
                await asyncio.shield(self._edit)  # stopping the loop must not cut an edit
                self._shown = text
            except discord.HTTPException as exc:
                log.debug("%s failed: HTTP %s", self._what, exc.status)
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        """Drop what is pending; let an edit in flight land first."""
        self._pending = None
        if self._task is not None:
            self._task.cancel()
        if self._edit is not None and not self._edit.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._edit

    def cancel(self) -> None:
        """Drop what is pending without waiting (the caller is being cancelled)."""
        self._pending = None
        if self._task is not None:
            self._task.cancel()
