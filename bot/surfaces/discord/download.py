"""Downloading an attachment: only from Discord's CDN, bounded in bytes and in time.

Why not ``discord.Attachment.read()``: it reads the whole body into memory whatever its size,
follows redirects anywhere, and has no deadline. The size Discord reports with an attachment is
the uploading client's claim, so the limit is enforced on the bytes as they arrive (and on a
``Content-Length`` before the first one); the URL must be on Discord's CDN (or on the host
``DISCORD_API_BASE`` points at, for a Discord-compatible server), and a redirect is followed only
to such a host. The body streams to a file, never to memory.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.errors import PanelistError
from bot.settings import DiscordSettings, Settings

CDN_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0  # between two reads of the body
TOTAL_TIMEOUT_S = 300.0
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Origin = tuple[str, str]  # (scheme, host[:port]), lower case


class DownloadError(PanelistError):
    """The attachment could not be fetched; ``str`` is one line for the uploader."""


class TooBig(DownloadError):
    def __init__(self, seen: int, limit: int) -> None:
        super().__init__(f"over {limit} bytes (stopped after {seen})")
        self.seen = seen
        self.limit = limit


def cdn_origins(settings: Settings) -> frozenset[Origin]:
    """Where attachments may come from: Discord's CDN over HTTPS, plus the API's own host when
    ``DISCORD_API_BASE`` points the bot at another Discord-compatible server."""
    origins = {("https", host) for host in CDN_HOSTS}
    default = DiscordSettings.model_fields["discord_api_base"].default
    base = settings.discord.discord_api_base
    if base.rstrip("/") != default.rstrip("/"):
        parts = urlsplit(base)
        origins.add((parts.scheme.lower(), parts.netloc.lower()))
    return frozenset(origins)


def _origin(url: str) -> Origin:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


async def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    origins: Collection[Origin],
    on_bytes: Callable[[int], None] | None = None,
    total_timeout_s: float = TOTAL_TIMEOUT_S,
) -> int:
    """Stream ``url`` into ``dest``; the number of bytes. Raises DownloadError (TooBig past
    ``max_bytes``); ``dest`` may then hold a partial file, which the caller deletes."""
    if _origin(url) not in origins:
        raise DownloadError("the attachment is not on Discord's CDN")
    timeout = aiohttp.ClientTimeout(
        total=total_timeout_s, sock_connect=CONNECT_TIMEOUT_S, sock_read=READ_TIMEOUT_S
    )
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                async with session.get(url, allow_redirects=False) as resp:
                    if resp.status in _REDIRECTS:
                        url = urljoin(url, resp.headers.get("Location", ""))
                        if _origin(url) not in origins:
                            raise DownloadError("Discord's CDN redirected the download elsewhere")
                        continue
                    if resp.status != 200:
                        raise DownloadError(f"Discord's CDN answered HTTP {resp.status}")
                    if resp.content_length is not None and resp.content_length > max_bytes:
                        raise TooBig(resp.content_length, max_bytes)
                    return await _stream(resp, dest, max_bytes, on_bytes)
            raise DownloadError("Discord's CDN redirected the download too many times")
    except TimeoutError:
        raise DownloadError("the download timed out") from None
    except aiohttp.ClientError as exc:
        raise DownloadError(f"the download failed ({type(exc).__name__})") from None


async def _stream(
    resp: aiohttp.ClientResponse,
    dest: Path,
    max_bytes: int,
    on_bytes: Callable[[int], None] | None,
) -> int:
    seen = 0
    with dest.open("wb") as fh:
        async for block in resp.content.iter_chunked(_CHUNK):
            seen += len(block)
            if seen > max_bytes:
                raise TooBig(seen, max_bytes)
            fh.write(block)  # page cache: microseconds per block, not worth a thread hop
            if on_bytes is not None:
                on_bytes(seen)
    return seen
