"""The fake's gateway: HELLO, IDENTIFY/RESUME, heartbeats, and dispatches filtered by intent.

Why a module of its own: the gateway is where intents, privileged-intent refusals (4014), shards
and session resumption live, and those rules are independent of what any REST route does. Mixed
into ``FakeDiscord`` (``discord_server``), whose state (sessions, guilds, clock) it uses.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_models import (
    API_VERSION,
    Action,
    FakeGuild,
    Intent,
    iso,
)

# Privileged intent bit -> the FakeDiscordConfig portal toggle that allows it.
_PRIVILEGED = {
    Intent.MESSAGE_CONTENT: "message_content_intent",
    Intent.GUILD_MEMBERS: "members_intent",
    Intent.GUILD_PRESENCES: "presences_intent",
}


@dataclass(eq=False)
class _Conn:
    """One websocket; sends are serialised so sequence numbers reach the client in order."""

    ws: web.WebSocketResponse
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: Mapping[str, Any]) -> bool:
        async with self.lock:
            if self.ws.closed:
                return False
            try:
                await self.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                return False
            return True


@dataclass(eq=False)
class GatewaySession:
    """An identified gateway session; survives disconnects so RESUME can replay missed events."""

    session_id: str
    intents: int
    shard: list[int] | None
    conn: _Conn | None
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)

    def serves(self, guild_id: int | None) -> bool:
        """Discord sends a guild's events to one shard, and DMs to shard 0."""
        if not self.shard:
            return True
        shard_id, count = int(self.shard[0]), max(1, int(self.shard[1]))
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id


class GatewayMixin:
    """Mixed into ``FakeDiscord``; see the module docstring."""

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Conn(ws)
        self._conns.add(conn)
        session: GatewaySession | None = None
        await conn.send(
            {
                "op": 10,
                "d": {"heartbeat_interval": self.config.heartbeat_interval_ms, "_trace": ["fake"]},
                "s": None,
                "t": None,
            }
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.gateway_frames.append(frame)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await conn.send({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    session = await self._identify(conn, data or {})
                elif op == 6:
                    session = await self._resume(conn, data or {})
                elif op == 8 and session is not None:
                    await self._request_members(session, data or {})
        finally:
            self._conns.discard(conn)
            if session is not None and session.conn is conn:
                session.conn = None
                # A client that closes with 1000/1001 ends its session; Discord will not resume it.
                if ws.close_code in (1000, 1001):
                    self.sessions.pop(session.session_id, None)
        return ws

    async def _identify(self, conn: _Conn, data: dict[str, Any]) -> GatewaySession | None:
        if data.get("token") != self.config.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = data.get("intents")
        if intents is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        for bit, attr in _PRIVILEGED.items():
            if intents & bit and not getattr(self.config, attr):
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
                return None
        shard = data.get("shard")
        if shard is not None and not (len(shard) == 2 and 0 <= int(shard[0]) < int(shard[1])):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = GatewaySession(
            session_id=uuid.uuid4().hex, intents=int(intents), shard=shard, conn=conn
        )
        self.sessions[session.session_id] = session
        ready = {
            "v": API_VERSION,
            "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._guilds_of(session)],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.config.application_id), "flags": self._app_flags()},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._send_dispatch(session, "READY", ready)
        for guild in self._guilds_of(session):
            await self._send_dispatch(
                session, "GUILD_CREATE", self._guild_create_payload(guild, session)
            )
        self.identify_count += 1
        self.identified.set()
        return session

    async def _resume(self, conn: _Conn, data: dict[str, Any]) -> GatewaySession | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.config.token:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        session.conn = conn
        last_seen = int(data.get("seq") or 0)
        for frame in session.sent:
            if frame["s"] > last_seen:
                await conn.send(frame)
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fake"]})
        self.resume_count += 1
        return session

    async def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self._guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        users = [self.bot_user, *guild.members]
        members = [
            self.member_payload(guild.id, u.id)
            for u in users
            if (not wanted or u.id in wanted) and u.username.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted if u not in {x.id for x in users}],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_dispatch(
        self, session: GatewaySession, event: str, data: dict[str, Any]
    ) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(frame)
        del session.sent[:-1000]
        if session.conn is not None:
            await session.conn.send(frame)

    def _app_flags(self) -> int:
        flags = 0
        if self.config.presences_intent:
            flags |= 1 << 12
        if self.config.members_intent:
            flags |= 1 << 14
        if self.config.message_content_intent:
            flags |= 1 << 18
        return flags

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int | None = None,
        transform: Callable[[GatewaySession, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> int:
        """Send a DISPATCH to every identified session subscribed to ``intent``; returns count."""
        self.dispatched.append((event, data))
        delivered = 0
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        for session in list(self.sessions.values()):
            if intent is not None and not session.has(intent):
                continue
            if not session.serves(int(guild_id) if guild_id else None):
                continue
            payload = transform(session, data) if transform else data
            await self._send_dispatch(session, event, payload)
            delivered += 1
        return delivered

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session; the client RESUMEs."""
        for conn in list(self._conns):
            await conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; non-resumable forgets sessions so the client re-IDENTIFYs."""
        if not resumable:
            self.sessions.clear()
        for conn in list(self._conns):
            await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway socket with ``code`` (4000 lets discord.py resume)."""
        for conn in list(self._conns):
            await conn.ws.close(code=code, message=b"dropped by test")

    def _require_session(self) -> None:
        if not any(s.conn is not None for s in self.sessions.values()):
            raise RuntimeError("no bot is connected to the fake gateway (did it IDENTIFY?)")

    def _guild_create_payload(self, guild: FakeGuild, session: GatewaySession) -> dict[str, Any]:
        everyone = [self.bot_user, *guild.members]
        # Without GUILD_MEMBERS Discord only includes the bot itself (and voice members).
        shown = everyone if session.has(Intent.GUILD_MEMBERS) else [self.bot_user]
        channels = [c for c in self._channels.values() if c.guild_id == guild.id]
        roles = [r.payload() for r in self._roles_of(guild).values()]
        for r in roles:
            if int(r["id"]) == self._bot_role_ids[guild.id]:
                r["tags"] = {"bot_id": str(self.bot_user.id)}
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id or self.bot_user.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso(guild.joined_at),
            "large": False,
            "unavailable": False,
            "member_count": len(everyone),
            "voice_states": [],
            "members": [self.member_payload(guild.id, u.id) for u in shown],
            "channels": [c.payload(self.bot_user.id) for c in channels if not c.is_thread],
            "threads": [c.payload(self.bot_user.id) for c in channels if c.is_thread],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def _get_gateway(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        shards = self.config.shards
        return 200, {"url": self.gateway_url, "shards": shards, "session_start_limit": limit}

    def _guilds_of(self, session: GatewaySession) -> list[FakeGuild]:
        return [g for g in self._guilds.values() if session.serves(g.id)]

    def shard_of(self, guild_id: int) -> int:
        """The shard Discord routes a guild to: ``(guild_id >> 22) % num_shards``."""
        return (guild_id >> 22) % max(1, self.config.shards)
