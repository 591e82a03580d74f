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
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.discord_cdn import CdnMixin, FakeAttachment
from tests.fakes.discord_commands import CommandsMixin
from tests.fakes.discord_gateway import GatewayMixin, GatewaySession, _Conn
from tests.fakes.discord_guilds import GuildsMixin
from tests.fakes.discord_interactions import InteractionsMixin
from tests.fakes.discord_messages import MessagesMixin
from tests.fakes.discord_models import (
    API_VERSION,
    Action,
    ChannelType,
    FakeChannel,
    FakeDiscordConfig,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    SnowflakeFactory,
)
from tests.fakes.discord_ratelimits import RateLimits
from tests.fakes.discord_rules import DiscordError

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


class FakeDiscord(
    GatewayMixin, GuildsMixin, MessagesMixin, InteractionsMixin, CommandsMixin, CdnMixin
):
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
        self.rate_limits = RateLimits(self.now, self.wall_time_of, self.config.global_rate_limit)

        self.bot_user = FakeUser(self.config.bot_id, self.config.bot_name, bot=True)
        self._users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user}
        self._guilds: dict[int, FakeGuild] = {}
        self._channels: dict[int, FakeChannel] = {}
        self._bot_role_ids: dict[int, int] = {}
        self._dm_by_user: dict[int, int] = {}
        self.closed_dms: set[int] = set()
        for guild in self.config.guilds:
            self._add_guild(guild)

        self._messages: dict[int, FakeMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._interactions: dict[int, FakeInteraction] = {}
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self._commands: dict[int | None, dict[tuple[int, str], dict[str, Any]]] = {}
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self.attachments: dict[int, FakeAttachment] = {}

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
        cdn = "/ephemeral-attachments/{channel_id}/{attachment_id:\\d+}/{filename}"
        app.router.add_get(cdn, self._cdn_handler)
        app.router.add_get("/media" + cdn, self._cdn_handler)
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

    # --- observation --------------------------------------------------------------------------

    def rate_limit_next(
        self, kind: str, retry_after: float = 0.2, *, is_global: bool = False, scope: str = "shared"
    ) -> None:
        """Answer the next ``kind`` request (e.g. "message.create") with a 429, as Discord may."""
        self.rate_limits.inject(kind, retry_after, is_global=is_global, scope=scope)

    @property
    def rate_limited(self) -> list[Action]:
        return [a for a in self.actions if a.status == 429]

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

    # --- gateway: test side -------------------------------------------------------------------

    # --- guild/channel setup ------------------------------------------------------------------

    # --- test side: messages ------------------------------------------------------------------

    # --- test side: interactions --------------------------------------------------------------

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
        headers: dict[str, str] = {}
        try:
            if request.match_info["version"] != str(API_VERSION):
                raise DiscordError(400, 50041, "Invalid API version provided.")
            if route is None:
                if method_mismatch:
                    raise DiscordError(405, 0, "405: Method Not Allowed")
                raise DiscordError(404, 0, "404: Not Found")
            if route.auth and request.headers.get("Authorization") != f"Bot {self.config.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            if self.config.rate_limits:
                verdict = self.rate_limits.check(route.kind, _major_parameter(params))
                headers = verdict.headers
                if verdict.refused is not None:
                    action.status, action.response = 429, verdict.refused
                    self._record(action)
                    return _json_response(429, verdict.refused, headers)
            status, payload = await route.handler(action, params, body)
        except DiscordError as err:
            status, payload = err.status, err.payload()
            action.error_code = err.code
        action.status, action.response = status, payload
        self._record(action)
        if status == 204:
            return web.Response(status=204, headers={**_VIA, **headers})
        return _json_response(status, payload, headers)

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

    # --- REST: application commands -----------------------------------------------------------

    # --- REST: guilds and channels ------------------------------------------------------------

    # --- REST: threads ------------------------------------------------------------------------

    # --- REST: interactions -------------------------------------------------------------------


# Every reply from Discord's API passes its proxy; discord.py only trusts a 429 that says so.
_VIA = {"Via": "1.1 google"}


def _json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py only parses JSON when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        status=status,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **_VIA, **(headers or {})},
    )


def _major_parameter(params: dict[str, str]) -> str:
    """The part of a route that gets its own bucket, as Discord (and discord.py) group them."""
    for key in ("channel_id", "guild_id", "token"):
        if key in params:
            return f"{key}={params[key]}"
    return ""


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
