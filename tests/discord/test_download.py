"""Attachment downloads: only from Discord's CDN, bounded in bytes and time, never left half-done.

Against the fake's CDN on loopback (tests/fakes/discord_cdn.py): a stall past the deadline, a
size that lies, an unsigned or tampered URL, a URL on another host.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.settings import load_settings
from bot.surfaces.discord.download import DownloadError, TooBig, cdn_origins, download
from tests.fakes.discord_cdn import FakeAttachment
from tests.fakes.discord_server import FakeDiscord


def _url_and_origin(fake: FakeDiscord, att: FakeAttachment) -> tuple[str, set[tuple[str, str]]]:
    url = att.payload(fake.base_url, fake.wall_time_of(fake.now()))["url"]
    parts = urlsplit(url)
    return url, {(parts.scheme, parts.netloc)}


async def test_a_stalled_cdn_times_out(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    url, origins = _url_and_origin(fake_discord, fake_discord.attach("a.txt", "hi", stall_s=5))
    with pytest.raises(DownloadError, match="timed out"):
        await download(url, tmp_path / "a", max_bytes=1000, origins=origins, total_timeout_s=0.3)


async def test_the_cap_holds_without_a_content_length(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    att = fake_discord.attach("a.txt", b"x" * 4096, repeat=1000, declared_size=10)
    url, origins = _url_and_origin(fake_discord, att)
    with pytest.raises(TooBig):
        await download(url, tmp_path / "a", max_bytes=50_000, origins=origins)
    assert (tmp_path / "a").stat().st_size <= 50_000


async def test_a_tampered_url_is_refused_by_the_cdn(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    url, origins = _url_and_origin(fake_discord, fake_discord.attach("a.txt", "hello"))
    assert await download(url, tmp_path / "a", max_bytes=100, origins=origins) == 5
    with pytest.raises(DownloadError, match="HTTP 404"):
        tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
        await download(tampered, tmp_path / "b", max_bytes=100, origins=origins)


async def test_only_the_cdn_hosts_are_asked(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    origins = cdn_origins(settings)
    assert origins == {("https", "cdn.discordapp.com"), ("https", "media.discordapp.net")}
    for url in (
        "http://cdn.discordapp.com/attachments/1/2/a.txt",  # not HTTPS
        "https://cdn.discordapp.com.evil.example/a.txt",
        "https://127.0.0.1/a.txt",
        "file:///etc/passwd",
    ):
        with pytest.raises(DownloadError, match="not on Discord's CDN"):
            await download(url, tmp_path / "a", max_bytes=100, origins=origins)
    pointed = load_settings(data_dir=tmp_path, discord_api_base="http://127.0.0.1:9/api/v10")
    assert ("http", "127.0.0.1:9") in cdn_origins(pointed)
