"""Discord's REST rate limits, as the fake enforces them: buckets, headers, 429 bodies.

Why: discord.py reads ``X-RateLimit-Bucket/Limit/Remaining/Reset/Reset-After`` on every reply,
sleeps pre-emptively when a bucket is empty, and on a 429 retries after the body's
``retry_after``, but only when the reply carries a ``Via`` header (a 429 without it is a
Cloudflare ban and raises). A fake that never answers 429 leaves all of that, and the bot's
behaviour while it waits, untested.

The limits below are of the size Discord reports in its headers (they are not documented and may
change; clients must read the headers, which is what this lets a test check). Interaction
callbacks are not limited and, like interaction webhooks, do not count against the global limit
(as Discord documents).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

# kind (the fake's route name) -> (requests, per seconds), per major parameter.
ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "message.create": (5, 5.0),
    "message.edit": (5, 5.0),
    "message.delete": (5, 1.0),
    "typing": (5, 5.0),
    "thread.create": (5, 5.0),
    "dm.open": (5, 5.0),
    "commands.sync": (5, 20.0),
    "webhook.followup": (5, 2.0),
    "webhook.original.edit": (5, 2.0),
    "webhook.original.delete": (5, 2.0),
    "webhook.message.edit": (5, 2.0),
    "webhook.message.delete": (5, 2.0),
}
UNLIMITED = frozenset({"interaction.callback", "gateway", "unknown"})
EXEMPT_FROM_GLOBAL = frozenset({"interaction.callback"}) | {
    k for k in ROUTE_LIMITS if k.startswith("webhook.")
}


@dataclass
class _Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float


@dataclass(frozen=True)
class Verdict:
    """Headers for the reply, and the 429 body when the request is refused."""

    headers: dict[str, str]
    refused: dict[str, object] | None = None


@dataclass
class _Injected:
    retry_after: float
    is_global: bool
    scope: str


class RateLimits:
    def __init__(
        self, clock: Callable[[], float], wall: Callable[[float], float], global_limit: int
    ) -> None:
        self._clock = clock
        self._wall = wall
        self.global_limit = global_limit
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_window = (0.0, 0)  # (window start, requests in it)
        self._injected: dict[str, list[_Injected]] = {}
        self.refused = 0

    def inject(self, kind: str, retry_after: float, *, is_global: bool, scope: str) -> None:
        """Refuse the next request of ``kind`` with a 429, whatever its bucket says."""
        self._injected.setdefault(kind, []).append(_Injected(retry_after, is_global, scope))

    def check(self, kind: str, major: str) -> Verdict:
        if kind in UNLIMITED:
            return Verdict({})
        now = self._clock()
        injected = self._injected.get(kind)
        if injected:
            shot = injected.pop(0)
            return self._refuse(shot.retry_after, shot.is_global, shot.scope, None, kind)
        if kind not in EXEMPT_FROM_GLOBAL:
            start, count = self._global_window
            if now - start >= 1.0:
                start, count = now, 0
            if count >= self.global_limit:
                return self._refuse(start + 1.0 - now, True, "global", None, kind)
            self._global_window = (start, count + 1)
        limit = ROUTE_LIMITS.get(kind)
        if limit is None:
            return Verdict({})
        bucket = self._buckets.get((kind, major))
        if bucket is None or now >= bucket.reset_at:
            bucket = _Bucket(limit[0], limit[1], limit[0], now + limit[1])
            self._buckets[(kind, major)] = bucket
        if bucket.remaining <= 0:
            return self._refuse(bucket.reset_at - now, False, "user", bucket, kind)
        bucket.remaining -= 1
        return Verdict(self._headers(kind, bucket, now))

    def _headers(self, kind: str, bucket: _Bucket, now: float) -> dict[str, str]:
        reset_after = max(0.0, bucket.reset_at - now)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{self._wall(bucket.reset_at):.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(kind.encode()).hexdigest()[:32],
        }

    def _refuse(
        self, retry_after: float, is_global: bool, scope: str, bucket: _Bucket | None, kind: str
    ) -> Verdict:
        self.refused += 1
        retry_after = round(max(0.001, retry_after), 3)
        now = self._clock()
        headers = {
            "Retry-After": str(max(1, int(retry_after + 0.999))),
            "X-RateLimit-Scope": scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        elif bucket is not None:
            headers.update(self._headers(kind, bucket, now))
        body: dict[str, object] = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        if is_global:
            body["code"] = 0
        return Verdict(headers, body)
