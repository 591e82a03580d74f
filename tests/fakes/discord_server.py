"""A loopback fake Discord (REST + gateway) that the real discord.py client connects to.

Why: mocking discord.py objects tests our assumptions about discord.py, not the bot. Here the
real client logs in, identifies, receives READY/GUILD_CREATE, syncs commands and answers
interactions over HTTP and a websocket, and the fake enforces Discord's rules (2000-character
content, the 3-second interaction deadline, double acknowledgements, allowed_mentions) so that
bot bugs fail the same way they would in production.

Usage (``discord_fixtures`` has the pytest fixture and the discord.py pointing helpers)::

    async with fake_discord_server() as fake, running_bot(MyBot(), fake) as bot:
        await bot.tree.sync()
        handle = await fake.send_command("ping")
        await handle.wait_for_response()
        assert handle.original_message().content == "pong"

Everything runs in the test's event loop; times are on ``fake.now()``, a monotonic clock that
``advance_clock`` can push forward so deadline tests need no real sleeps.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_models import (
    Action,
    CallbackType,
    ChannelType,
    FakeChannel,
    FakeDiscordConfig,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeRole,
    FakeUser,
    Intent,
    InteractionType,
    MessageFlag,
    Perm,
    Pings,
    SnowflakeFactory,
    iso,
)
from tests.fakes.discord_rules import (
    ATTACHMENTS_BYTES_MAX,
    CREATE_FLAGS,
    EDIT_FLAGS,
    INTERACTION_FLAGS,
    UNKNOWN_CHANNEL,
    UNKNOWN_COMMAND,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    DiscordError,
    compute_pings,
    find_component,
    form_error,
    not_found,
    validate_autocomplete_choices,
    validate_command,
    validate_commands,
    validate_message_body,
    validate_modal,
)

API_VERSION = 10
_MISSING: Any = object()
# Privileged intent bit -> the FakeDiscordConfig portal toggle that allows it.
_PRIVILEGED = {
    Intent.MESSAGE_CONTENT: "message_content_intent",
    Intent.GUILD_MEMBERS: "members_intent",
    Intent.GUILD_PRESENCES: "presences_intent",
}
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    InteractionType.PING: frozenset({CallbackType.PONG}),
    InteractionType.APPLICATION_COMMAND: frozenset(
        {CallbackType.CHANNEL_MESSAGE, CallbackType.DEFERRED_CHANNEL_MESSAGE, CallbackType.MODAL}
    ),
    InteractionType.MESSAGE_COMPONENT: frozenset(
        {
            CallbackType.CHANNEL_MESSAGE,
            CallbackType.DEFERRED_CHANNEL_MESSAGE,
            CallbackType.DEFERRED_UPDATE_MESSAGE,
            CallbackType.UPDATE_MESSAGE,
            CallbackType.MODAL,
        }
    ),
    InteractionType.AUTOCOMPLETE: frozenset({CallbackType.AUTOCOMPLETE_RESULT}),
    InteractionType.MODAL_SUBMIT: frozenset(
        {
            CallbackType.CHANNEL_MESSAGE,
            CallbackType.DEFERRED_CHANNEL_MESSAGE,
            CallbackType.DEFERRED_UPDATE_MESSAGE,
            CallbackType.UPDATE_MESSAGE,
        }
    ),
}
_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
_EDITABLE = (
    "content",
    "embeds",
    "components",
    "attachments",
    "flags",
    "allowed_mentions",
    "allowed_mentions_sent",
    "pings",
)

Handler = Callable[[Action, dict[str, str], Any], Awaitable[tuple[int, Any]]]


class FakeDiscordTimeout(AssertionError):
    """Raised by ``wait_for``; an AssertionError so pytest shows the recent-action log."""


@dataclass(eq=False)
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    kind: str
    auth: bool


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


class FakeDiscord:
    """The fake server plus the test-side API to inject events and observe the bot's actions."""

    def __init__(self, config: FakeDiscordConfig | None = None) -> None:
        self.config = config or FakeDiscordConfig()
        self._mono_base = time.monotonic()
        self._wall_base = time.time()
        self._clock_offset = 0.0
        self._ids = SnowflakeFactory(lambda: self.wall_time_of(self.now()))
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes: list[_Route] = []
        self._build_routes()

        self.bot_user = FakeUser(self.config.bot_id, self.config.bot_name, bot=True)
        self._users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user}
        self._guilds: dict[int, FakeGuild] = {}
        self._channels: dict[int, FakeChannel] = {}
        self._bot_role_ids: dict[int, int] = {}
        self._dm_by_user: dict[int, int] = {}
        for guild in self.config.guilds:
            self._add_guild(guild)

        self._messages: dict[int, FakeMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._interactions: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self._commands: dict[int | None, dict[tuple[int, str], dict[str, Any]]] = {}
        self._command_ids: dict[tuple[int | None, int, str], int] = {}

        self.actions: list[Action] = []
        self.dispatched: list[tuple[str, dict[str, Any]]] = []
        self.gateway_frames: list[dict[str, Any]] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.identify_count = 0
        self.resume_count = 0
        self.identified = asyncio.Event()
        self._conns: set[_Conn] = set()
        self._waiters: list[tuple[Callable[[Action], bool], asyncio.Future[Action]]] = []

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_route("*", "/api/v{version}/{tail:.*}", self._rest_handler)
        app.router.add_route("*", "/{tail:.*}", self._stray_handler)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, shutdown_timeout=0.5)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for conn in list(self._conns):
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"fake discord stopping")
        for _, fut in self._waiters:
            if not fut.done():
                fut.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` / ``DISCORD_API_BASE`` should be set to."""
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``DISCORD_GATEWAY_URL`` should be."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    # --- clock --------------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self._mono_base + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock so deadlines (3 s ack, 15 min token) pass without sleeping."""
        self._clock_offset += seconds

    def wall_time_of(self, t: float) -> float:
        return self._wall_base + t

    # --- lookups ------------------------------------------------------------------------------

    def user(self, ref: FakeUser | int | str) -> FakeUser:
        if isinstance(ref, FakeUser):
            self._users.setdefault(ref.id, ref)
            return ref
        if isinstance(ref, int):
            return self._users[ref]
        for u in self._users.values():
            if u.username == ref:
                return u
        raise KeyError(
            f"no fake user named {ref!r}; known: {[u.username for u in self._users.values()]}"
        )

    def add_user(
        self, username: str, *, global_name: str | None = None, bot: bool = False
    ) -> FakeUser:
        """A user outside every guild (e.g. someone who only DMs the bot)."""
        user = FakeUser(self._ids.next(), username, global_name, bot)
        self._users[user.id] = user
        return user

    def guild(self, guild_id: int | None = None) -> FakeGuild:
        if guild_id is None:
            return next(iter(self._guilds.values()))
        return self._guilds[guild_id]

    def channel(self, channel_id: int) -> FakeChannel | None:
        return self._channels.get(channel_id)

    def channel_named(self, name: str, guild_id: int | None = None) -> FakeChannel:
        for ch in self._channels.values():
            if ch.name == name and (guild_id is None or ch.guild_id == guild_id):
                return ch
        raise KeyError(f"no fake channel named {name!r}")

    def message(self, message_id: int) -> FakeMessage | None:
        return self._messages.get(message_id)

    def messages_in(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """Messages in a channel, oldest first, as a user would see them (ephemeral excluded)."""
        out = []
        for mid in self._channel_messages.get(channel_id, []):
            msg = self._messages[mid]
            if msg.deleted and not include_deleted:
                continue
            if msg.ephemeral and not include_ephemeral:
                continue
            out.append(msg)
        return out

    def bot_messages_in(
        self, channel_id: int, *, include_ephemeral: bool = False
    ) -> list[FakeMessage]:
        msgs = self.messages_in(channel_id, include_ephemeral=include_ephemeral)
        return [m for m in msgs if m.author.id == self.bot_user.id]

    def dm_channel_for(self, user: FakeUser | int | str) -> FakeChannel:
        """The (stable) DM channel between the bot and ``user``; created on first use."""
        u = self.user(user)
        cid = self._dm_by_user.get(u.id)
        if cid is None:
            ch = FakeChannel(
                self._ids.next(), type=ChannelType.DM, recipient=u, created_at=self.now()
            )
            self._channels[ch.id] = ch
            self._dm_by_user[u.id] = cid = ch.id
        return self._channels[cid]

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands as synced (global when ``guild_id`` is None), with the ids Discord assigned."""
        return list(self._commands.get(guild_id, {}).values())

    def typing_in(self, channel_id: int) -> list[Action]:
        return [
            a
            for a in self.actions
            if a.kind == "typing" and a.params.get("channel_id") == str(channel_id)
        ]

    @property
    def errors(self) -> list[Action]:
        """Every request the fake rejected (4xx), including unknown routes."""
        return [a for a in self.actions if a.status >= 400]

    @property
    def unknown_routes(self) -> list[Action]:
        """Requests for routes the fake does not implement: add them here when this is non-empty."""
        return [a for a in self.actions if a.kind == "unknown"]

    def user_payload(self, user_id: int) -> dict[str, Any]:
        user = self._users.get(user_id)
        return (user or FakeUser(user_id, f"user{user_id}")).payload()

    def member_payload(
        self, guild_id: int, user_id: int, *, with_user: bool = True
    ) -> dict[str, Any] | None:
        guild = self._guilds.get(guild_id)
        if guild is None:
            return None
        if user_id == self.bot_user.id:
            roles = [self._bot_role_ids[guild_id]]
        elif any(m.id == user_id for m in guild.members):
            roles = guild.member_roles.get(user_id, [])
        else:
            return None
        data: dict[str, Any] = {
            "roles": [str(r) for r in roles],
            "joined_at": iso(guild.joined_at),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user_payload(user_id)
        return data

    # --- observation --------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the action log; pass as ``since`` to ignore what happened before."""
        return len(self.actions)

    async def wait_for(
        self,
        predicate: Callable[[Action], bool],
        *,
        timeout: float = 5.0,
        since: int = 0,
        what: str | None = None,
    ) -> Action:
        """First recorded action (from ``since`` on, past or future) matching ``predicate``."""
        for action in self.actions[since:]:
            if predicate(action):
                return action
        fut: asyncio.Future[Action] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            recent = "\n".join(f"  {a!r}" for a in self.actions[-15:]) or "  (none)"
            raise FakeDiscordTimeout(
                f"timed out after {timeout}s waiting for {what or 'a matching action'}; "
                f"recent actions:\n{recent}"
            ) from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    async def wait_for_message(
        self,
        channel_id: int | None = None,
        predicate: Callable[[FakeMessage], bool] | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
    ) -> FakeMessage:
        """First bot message made visible (any route) in ``channel_id``; returns the live object."""

        def match(a: Action) -> bool:
            msg = a.message
            return (
                a.created_message
                and msg is not None
                and (channel_id is None or msg.channel_id == channel_id)
                and (predicate is None or predicate(msg))
            )

        action = await self.wait_for(
            match, timeout=timeout, since=since, what=f"a bot message in channel {channel_id}"
        )
        assert action.message is not None
        live = self.message(action.message.id)
        assert live is not None
        return live

    async def wait_until_identified(self, timeout: float = 5.0) -> None:
        try:
            await asyncio.wait_for(self.identified.wait(), timeout)
        except TimeoutError:
            raise FakeDiscordTimeout(
                f"the bot did not IDENTIFY within {timeout}s; errors: {self.errors!r}"
            ) from None

    def _record(self, action: Action) -> None:
        self.actions.append(action)
        for predicate, fut in list(self._waiters):
            if fut.done():
                continue
            try:
                if predicate(action):
                    fut.set_result(action)
            except Exception as exc:
                fut.set_exception(exc)

    # --- gateway: server side -----------------------------------------------------------------

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
        session = GatewaySession(
            session_id=uuid.uuid4().hex, intents=int(intents), shard=data.get("shard"), conn=conn
        )
        self.sessions[session.session_id] = session
        ready = {
            "v": API_VERSION,
            "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._guilds.values()],
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
        for guild in self._guilds.values():
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

    # --- gateway: test side -------------------------------------------------------------------

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
        for session in list(self.sessions.values()):
            if intent is not None and not session.has(intent):
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

    # --- guild/channel setup ------------------------------------------------------------------

    def _add_guild(self, guild: FakeGuild) -> None:
        self._guilds[guild.id] = guild
        self._bot_role_ids[guild.id] = self._ids.next()
        for member in guild.members:
            self._users[member.id] = member
        for ch in guild.channels:
            ch.guild_id = guild.id
            self._channels[ch.id] = ch

    def _everyone_role(self, guild: FakeGuild) -> FakeRole:
        return FakeRole(guild.id, "@everyone", permissions=guild.everyone_permissions, position=0)

    def _bot_perms(self, guild: FakeGuild) -> int:
        extra = Perm.MENTION_EVERYONE if self.config.bot_can_mention_everyone else 0
        return guild.everyone_permissions | extra

    def _roles_of(self, guild: FakeGuild) -> dict[int, FakeRole]:
        roles = {r.id: r for r in guild.roles}
        roles[guild.id] = self._everyone_role(guild)
        bot_role = FakeRole(
            self._bot_role_ids[guild.id],
            self.bot_user.username,
            self._bot_perms(guild),
            managed=True,
        )
        roles[bot_role.id] = bot_role
        return roles

    def _member_perms(self, guild: FakeGuild, user_id: int) -> int:
        if user_id == self.bot_user.id:
            return self._bot_perms(guild)
        if user_id == guild.owner_id:
            return (1 << 50) - 1
        perms = guild.everyone_permissions
        for rid in guild.member_roles.get(user_id, []):
            role = next((r for r in guild.roles if r.id == rid), None)
            if role is not None:
                perms |= role.permissions
        return perms

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

    # --- test side: messages ------------------------------------------------------------------

    async def send_message(
        self,
        channel_id: int,
        author: FakeUser | int | str,
        content: str,
        *,
        mentions: Iterable[FakeUser | int] | None = None,
        reference: FakeMessage | int | None = None,
        embeds: list[dict[str, Any]] | None = None,
        guild_id: int | None = _MISSING,
    ) -> FakeMessage:
        """A user posts ``content``; dispatches MESSAGE_CREATE (blanked per MESSAGE_CONTENT rules).

        Mentions are parsed from the content (``<@id>``) as Discord does for human messages;
        ``mentions`` overrides that list. ``guild_id`` defaults to the channel's guild (None in
        DMs).
        """
        self._require_session()
        channel = self._channels.get(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        user = self.user(author)
        guild = self._guilds.get(channel.guild_id) if channel.guild_id is not None else None
        ref_msg = self._resolve_message(reference) if reference is not None else None
        pings = compute_pings(
            content,
            None,
            in_guild=guild is not None,
            roles=self._roles_of(guild) if guild else {},
            known_users=self._users,
            can_mention_everyone=guild is not None and user.id == guild.owner_id,
            replied_user_id=ref_msg.author.id if ref_msg else None,
        )
        if mentions is not None:
            ids = frozenset(m.id if isinstance(m, FakeUser) else int(m) for m in mentions)
            pings = dataclasses.replace(pings, users=ids)
        msg = FakeMessage(
            id=self._ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id if guild_id is _MISSING else guild_id,
            author=user,
            content=content,
            embeds=embeds or [],
            pings=pings,
            notified=pings,
            created_at=self.now(),
            type=19 if ref_msg else 0,
            message_reference=self._reference_payload(ref_msg) if ref_msg else None,
        )
        self._store_message(channel, msg)
        await self._publish_message("MESSAGE_CREATE", msg)
        return msg

    async def send_dm(self, author: FakeUser | int | str, content: str) -> FakeMessage:
        """``author`` DMs the bot (needs the DIRECT_MESSAGES intent to arrive)."""
        channel = self.dm_channel_for(author)
        return await self.send_message(channel.id, author, content)

    def _resolve_message(self, ref: FakeMessage | int) -> FakeMessage:
        msg = self._messages.get(ref.id if isinstance(ref, FakeMessage) else int(ref))
        if msg is None:
            raise KeyError(f"unknown message {ref!r}")
        return msg

    def _reference_payload(self, msg: FakeMessage) -> dict[str, Any]:
        ref: dict[str, Any] = {
            "type": 0,
            "message_id": str(msg.id),
            "channel_id": str(msg.channel_id),
        }
        if msg.guild_id is not None:
            ref["guild_id"] = str(msg.guild_id)
        return ref

    def _store_message(self, channel: FakeChannel, msg: FakeMessage) -> None:
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(channel.id, []).append(msg.id)
        if not msg.ephemeral:
            channel.last_message_id = msg.id
            if channel.is_thread:
                channel.message_count += 1

    def _content_visible(self, session: GatewaySession, msg: FakeMessage) -> bool:
        """Discord's MESSAGE_CONTENT rule: DMs, the bot's own messages and mentions stay visible."""
        return (
            session.has(Intent.MESSAGE_CONTENT)
            or msg.guild_id is None
            or msg.author.id == self.bot_user.id
            or self.bot_user.id in msg.pings.users
        )

    async def _publish_message(self, event: str, msg: FakeMessage) -> None:
        if msg.ephemeral:
            return
        if msg.author.id == self.bot_user.id and not self.config.echo_bot_messages:
            return
        data = msg.payload(self, gateway=True)

        def blank(session: GatewaySession, payload: dict[str, Any]) -> dict[str, Any]:
            if self._content_visible(session, msg):
                return payload
            out = dict(payload)
            out.update(content="", embeds=[], attachments=[], components=[])
            out.pop("poll", None)
            return out

        intent = Intent.GUILD_MESSAGES if msg.guild_id is not None else Intent.DIRECT_MESSAGES
        await self.dispatch(event, data, intent=intent, transform=blank)

    # --- test side: interactions --------------------------------------------------------------

    async def send_interaction(
        self,
        type: int,
        data: dict[str, Any],
        *,
        user: FakeUser | int | str | None = None,
        channel_id: int | None = None,
        message: FakeMessage | None = None,
    ) -> FakeInteraction:
        """Dispatch a raw INTERACTION_CREATE; the helpers below build ``data`` for you."""
        self._require_session()
        who = self.user(user) if user is not None else self._default_user()
        if message is not None:
            channel_id = message.channel_id
        channel = (
            self._channels.get(channel_id) if channel_id is not None else self._default_channel()
        )
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        guild = self._guilds.get(channel.guild_id) if channel.guild_id is not None else None
        iid = self._ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.config.application_id),
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENTS_BYTES_MAX,
        }
        channel_payload = channel.payload(self.bot_user.id)
        if guild is not None:
            channel_payload["permissions"] = str(self._member_perms(guild, who.id))
            member = self.member_payload(guild.id, who.id)
            if member is None:
                raise KeyError(f"{who.username} is not a member of guild {guild.id}")
            member["permissions"] = str(self._member_perms(guild, who.id))
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member,
                app_permissions=str(self._bot_perms(guild)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=who.payload(),
                app_permissions=str(Perm.SEND_MESSAGES | Perm.EMBED_LINKS | Perm.ATTACH_FILES),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        payload["channel"] = channel_payload
        if message is not None:
            payload["message"] = message.payload(self)
        handle = FakeInteraction(
            id=iid,
            token=token,
            type=type,
            data=data,
            channel_id=channel.id,
            guild_id=guild.id if guild else None,
            user=who,
            created_at=self.now(),
            payload=payload,
            fake=self,
            source_message_id=message.id if message is not None else None,
        )
        self._interactions[iid] = handle
        self._interactions_by_token[token] = handle
        await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    async def send_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | int | str | None = None,
        channel_id: int | None = None,
        dm: bool = False,
    ) -> FakeInteraction:
        """A user runs ``/name`` with ``options`` ({name: value}; nested dicts for subcommands)."""
        return await self._command_interaction(
            InteractionType.APPLICATION_COMMAND, name, options or {}, None, user, channel_id, dm
        )

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user: FakeUser | int | str | None = None,
        channel_id: int | None = None,
        dm: bool = False,
    ) -> FakeInteraction:
        """A user is typing into option ``focused`` of ``/name``; the bot must answer type 8."""
        return await self._command_interaction(
            InteractionType.AUTOCOMPLETE, name, options, focused, user, channel_id, dm
        )

    async def click(
        self,
        message: FakeMessage | int,
        custom_id: str,
        *,
        user: FakeUser | int | str | None = None,
        values: list[str] | None = None,
    ) -> FakeInteraction:
        """A user clicks a button / picks select ``values`` on a message the bot sent."""
        msg = self._resolve_message(message)
        if msg.deleted:
            raise ValueError(f"message {msg.id} was deleted; nothing to click")
        comp = find_component(msg.components, custom_id)
        if comp is None:
            raise ValueError(
                f"message {msg.id} has no component {custom_id!r}; has {msg.custom_ids()}"
            )
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; Discord would not send a click")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp.get("type", 2)}
        if comp.get("type") in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        return await self.send_interaction(
            InteractionType.MESSAGE_COMPONENT, data, user=user, message=msg
        )

    async def submit_modal(
        self,
        shown_by: FakeInteraction,
        values: Mapping[str, str | list[str]],
        *,
        user: FakeUser | int | str | None = None,
    ) -> FakeInteraction:
        """A user submits the modal the bot showed in response to ``shown_by``."""
        modal = shown_by.modal
        if modal is None:
            raise ValueError(f"interaction {shown_by.id} did not show a modal")

        def fill(comp: dict[str, Any]) -> dict[str, Any]:
            ctype = comp.get("type")
            if ctype == 1:
                return {"type": 1, "components": [fill(c) for c in comp.get("components", [])]}
            if ctype == 18:
                return {"type": 18, "id": comp.get("id", 0), "component": fill(comp["component"])}
            cid = comp.get("custom_id")
            out: dict[str, Any] = {"type": ctype, "id": comp.get("id", 0), "custom_id": cid}
            if ctype == 4:
                value = values.get(cid, "") if cid else ""
                if comp.get("required", True) and not value:
                    raise ValueError(f"modal field {cid!r} is required")
                out["value"] = value
            elif cid is not None:
                out["values"] = list(values.get(cid, []))
            return out

        comps = [fill(c) for c in modal.get("components", []) if c.get("type") in (1, 18)]
        data = {"custom_id": modal["custom_id"], "components": comps}
        source = self.message(shown_by.source_message_id) if shown_by.source_message_id else None
        return await self.send_interaction(
            InteractionType.MODAL_SUBMIT,
            data,
            user=user or shown_by.user,
            channel_id=shown_by.channel_id,
            message=source,
        )

    def _default_user(self) -> FakeUser:
        for guild in self._guilds.values():
            if guild.members:
                return guild.members[0]
        raise RuntimeError("no guild members configured; pass user=")

    def _default_channel(self) -> FakeChannel:
        for ch in self._channels.values():
            if ch.type == ChannelType.GUILD_TEXT:
                return ch
        raise RuntimeError("no text channel configured; pass channel_id=")

    def _find_command(self, name: str, guild_id: int | None, ctype: int) -> dict[str, Any] | None:
        if guild_id is not None:
            cmd = self._commands.get(guild_id, {}).get((ctype, name))
            if cmd is not None:
                return cmd
        return self._commands.get(None, {}).get((ctype, name))

    async def _command_interaction(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any],
        focused: str | None,
        user: FakeUser | int | str | None,
        channel_id: int | None,
        dm: bool,
    ) -> FakeInteraction:
        who = self.user(user) if user is not None else self._default_user()
        if dm:
            channel: FakeChannel | None = self.dm_channel_for(who)
        elif channel_id is not None:
            channel = self._channels.get(channel_id)
        else:
            channel = self._default_channel()
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        cmd = self._find_command(name, channel.guild_id, 1)
        if cmd is None and self.config.require_registered_commands:
            raise LookupError(
                f"/{name} is not registered with the fake (sync the command tree first, or set "
                f"require_registered_commands=False); registered: "
                f"{[c['name'] for g in self._commands.values() for c in g.values()]}"
            )
        if cmd is not None and channel.is_dm:
            contexts = cmd.get("contexts")
            if cmd.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
                raise LookupError(f"/{name} is not available in DMs (dm_permission/contexts)")
        resolved: dict[str, dict[str, Any]] = {}
        schema = cmd.get("options", []) if cmd else None
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else str(self._ids.next()),
            "name": name,
            "type": 1,
            "options": self._build_options(
                schema, options, focused, resolved, channel.guild_id, itype, path=f"/{name}"
            ),
        }
        if cmd and cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return await self.send_interaction(itype, data, user=who, channel_id=channel.id)

    def _build_options(
        self,
        schema: list[dict[str, Any]] | None,
        given: Mapping[str, Any],
        focused: str | None,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        itype: int,
        *,
        path: str,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name, value in given.items():
            spec = next((o for o in schema or [] if o.get("name") == name), None)
            if spec is None:
                if schema is not None:
                    raise ValueError(
                        f"{path} has no option {name!r}; options: {[o.get('name') for o in schema]}"
                    )
                spec = {"name": name, "type": _infer_option_type(value)}
            otype = int(spec.get("type", 3))
            if otype in (1, 2):
                sub = spec.get("options") if schema is not None else None
                out.append(
                    {
                        "name": name,
                        "type": otype,
                        "options": self._build_options(
                            sub,
                            value or {},
                            focused,
                            resolved,
                            guild_id,
                            itype,
                            path=f"{path} {name}",
                        ),
                    }
                )
                continue
            entry: dict[str, Any] = {"name": name, "type": otype}
            if itype == InteractionType.AUTOCOMPLETE and name == focused:
                entry.update(value=str(value), focused=True)
            else:
                entry["value"] = self._option_value(otype, value, resolved, guild_id)
            out.append(entry)
        is_leaf = schema is not None and not any(o.get("type") in (1, 2) for o in schema)
        if is_leaf and itype == InteractionType.APPLICATION_COMMAND:
            assert schema is not None
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
            if missing:
                raise ValueError(f"{path} needs required option(s) {missing}")
        return out

    def _option_value(
        self, otype: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: int | None
    ) -> Any:
        if otype == 4:
            return int(value)
        if otype == 10:
            return float(value)
        if otype == 5:
            return bool(value)
        if otype in (6, 9) and not isinstance(value, FakeRole):
            user = self.user(value)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild_id is not None:
                member = self.member_payload(guild_id, user.id, with_user=False)
                if member is not None:
                    member["permissions"] = str(self._member_perms(self._guilds[guild_id], user.id))
                    resolved.setdefault("members", {})[str(user.id)] = member
            return str(user.id)
        if otype == 7:
            ch = value if isinstance(value, FakeChannel) else self._channels[int(value)]
            ch_payload = ch.payload(self.bot_user.id)
            ch_payload["permissions"] = str(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
            resolved.setdefault("channels", {})[str(ch.id)] = ch_payload
            return str(ch.id)
        if otype in (8, 9):
            role_id = value.id if isinstance(value, FakeRole) else int(value)
            guild = self._guilds[guild_id] if guild_id is not None else None
            role = self._roles_of(guild).get(role_id) if guild else None
            if role is None:
                raise KeyError(f"unknown role {role_id}")
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return str(role.id)
        return value if isinstance(value, str) else str(value)

    # --- REST: plumbing -----------------------------------------------------------------------

    def _add(
        self, method: str, template: str, handler: Handler, kind: str, *, auth: bool = True
    ) -> None:
        def group(m: re.Match[str]) -> str:
            name = m.group(1)
            pattern = r"\d+" if name.endswith("_id") else r"[^/]+"
            return f"(?P<{name}>{pattern})"

        regex = re.compile("^" + re.sub(r"\{(\w+)\}", group, template) + "$")
        self._routes.append(_Route(method, template, regex, handler, kind, auth))

    def _build_routes(self) -> None:
        a = self._add
        a("GET", "/users/@me", self._get_me, "users.me")
        a("POST", "/users/@me/channels", self._open_dm, "dm.open")
        a("GET", "/users/{user_id}", self._get_user, "users.get")
        a("GET", "/gateway", self._get_gateway, "gateway", auth=False)
        a("GET", "/gateway/bot", self._get_gateway_bot, "gateway.bot")
        a("GET", "/oauth2/applications/@me", self._get_application, "application")
        a("GET", "/applications/@me", self._get_application, "application")
        for prefix in (
            "/applications/{application_id}",
            "/applications/{application_id}/guilds/{guild_id}",
        ):
            a("GET", prefix + "/commands", self._list_commands, "commands.list")
            a("PUT", prefix + "/commands", self._overwrite_commands, "commands.sync")
            a("POST", prefix + "/commands", self._upsert_command, "commands.upsert")
            a("GET", prefix + "/commands/{command_id}", self._get_command, "commands.get")
            a("PATCH", prefix + "/commands/{command_id}", self._edit_command, "commands.edit")
            a("DELETE", prefix + "/commands/{command_id}", self._delete_command, "commands.delete")
        a("GET", "/guilds/{guild_id}", self._get_guild, "guilds.get")
        a("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, "guilds.channels")
        a("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, "guilds.member")
        a("GET", "/channels/{channel_id}", self._get_channel, "channels.get")
        a("GET", "/channels/{channel_id}/messages", self._list_messages, "messages.list")
        a("POST", "/channels/{channel_id}/messages", self._create_message, "message.create")
        a("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, "message.get")
        a(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            self._edit_message,
            "message.edit",
        )
        a(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}",
            self._delete_message,
            "message.delete",
        )
        a("POST", "/channels/{channel_id}/typing", self._typing, "typing")
        a(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            self._thread_from_message,
            "thread.create",
        )
        a("POST", "/channels/{channel_id}/threads", self._thread_without_message, "thread.create")
        a("PUT", "/channels/{channel_id}/thread-members/@me", self._no_content, "thread.join")
        reaction = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        a("PUT", reaction, self._add_reaction, "reaction.add")
        a("DELETE", reaction, self._no_content, "reaction.remove")
        a(
            "POST",
            "/interactions/{interaction_id}/{token}/callback",
            self._interaction_callback,
            "interaction.callback",
            auth=False,
        )
        hook = "/webhooks/{application_id}/{token}"
        a("POST", hook, self._followup, "webhook.followup", auth=False)
        a(
            "GET",
            hook + "/messages/@original",
            self._get_original,
            "webhook.original.get",
            auth=False,
        )
        a(
            "PATCH",
            hook + "/messages/@original",
            self._edit_original,
            "webhook.original.edit",
            auth=False,
        )
        a(
            "DELETE",
            hook + "/messages/@original",
            self._delete_original,
            "webhook.original.delete",
            auth=False,
        )
        a(
            "GET",
            hook + "/messages/{message_id}",
            self._get_webhook_message,
            "webhook.message.get",
            auth=False,
        )
        a(
            "PATCH",
            hook + "/messages/{message_id}",
            self._edit_webhook_message,
            "webhook.message.edit",
            auth=False,
        )
        a(
            "DELETE",
            hook + "/messages/{message_id}",
            self._delete_webhook_message,
            "webhook.message.delete",
            auth=False,
        )

    async def _stray_handler(self, request: web.Request) -> web.StreamResponse:
        action = Action(
            seq=len(self.actions),
            kind="unknown",
            method=request.method,
            path=request.path,
            route="",
            params={},
            query=dict(request.query),
            json=None,
            at=self.now(),
            status=404,
            response={"message": "404: Not Found", "code": 0},
            error_code=0,
        )
        self._record(action)
        return _json_response(404, action.response)

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"].rstrip("/")
        at = self.now()
        body, files = await _read_body(request)
        route, params, method_mismatch = self._match(request.method, path)
        action = Action(
            seq=len(self.actions),
            kind=route.kind if route else "unknown",
            method=request.method,
            path=path,
            route=route.template if route else "",
            params=params,
            query=dict(request.query),
            json=body,
            at=at,
            files=files,
        )
        try:
            if request.match_info["version"] != str(API_VERSION):
                raise DiscordError(400, 50041, "Invalid API version provided.")
            if route is None:
                if method_mismatch:
                    raise DiscordError(405, 0, "405: Method Not Allowed")
                raise DiscordError(404, 0, "404: Not Found")
            if route.auth and request.headers.get("Authorization") != f"Bot {self.config.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            status, payload = await route.handler(action, params, body)
        except DiscordError as err:
            status, payload = err.status, err.payload()
            action.error_code = err.code
        action.status, action.response = status, payload
        self._record(action)
        if status == 204:
            return web.Response(status=204)
        return _json_response(status, payload)

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str], bool]:
        mismatch = False
        for route in self._routes:
            m = route.regex.match(path)
            if m is None:
                continue
            if route.method == method:
                return route, m.groupdict(), False
            mismatch = True
        return None, {}, mismatch

    async def _no_content(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 204, None

    # --- REST: users, gateway, application ----------------------------------------------------

    async def _get_me(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        me = {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0}
        return 200, {**me, "email": None, "locale": "en-US", "bio": ""}

    async def _get_user(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        user = self._users.get(int(p["user_id"]))
        if user is None:
            raise not_found(10013, "Unknown User")
        return 200, user.payload()

    async def _open_dm(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        rid = (body or {}).get("recipient_id")
        if rid is None or int(rid) not in self._users:
            raise form_error(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
        if int(rid) == self.bot_user.id:
            raise DiscordError(400, 50007, "Cannot send messages to this user")
        return 200, self.dm_channel_for(int(rid)).payload(self.bot_user.id)

    async def _get_gateway(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def _get_application(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        owner = self._default_user() if self._guilds else self.bot_user
        return 200, {
            "id": str(self.config.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": owner.payload(),
            "team": None,
            "flags": self._app_flags(),
            "bot": self.bot_user.payload(),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self._guilds),
            "tags": [],
        }

    # --- REST: application commands -----------------------------------------------------------

    def _command_scope(self, p: dict[str, str]) -> int | None:
        if int(p["application_id"]) != self.config.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        if "guild_id" not in p:
            return None
        gid = int(p["guild_id"])
        if gid not in self._guilds:
            raise DiscordError(403, 50001, "Missing Access")
        return gid

    def _store_command(self, scope: int | None, cmd: Mapping[str, Any]) -> dict[str, Any]:
        ctype = int(cmd.get("type", 1))
        key = (scope, ctype, cmd["name"])
        cid = self._command_ids.get(key)
        if cid is None:
            cid = self._command_ids[key] = self._ids.next()
        stored: dict[str, Any] = {
            "id": str(cid),
            "application_id": str(self.config.application_id),
            "version": str(self._ids.next()),
            "type": ctype,
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description", "") if ctype == 1 else "",
            "description_localizations": cmd.get("description_localizations"),
            "options": copy.deepcopy(cmd.get("options") or []),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "dm_permission": cmd.get("dm_permission", True),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
            "nsfw": bool(cmd.get("nsfw", False)),
        }
        if scope is not None:
            stored["guild_id"] = str(scope)
        self._commands.setdefault(scope, {})[(ctype, cmd["name"])] = stored
        return stored

    def _command_by_id(self, scope: int | None, command_id: str) -> dict[str, Any]:
        for cmd in self._commands.get(scope, {}).values():
            if cmd["id"] == command_id:
                return cmd
        raise not_found(*UNKNOWN_COMMAND)

    async def _list_commands(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, self.commands(self._command_scope(p))

    async def _overwrite_commands(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        scope = self._command_scope(p)
        validate_commands(body)
        self._commands[scope] = {}
        return 200, [self._store_command(scope, cmd) for cmd in body]

    async def _upsert_command(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        scope = self._command_scope(p)
        validate_command(body or {}, prefix=[])
        existed = (int(body.get("type", 1)), body["name"]) in self._commands.get(scope, {})
        return (200 if existed else 201), self._store_command(scope, body)

    async def _get_command(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, self._command_by_id(self._command_scope(p), p["command_id"])

    async def _edit_command(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        scope = self._command_scope(p)
        current = self._command_by_id(scope, p["command_id"])
        merged = {**current, **(body or {})}
        validate_command(merged, prefix=[])
        del self._commands[scope][(current["type"], current["name"])]
        return 200, self._store_command(scope, merged)

    async def _delete_command(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        scope = self._command_scope(p)
        current = self._command_by_id(scope, p["command_id"])
        del self._commands[scope][(current["type"], current["name"])]
        return 204, None

    # --- REST: guilds and channels ------------------------------------------------------------

    def _guild_or_404(self, guild_id: str) -> FakeGuild:
        guild = self._guilds.get(int(guild_id))
        if guild is None:
            raise not_found(10004, "Unknown Guild")
        return guild

    async def _get_guild(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        guild = self._guild_or_404(p["guild_id"])
        payload = self._guild_create_payload(
            guild, GatewaySession("rest", Intent.GUILDS, None, None)
        )
        for key in ("members", "channels", "threads", "voice_states", "presences", "joined_at"):
            payload.pop(key, None)
        return 200, payload

    async def _get_guild_channels(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        guild = self._guild_or_404(p["guild_id"])
        return 200, [
            c.payload(self.bot_user.id)
            for c in self._channels.values()
            if c.guild_id == guild.id and not c.is_thread
        ]

    async def _get_member(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        guild = self._guild_or_404(p["guild_id"])
        member = self.member_payload(guild.id, int(p["user_id"]))
        if member is None:
            raise not_found(10007, "Unknown Member")
        return 200, member

    def _channel_or_404(self, channel_id: str) -> FakeChannel:
        channel = self._channels.get(int(channel_id))
        if channel is None:
            raise not_found(*UNKNOWN_CHANNEL)
        return channel

    def _message_or_404(self, channel: FakeChannel, message_id: str) -> FakeMessage:
        msg = self._messages.get(int(message_id))
        if msg is None or msg.channel_id != channel.id or msg.deleted or msg.ephemeral:
            raise not_found(*UNKNOWN_MESSAGE)
        return msg

    def _require_send(self, channel: FakeChannel) -> None:
        parent = self._channels.get(channel.parent_id) if channel.parent_id else None
        if not channel.bot_can_send or (parent is not None and not parent.bot_can_send):
            raise DiscordError(403, 50013, "Missing Permissions")
        if channel.type not in ChannelType.TEXT_LIKE:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")

    async def _get_channel(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, self._channel_or_404(p["channel_id"]).payload(self.bot_user.id)

    async def _list_messages(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        channel = self._channel_or_404(p["channel_id"])
        msgs = self.messages_in(channel.id)
        before, after = act.query.get("before"), act.query.get("after")
        if before:
            msgs = [m for m in msgs if m.id < int(before)]
        if after:
            msgs = [m for m in msgs if m.id > int(after)]
        limit = max(1, min(100, int(act.query.get("limit", 50))))
        chosen = msgs[:limit] if after and not before else msgs[-limit:]
        return 200, [m.payload(self) for m in reversed(chosen)]

    async def _get_message(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        msg = self._message_or_404(self._channel_or_404(p["channel_id"]), p["message_id"])
        return 200, msg.payload(self)

    def _attachments_for(
        self, body: Mapping[str, Any], files: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if sum(f["size"] for f in files) > ATTACHMENTS_BYTES_MAX:
            raise DiscordError(413, 40005, "Request entity too large")
        out = []
        for i, f in enumerate(files):
            aid = self._ids.next()
            out.append(
                {
                    "id": str(aid),
                    "filename": f["filename"] or f"file{i}",
                    "size": f["size"],
                    "url": f"{self.base_url}/attachments/{aid}/{f['filename']}",
                    "proxy_url": f"{self.base_url}/attachments/{aid}/{f['filename']}",
                    "content_type": f.get("content_type"),
                }
            )
        return out

    def _new_bot_message(
        self,
        channel: FakeChannel,
        body: Mapping[str, Any],
        files: list[dict[str, Any]],
        *,
        flags: int = 0,
        type: int = 0,
        interaction: FakeInteraction | None = None,
        reference: FakeMessage | None = None,
    ) -> FakeMessage:
        allowed = body.get("allowed_mentions")
        msg = FakeMessage(
            id=self._ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.bot_user,
            content=str(body.get("content") or ""),
            embeds=copy.deepcopy(body.get("embeds") or []),
            components=copy.deepcopy(body.get("components") or []),
            attachments=self._attachments_for(body, files),
            flags=flags,
            tts=bool(body.get("tts", False)),
            allowed_mentions=copy.deepcopy(allowed),
            allowed_mentions_sent=allowed is not None,
            type=type,
            created_at=self.now(),
            interaction_id=interaction.id if interaction else None,
            webhook_id=self.config.application_id if interaction else None,
            nonce=body.get("nonce"),
            message_reference=self._reference_payload(reference) if reference else None,
        )
        msg.pings = msg.notified = self._pings_for(msg, reference)
        msg.history.append({"at": msg.created_at, "body": copy.deepcopy(dict(body))})
        self._store_message(channel, msg)
        return msg

    def _pings_for(self, msg: FakeMessage, reference: FakeMessage | None) -> Pings:
        guild = self._guilds.get(msg.guild_id) if msg.guild_id is not None else None
        return compute_pings(
            msg.content,
            msg.allowed_mentions,
            in_guild=guild is not None,
            roles=self._roles_of(guild) if guild else {},
            known_users=self._users,
            can_mention_everyone=self.config.bot_can_mention_everyone,
            replied_user_id=reference.author.id if reference else None,
        )

    def _apply_edit(
        self, msg: FakeMessage, body: Mapping[str, Any], files: list[dict[str, Any]]
    ) -> None:
        """PATCH semantics: only keys present change; flags may only toggle SUPPRESS_EMBEDS."""
        validate_message_body(
            body, prefix=[], allowed_flags=INTERACTION_FLAGS, require_content=False
        )
        new = copy.deepcopy(msg)
        if "content" in body:
            new.content = str(body["content"] or "")
        if "embeds" in body:
            new.embeds = copy.deepcopy(body["embeds"] or [])
        if "components" in body:
            new.components = copy.deepcopy(body["components"] or [])
        if "attachments" in body or files:
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in new.attachments if a["id"] in kept_ids]
            new.attachments = kept + self._attachments_for(body, files)
        if body.get("flags") is not None:
            given = int(body["flags"])
            new.flags = (new.flags & ~EDIT_FLAGS) | (given & EDIT_FLAGS)
        new.flags &= ~MessageFlag.LOADING
        if not (new.content or new.embeds or new.components or new.attachments):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        if "allowed_mentions" in body:
            new.allowed_mentions = copy.deepcopy(body["allowed_mentions"])
            new.allowed_mentions_sent = body["allowed_mentions"] is not None
        ref_id = (new.message_reference or {}).get("message_id")
        new.pings = self._pings_for(new, self.message(int(ref_id)) if ref_id else None)
        for attr in _EDITABLE:  # fmt: skip
            setattr(msg, attr, getattr(new, attr))
        msg.edited_at = self.now()
        msg.history.append({"at": msg.edited_at, "body": copy.deepcopy(dict(body))})

    async def _create_message(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        channel = self._channel_or_404(p["channel_id"])
        self._require_send(channel)
        body = body or {}
        validate_message_body(
            body,
            prefix=[],
            allowed_flags=CREATE_FLAGS,
            require_content=True,
            has_files=bool(act.files),
        )
        reference = None
        ref = body.get("message_reference")
        if ref and ref.get("message_id") is not None:
            reference = self._messages.get(int(ref["message_id"]))
            if reference is None or reference.deleted or reference.ephemeral:
                if ref.get("fail_if_not_exists", True):
                    raise form_error(
                        ["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message"
                    )
                reference = None
        msg = self._new_bot_message(
            channel,
            body,
            act.files,
            flags=int(body.get("flags") or 0),
            type=19 if reference else 0,
            reference=reference,
        )
        act.message, act.created_message = msg.snapshot(), True
        await self._publish_message("MESSAGE_CREATE", msg)
        return 200, msg.payload(self)

    async def _edit_message(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        msg = self._message_or_404(self._channel_or_404(p["channel_id"]), p["message_id"])
        if msg.author.id != self.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, body or {}, act.files)
        act.message = msg.snapshot()
        await self._publish_message("MESSAGE_UPDATE", msg)
        return 200, msg.payload(self)

    async def _delete_message(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        msg = self._message_or_404(self._channel_or_404(p["channel_id"]), p["message_id"])
        await self._delete(msg)
        act.message = msg.snapshot()
        return 204, None

    async def _delete(self, msg: FakeMessage) -> None:
        msg.deleted = True
        if msg.ephemeral:
            return
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        intent = Intent.GUILD_MESSAGES if msg.guild_id is not None else Intent.DIRECT_MESSAGES
        await self.dispatch("MESSAGE_DELETE", data, intent=intent)

    async def _typing(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        channel = self._channel_or_404(p["channel_id"])
        self._require_send(channel)
        return 204, None

    async def _add_reaction(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        self._message_or_404(self._channel_or_404(p["channel_id"]), p["message_id"])
        return 204, None

    # --- REST: threads ------------------------------------------------------------------------

    def _validate_thread_body(self, body: Mapping[str, Any]) -> None:
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise form_error(
                ["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        duration = body.get("auto_archive_duration")
        if duration is not None and int(duration) not in _ARCHIVE_DURATIONS:
            raise form_error(
                ["auto_archive_duration"],
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 1440, 4320, 10080}.",
            )

    async def _make_thread(
        self, parent: FakeChannel, thread_id: int, body: Mapping[str, Any], ttype: int
    ) -> FakeChannel:
        thread = FakeChannel(
            thread_id,
            name=str(body["name"]),
            type=ttype,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            created_at=self.wall_time_of(self.now()),
        )
        self._channels[thread.id] = thread
        event = thread.payload(self.bot_user.id)
        event["newly_created"] = True
        event["member"] = {
            "id": str(thread.id),
            "user_id": str(self.bot_user.id),
            "join_timestamp": iso(self.wall_time_of(self.now())),
            "flags": 1,
        }
        await self.dispatch("THREAD_CREATE", event, intent=Intent.GUILDS)
        return thread

    async def _thread_from_message(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        parent = self._channel_or_404(p["channel_id"])
        if parent.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        msg = self._message_or_404(parent, p["message_id"])
        if msg.thread_id is not None:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body = body or {}
        self._validate_thread_body(body)
        ttype = ChannelType.PUBLIC_THREAD if parent.type == 0 else 10
        # Discord gives a thread started from a message the message's own id.
        thread = await self._make_thread(parent, msg.id, body, ttype)
        msg.thread_id = thread.id
        msg.flags |= MessageFlag.HAS_THREAD
        act.message = msg.snapshot()
        return 201, thread.payload(self.bot_user.id)

    async def _thread_without_message(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        parent = self._channel_or_404(p["channel_id"])
        if parent.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        body = body or {}
        self._validate_thread_body(body)
        ttype = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        thread = await self._make_thread(parent, self._ids.next(), body, ttype)
        return 201, thread.payload(self.bot_user.id)

    # --- REST: interactions -------------------------------------------------------------------

    async def _interaction_callback(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        inter = self._interactions.get(int(p["interaction_id"]))
        if inter is None or inter.token != p["token"]:
            raise not_found(*UNKNOWN_INTERACTION)
        act.interaction = inter
        if inter.acknowledged:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if act.at - inter.created_at > self.config.interaction_ack_deadline_s:
            raise not_found(*UNKNOWN_INTERACTION)
        body = body or {}
        ctype = int(body.get("type") or 0)
        if ctype not in _ALLOWED_CALLBACKS.get(inter.type, frozenset()) or (
            ctype in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE)
            and inter.source_message_id is None
        ):
            raise form_error(
                ["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
            )
        data = body.get("data") or {}
        channel = self._channels[inter.channel_id]
        message: FakeMessage | None = None
        event: str | None = None
        if ctype == CallbackType.CHANNEL_MESSAGE:
            validate_message_body(
                data,
                prefix=["data"],
                allowed_flags=INTERACTION_FLAGS,
                require_content=True,
                has_files=bool(act.files),
            )
            mtype = 20 if inter.type == InteractionType.APPLICATION_COMMAND else 0
            message = self._new_bot_message(
                channel,
                data,
                act.files,
                flags=int(data.get("flags") or 0),
                type=mtype,
                interaction=inter,
            )
            event = "MESSAGE_CREATE"
        elif ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE:
            flags = MessageFlag.LOADING | (int(data.get("flags") or 0) & MessageFlag.EPHEMERAL)
            mtype = 20 if inter.type == InteractionType.APPLICATION_COMMAND else 0
            message = self._new_bot_message(
                channel, {}, [], flags=flags, type=mtype, interaction=inter
            )
            event = "MESSAGE_CREATE"
        elif ctype in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
            assert inter.source_message_id is not None
            message = self._messages[inter.source_message_id]
            if ctype == CallbackType.UPDATE_MESSAGE:
                self._apply_edit(message, data, act.files)
                event = "MESSAGE_UPDATE"
        elif ctype == CallbackType.AUTOCOMPLETE_RESULT:
            validate_autocomplete_choices(data.get("choices"))
            inter.autocomplete_choices = copy.deepcopy(data["choices"])
        elif ctype == CallbackType.MODAL:
            validate_modal(data)
            inter.modal = copy.deepcopy(data)
        inter.response_type = ctype
        inter.responded_at = act.at
        inter.callback_body = copy.deepcopy(body)
        if message is not None:
            inter.original_message_id = message.id
            act.message = message.snapshot()
            act.created_message = event == "MESSAGE_CREATE" and not message.loading
        if message is not None and event is not None:
            await self._publish_message(event, message)
        if act.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        callback: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        resource: dict[str, Any] = {"type": ctype}
        if message is not None:
            callback.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.payload(self)
        return 200, {"interaction": callback, "resource": resource}

    def _webhook_interaction(self, p: dict[str, str]) -> FakeInteraction:
        if int(p["application_id"]) != self.config.application_id:
            raise not_found(*UNKNOWN_WEBHOOK)
        inter = self._interactions_by_token.get(p["token"])
        if inter is None:
            raise not_found(*UNKNOWN_WEBHOOK)
        if self.now() - inter.created_at > self.config.interaction_token_lifetime_s:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        if not inter.acknowledged:
            raise not_found(*UNKNOWN_WEBHOOK)
        return inter

    def _interaction_message(self, inter: FakeInteraction, message_id: str) -> FakeMessage:
        mid = inter.original_message_id if message_id == "@original" else int(message_id)
        allowed = {inter.original_message_id, *inter.followup_ids}
        msg = self._messages.get(mid) if mid in allowed and mid is not None else None
        if msg is None or msg.deleted:
            raise not_found(*UNKNOWN_MESSAGE)
        return msg

    async def _followup(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        inter = self._webhook_interaction(p)
        act.interaction = inter
        body = body or {}
        validate_message_body(
            body,
            prefix=[],
            allowed_flags=INTERACTION_FLAGS,
            require_content=True,
            has_files=bool(act.files),
        )
        original = inter.original_message()
        if original is not None and original.loading and not original.deleted:
            # The first follow-up after a "thinking" defer completes that placeholder (same
            # message id, same ephemerality) rather than posting a second message.
            self._apply_edit(original, {k: v for k, v in body.items() if k != "flags"}, act.files)
            msg, event = original, "MESSAGE_UPDATE"
        else:
            channel = self._channels[inter.channel_id]
            msg = self._new_bot_message(
                channel, body, act.files, flags=int(body.get("flags") or 0), interaction=inter
            )
            event = "MESSAGE_CREATE"
        inter.followup_ids.append(msg.id)
        act.message, act.created_message = msg.snapshot(), True
        await self._publish_message(event, msg)
        if act.query.get("wait") in ("0", "false", "False"):
            return 204, None
        return 200, msg.payload(self)

    async def _get_original(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        inter = self._webhook_interaction(p)
        act.interaction = inter
        return 200, self._interaction_message(inter, "@original").payload(self)

    async def _edit_original(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return await self._edit_interaction_message(act, p, body, "@original")

    async def _delete_original(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return await self._delete_interaction_message(act, p, "@original")

    async def _get_webhook_message(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        inter = self._webhook_interaction(p)
        act.interaction = inter
        return 200, self._interaction_message(inter, p["message_id"]).payload(self)

    async def _edit_webhook_message(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        return await self._edit_interaction_message(act, p, body, p["message_id"])

    async def _delete_webhook_message(
        self, act: Action, p: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        return await self._delete_interaction_message(act, p, p["message_id"])

    async def _edit_interaction_message(
        self, act: Action, p: dict[str, str], body: Any, which: str
    ) -> tuple[int, Any]:
        inter = self._webhook_interaction(p)
        act.interaction = inter
        msg = self._interaction_message(inter, which)
        was_loading = msg.loading
        self._apply_edit(msg, body or {}, act.files)
        # Editing a "thinking" placeholder is how a deferred answer first becomes visible.
        act.message, act.created_message = msg.snapshot(), was_loading
        await self._publish_message("MESSAGE_UPDATE", msg)
        return 200, msg.payload(self)

    async def _delete_interaction_message(
        self, act: Action, p: dict[str, str], which: str
    ) -> tuple[int, Any]:
        inter = self._webhook_interaction(p)
        act.interaction = inter
        msg = self._interaction_message(inter, which)
        await self._delete(msg)
        act.message = msg.snapshot()
        return 204, None


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, FakeUser):
        return 6
    if isinstance(value, FakeChannel):
        return 7
    if isinstance(value, FakeRole):
        return 8
    if isinstance(value, Mapping):
        return 1
    return 3


def _json_response(status: int, payload: Any) -> web.Response:
    # discord.py only parses JSON when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        status=status,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )


async def _read_body(request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
    """JSON bodies, or multipart with ``payload_json`` plus files (what discord.py sends)."""
    files: list[dict[str, Any]] = []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        form = await request.post()
        for key, value in form.items():
            if key == "payload_json":
                body = json.loads(value if isinstance(value, str) else value.file.read())
            elif isinstance(value, web.FileField):
                data = value.file.read()
                files.append(
                    {
                        "field": key,
                        "filename": value.filename,
                        "size": len(data),
                        "content_type": value.content_type,
                    }
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, files
    try:
        return json.loads(raw), files
    except ValueError:
        return raw.decode(errors="replace"), files
