"""``/panelist add-transcript``: an admin attaches a transcript; it is checked, indexed, searchable.

The flow, and why:

1. **Refuse at once what can be refused unseen** (a private reply within Discord's 3 seconds, no
   byte downloaded): a name that is not a transcript format or could not be stored, a declared
   size over ``PANELIST_MAX_FILE_MB``, an audio/video/image content type, another upload or a
   ``panelist ingest`` already writing the index.
2. **Defer privately, then download** from Discord's CDN only, the size limit enforced on the
   bytes as they arrive (the declared size is the client's claim) and the whole download timed
   (``download.py``).
3. **Index in a thread of its own** (``bot/index/uploads.py``: the writer lock, the same reading
   checks and ingest path as ``panelist ingest``, the previous index kept on any failure). The
   event loop only relays progress, so questions and ``/panelist status`` are answered meanwhile.
   The thread is a daemon: a shutdown mid-ingest is then a kill, which the catalog's one-
   transaction swap already survives (the file is simply not added).
4. **One message, edited**: downloading → reading → embedding k/N → "Added …: N passages,
   searchable now", or one line saying what failed. An interaction token lasts 15 minutes; an
   ingest that would outlast it hands over to a message in the channel that mentions the admin.

The new discussion is visible to the server that added it: if its admins chose which discussions
it sees (``/panelist settings source``), the new one joins that list. Like anything indexed with
``panelist ingest``, it is in the bot's one library, so every other server that has not chosen
its discussions sees it too; servers that have chosen theirs do not, until their admins add it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import discord
from discord.utils import escape_markdown

from bot.index.ingest import FileResult, Progress
from bot.index.lock import StoreLockedError, writer_active
from bot.index.store import Store
from bot.index.uploads import UploadRefused, add_upload, check_name, incoming_dir
from bot.surfaces.discord.answering import RESTARTING, Answering
from bot.surfaces.discord.download import DownloadError, TooBig, cdn_origins, download
from bot.surfaces.discord.errors import log_failure
from bot.surfaces.discord.latest_edit import LatestEdit
from bot.surfaces.discord.render import discord_safe
from bot.surfaces.discord.replies import HAND_OVER_MARGIN_S, NO_MENTIONS, InteractionReply

log = logging.getLogger(__name__)
T = TypeVar("T")

_MB = 1024 * 1024
# Content types Discord reports that are certainly not a text transcript.
_NOT_TEXT = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
ANOTHER_INGEST = (
    "Another ingest is writing the bot's index right now; try again when it has finished."
)
ON_MY_SIDE = (
    "Adding it failed on my side (the operator's log has the details); nothing already indexed "
    "changed."
)
HANDED_OVER = (
    "⏳ Still indexing. Discord only lets me update this message for 15 minutes, so I'll post "
    "the result in this channel and mention you."
)
CANNOT_HAND_OVER = (
    "⏳ Still indexing, and this message can't be updated after 15 minutes, nor can I post in "
    "this channel: check `/sources` in a few minutes."
)
EXPIRY_CHECK_S = 1.0


class TranscriptUploads:
    """One upload at a time per bot; each runs as described in the module docstring."""

    def __init__(self, answering: Answering) -> None:
        self.answering = answering
        self.running: str | None = None  # the file being added

    # --- checks before any download ----------------------------------------------------------
    def refusal(self, guild_id: int | None, attachment: discord.Attachment) -> str | None:
        """Why this attachment is refused before a byte is downloaded, or None."""
        a = self.answering
        if not a.accepting:
            return RESTARTING
        try:
            name = check_name(attachment.filename)
        except UploadRefused as exc:
            return _clean(str(exc))
        limit = self.max_bytes
        shown = _name(name)
        if attachment.size > limit:
            return (
                f"{shown} is {_mb(attachment.size)}; this bot takes transcripts up to {_mb(limit)}."
            )
        if attachment.size == 0:
            return f"{shown} is empty."
        ctype = (attachment.content_type or "").lower()
        if ctype.startswith(_NOT_TEXT):
            kind = escape_markdown(discord_safe(ctype.split(";")[0]))[:60]
            return f"{shown} is {kind}, not a text transcript."
        if self.running is not None:
            return f"{_name(self.running)} is being added right now; try again when it's done."
        if writer_active(a.settings.data_dir):
            return ANOTHER_INGEST
        if guild_id is None:
            return "Transcripts are added from a server."
        return None

    @property
    def max_bytes(self) -> int:
        return int(self.answering.settings.index.max_file_mb * _MB)

    # --- the upload --------------------------------------------------------------------------
    async def add(self, interaction: discord.Interaction, attachment: discord.Attachment) -> None:
        a = self.answering
        reply = InteractionReply(
            interaction, a.clock, handed_over=HANDED_OVER, cannot_hand_over=CANNOT_HAND_OVER
        )
        refused = self.refusal(interaction.guild_id, attachment)
        if refused:
            await interaction.response.send_message(
                refused, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        name = check_name(attachment.filename)
        self.running = name
        log.info(
            "upload %r (%d bytes declared) by guild=%s user=%s",
            name, attachment.size, interaction.guild_id, interaction.user.id,
        )  # fmt: skip
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self._add(interaction, reply, attachment, name)
        finally:
            self.running = None

    async def _add(
        self,
        interaction: discord.Interaction,
        reply: InteractionReply,
        attachment: discord.Attachment,
        name: str,
    ) -> None:
        a = self.answering
        progress = LatestEdit(
            _unless_handed_over(reply), a.settings.discord.stream_edit_interval_s, "upload-progress"
        )
        watcher = asyncio.create_task(_watch_expiry(reply, a.clock), name="panelist-upload-expiry")
        try:
            line = await self._outcome(interaction, attachment, name, progress)
        finally:
            watcher.cancel()
        await progress.close()  # an edit in flight lands first, so it cannot cover the outcome
        try:
            await reply.show(line)
        except discord.HTTPException as exc:
            log.warning("could not report an upload's outcome: HTTP %s (%s)", exc.status, line)

    async def _outcome(
        self,
        interaction: discord.Interaction,
        attachment: discord.Attachment,
        name: str,
        progress: LatestEdit,
    ) -> str:
        """Download, index, make visible; the line that says how it went."""
        a = self.answering
        assert interaction.guild_id is not None
        shown = _name(name)
        temp = incoming_dir(a.settings.data_dir) / f"{secrets.token_hex(8)}.part"
        try:
            progress.update(f"⏳ Downloading {shown} ({_mb(attachment.size)})…")
            try:
                size = await download(
                    attachment.url, temp, max_bytes=self.max_bytes, origins=cdn_origins(a.settings)
                )
            except TooBig:
                limit = _mb(self.max_bytes)
                return (
                    f"{shown} is over {limit} (Discord said {_mb(attachment.size)}); this bot "
                    f"takes transcripts up to {limit}."
                )
            except DownloadError as exc:
                log.warning("downloading upload %r failed: %s", name, exc)
                return f"Downloading {shown} failed: {exc}."
            progress.update(f"⏳ Reading {shown} ({_mb(size)})…")
            loop = asyncio.get_running_loop()
            relay = _Relay(lambda text: loop.call_soon_threadsafe(progress.update, text), shown)
            try:
                result = await in_daemon_thread(
                    self._ingest, str(interaction.guild_id), name, temp, relay
                )
            except UploadRefused as exc:
                return _clean(str(exc))
            except StoreLockedError:
                return ANOTHER_INGEST
            except Exception as exc:
                log_failure(log, f"adding upload {name!r}", exc)
                return ON_MY_SIDE
        finally:
            temp.unlink(missing_ok=True)
        if result.status == "failed":
            why = _clean(_without_path(result.message or "could not be read", result.path))
            log.info("upload %r not added: %s", name, why)
            return f"{shown} was not added: {why}"
        scoped = self._make_visible(interaction.guild_id, name)
        await self._refresh_listings()
        log.info(
            "upload %r %s by guild=%s user=%s: %d passages",
            name, result.status, interaction.guild_id, interaction.user.id, result.chunks,
        )  # fmt: skip
        return self._done_line(result, scoped)

    def _ingest(self, owner: str, name: str, temp: Path, relay: _Relay) -> FileResult:
        """In the upload's thread: a store of its own (its own SQLite connections), sharing the
        engine's embedder so the model is not loaded twice."""
        settings = self.answering.settings
        engine = self.answering.listings.engine
        store = Store(settings, embedder=engine.store.embedder)
        try:
            return add_upload(store, owner, name, temp, progress=relay)
        finally:
            store.close()

    def _make_visible(self, guild_id: int, name: str) -> bool:
        """Add the source to this server's chosen discussions, if it chose any; True if so."""
        servers = self.answering.servers
        current = servers.get(guild_id)
        if not current.sources:
            return False
        if name not in current.sources:
            servers.set(guild_id, dataclasses.replace(current, sources=(*current.sources, name)))
        return True

    async def _refresh_listings(self) -> None:
        try:
            await self.answering.listings.refresh()
        except Exception as exc:  # the source is indexed; autocomplete catches up later
            log.warning("reloading sources after an upload failed: %s", type(exc).__name__)

    def _done_line(self, result: FileResult, scoped: bool) -> str:
        sources = self.answering.listings.sources
        record = next((r for r in sources if r.source == result.source), None)
        title = escape_markdown(discord_safe(record.title if record else result.source))[:200]
        what = {"added": "Added", "updated": "Updated", "unchanged": "Already indexed:"}
        passages = f"{result.chunks} passage{'s' if result.chunks != 1 else ''}"
        line = f"✅ {what.get(result.status, 'Added')} **{title}** ({_name(result.source)}): "
        line += f"{passages}, searchable now."
        details = [f"read as {result.format}"] if result.format else []
        if result.speakers:
            n = len(result.speakers)
            details.append(f"{n} speaker{'s' if n != 1 else ''}")
        if scoped:
            details.append("added to the discussions this server sees")
        if details:
            line += "\n" + escape_markdown(discord_safe(" · ".join(details)))
        if result.warnings:  # e.g. "format uncertain: closest is srt …": what to fix in the file
            more = len(result.warnings) - 1
            warning = _clean(result.warnings[0])[:300] + (f" (and {more} more)" if more else "")
            line += f"\n⚠️ {warning}"
        return line


