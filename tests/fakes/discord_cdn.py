"""The fake's CDN: files a user attaches to a slash command, and the signed URLs that serve them.

Why: ``/panelist add-transcript`` downloads what an admin attached, and every way that can go
wrong happens at the CDN, not in the interaction: a file bigger than Discord said (the declared
``size`` is the client's claim), a URL past its expiry or with a bad signature (404), a redirect,
a server that stalls. Discord sends a type-11 (ATTACHMENT) option as the attachment's id, with the
attachment itself in ``data.resolved.attachments``; its ``url`` is signed with ``ex`` (expiry,
hex seconds), ``is`` (issued) and ``hm`` (an HMAC of both with the path), and the CDN answers 404
to anything unsigned, expired or tampered with. Mixed into ``FakeDiscord`` (``discord_server``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# How long a signed attachment URL stays valid on real Discord (24 h).
URL_LIFETIME_S = 24 * 3600
_CHUNK = 64 * 1024


@dataclass(eq=False)
class FakeAttachment:
    """A file a user attached. ``data`` is served ``repeat`` times over (so a test can serve a
    huge file without holding it); ``declared_size`` is what Discord claims (default: the truth)."""

    id: int
    filename: str
    data: bytes
    channel_id: int
    content_type: str | None = "text/plain; charset=utf-8"
    repeat: int = 1
    declared_size: int | None = None
    redirect_to: str | None = None  # answer 302 to this URL instead of serving the bytes
    stall_s: float = 0.0  # wait this long before the first byte
    status: int = 200
    requests: int = 0
    served: int = 0  # bytes actually sent, over all requests
    signature_key: bytes = field(default_factory=lambda: secrets.token_bytes(16), repr=False)

    @property
    def size(self) -> int:
        return len(self.data) * self.repeat

    @property
    def path(self) -> str:
        return f"/ephemeral-attachments/{self.channel_id}/{self.id}/{self.filename}"

    def signed_query(self, issued: float) -> str:
        ex, is_ = f"{int(issued + URL_LIFETIME_S):x}", f"{int(issued):x}"
        return f"ex={ex}&is={is_}&hm={self._mac(ex, is_)}"

    def _mac(self, ex: str, is_: str) -> str:
        msg = f"{self.path}|{ex}|{is_}".encode()
        return hmac.new(self.signature_key, msg, hashlib.sha256).hexdigest()

    def valid(self, query: dict[str, str], wall_now: float) -> bool:
        ex, is_, hm = query.get("ex", ""), query.get("is", ""), query.get("hm", "")
        try:
            expired = int(ex, 16) < wall_now
        except ValueError:
            return False
        return not expired and hmac.compare_digest(hm, self._mac(ex, is_))

    def payload(self, base_url: str, issued: float) -> dict[str, Any]:
        url = f"{base_url}{self.path}?{self.signed_query(issued)}"
        out: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size if self.declared_size is None else self.declared_size,
            "url": url,
            "proxy_url": url.replace(base_url, base_url + "/media", 1),
            "ephemeral": True,
        }
        if self.content_type is not None:
            out["content_type"] = self.content_type
        return out


class CdnMixin:
    """Mixed into ``FakeDiscord``; see the module docstring."""

    def attach(
        self,
        filename: str,
        data: bytes | str,
        *,
        channel_id: int | None = None,
        **options: Any,
    ) -> FakeAttachment:
        """A file the user is about to attach to a command; pass it as the option's value."""
        raw = data.encode() if isinstance(data, str) else data
        channel = channel_id if channel_id is not None else self._default_channel().id
        att = FakeAttachment(self._ids.next(), filename, raw, channel, **options)
        self.attachments[att.id] = att
        return att

    def attachment_option(self, value: Any, resolved: dict[str, dict[str, Any]]) -> str:
        """A type-11 option: its value is the id; the attachment goes in ``resolved``."""
        att = value if isinstance(value, FakeAttachment) else self.attachments[int(value)]
        issued = self.wall_time_of(self.now())
        resolved.setdefault("attachments", {})[str(att.id)] = att.payload(self.base_url, issued)
        return str(att.id)

    async def _cdn_handler(self, request: web.Request) -> web.StreamResponse:
        att = self.attachments.get(int(request.match_info["attachment_id"]))
        if att is None or request.match_info["filename"] != att.filename:
            return web.Response(status=404, text="This content is no longer available.")
        att.requests += 1
        if not att.valid(dict(request.query), self.wall_time_of(self.now())):
            return web.Response(status=404, text="This content is no longer available.")
        if att.stall_s:
            await asyncio.sleep(att.stall_s)
        if att.redirect_to is not None:
            raise web.HTTPFound(att.redirect_to)
        if att.status != 200:
            return web.Response(status=att.status, text="CDN error")
        response = web.StreamResponse(status=200)
        if att.content_type:
            response.content_type = att.content_type.split(";")[0]
        if att.declared_size is None:
            response.content_length = att.size
        else:
            response.enable_chunked_encoding()  # a lying size: no Content-Length to catch it by
        await response.prepare(request)
        try:
            for _ in range(att.repeat):
                for start in range(0, len(att.data), _CHUNK):
                    piece = att.data[start : start + _CHUNK]
                    await response.write(piece)
                    att.served += len(piece)
            await response.write_eof()
        except ConnectionError:
            pass  # the client hung up: it stopped reading, which is the point
        return response