class _Relay(Progress):
    """Ingest progress from the upload's thread, as text for the message (thread-safe post)."""

    def __init__(self, post: Callable[[str], object], shown: str) -> None:
        self.post = post
        self.shown = shown
        self.n = 0
        self.done = 0

    def total(self, n: int) -> None:
        self.n, self.done = n, 0
        self.post(f"⏳ Embedding {n} passages of {self.shown}…")

    def advance(self, n: int) -> None:
        self.done = min(self.n, self.done + n)
        self.post(f"⏳ Embedding {self.shown}: {self.done} of {self.n} passages…")


async def in_daemon_thread(fn: Callable[..., T], /, *args: object) -> T:
    """``fn(*args)`` in a daemon thread: unlike ``asyncio.to_thread``, a shutdown does not wait
    for it (an ingest can take minutes; killing it mid-way is safe by design)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: object) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            future.set_exception(value)  # type: ignore[arg-type]

    def run() -> None:
        try:
            outcome: tuple[bool, object] = (True, fn(*args))
        except BaseException as exc:
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="panelist-upload", daemon=True).start()
    return await future


def _unless_handed_over(reply: InteractionReply) -> Callable[[str], Awaitable[None]]:
    """Progress edits only while the private message is live: never as channel messages."""

    async def show(text: str) -> None:
        if reply.expires_at() is not None:
            await reply.show(text)

    return show


async def _watch_expiry(reply: InteractionReply, clock: Callable[[], float]) -> None:
    """Hand the reply over to the channel before the interaction token expires."""
    while True:
        expires = reply.expires_at()
        if expires is None:
            return
        if clock() >= expires - HAND_OVER_MARGIN_S:
            try:
                await reply.hand_over()
            except Exception:
                log.exception("handing an upload's message over before it expired failed")
            return
        await asyncio.sleep(EXPIRY_CHECK_S)


def _name(name: str) -> str:
    """A file name inside a line: shown as code, so no markdown or mention in it works."""
    plain = discord_safe(name).replace("`", "'")[:100]
    return f"`{plain}`"


def _mb(size: float) -> str:
    return f"{size / _MB:.1f} MB" if size >= _MB / 10 else f"{max(size, 0) / 1024:.0f} KB"


def _without_path(message: str, path: str) -> str:
    """The ingest's line without the server-side path it starts with."""
    for prefix in (path, str(Path(path).resolve())):
        if message.startswith(prefix + ": "):
            return message[len(prefix) + 2 :]
    return message


def _clean(line: str) -> str:
    """One line, no operator setting names, no markdown from the file's own name."""
    line = " ".join(line.split())
    line = line.replace("; raise PANELIST_MAX_FILE_MB to ingest it", "")
    return escape_markdown(discord_safe(line))[:500]
