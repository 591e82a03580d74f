"""State kept by the loopback fake Discord: users, guilds, channels, messages, interactions.

These are plain dataclasses so a test can build a configuration and inspect what the bot did
without reading the HTTP/gateway plumbing in ``discord_server``. Payload builders live here too
because the same object (a message, a channel) is rendered for REST replies, gateway events and
interaction payloads, and those renderings must agree or discord.py's caches drift apart.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.discord_server import FakeDiscord

DISCORD_EPOCH_MS = 1_420_070_400_000
API_VERSION = 10


# --- Discord constants the fake needs (names as in the API docs) ---------------------------------


class Intent:
    """Gateway intent bits; the fake filters events by them exactly as Discord does."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


class MessageFlag:
    """Message flag bits the fake validates or sets."""

    SUPPRESS_EMBEDS = 1 << 2
    HAS_THREAD = 1 << 5
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_VOICE_MESSAGE = 1 << 13
    IS_COMPONENTS_V2 = 1 << 15


class ChannelType:
    """Channel types the fake models."""

    GUILD_TEXT = 0
    DM = 1
    GUILD_ANNOUNCEMENT = 5
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12

    TEXT_LIKE = frozenset({0, 1, 5, 10, 11, 12})
    THREADS = frozenset({10, 11, 12})


class InteractionType:
    """Interaction types (INTERACTION_CREATE ``type``)."""

    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    """Interaction callback types (``POST /interactions/{id}/{token}/callback`` ``type``)."""

    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class Perm:
    """Permission bits used to build roles and overwrites discord.py can compute with."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_MESSAGES = 1 << 13
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1


EVERYONE_PERMISSIONS = (
    Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
)


def iso(ts: float) -> str:
    """Render a wall-clock timestamp the way Discord does (ISO 8601, UTC, with offset)."""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat()


def snowflake_at(wall_ts: float, increment: int = 0) -> int:
    """Build a snowflake for a wall time so discord.py's ``created_at`` stays meaningful."""
    return ((int(wall_ts * 1000) - DISCORD_EPOCH_MS) << 22) | (increment & 0xFFF)


class SnowflakeFactory:
    """Monotonic snowflake source; ids must sort by creation like Discord's or history breaks."""

    def __init__(self, wall_clock: Callable[[], float]) -> None:
        self._wall_clock = wall_clock
        self._last = 0

    def next(self) -> int:
        candidate = snowflake_at(self._wall_clock())
        self._last = max(candidate, self._last + 1)
        return self._last


# --- configuration -------------------------------------------------------------------------------

# Fixed ids (valid 2023-era snowflakes) so tests and failure messages are stable across runs.
BOT_ID = 1_100_000_000_000_000_001
GUILD_ID = 1_100_000_000_000_000_100
GENERAL_CHANNEL_ID = 1_100_000_000_000_000_201
PANEL_CHANNEL_ID = 1_100_000_000_000_000_202
ALICE_ID = 1_100_000_000_000_000_301
BOB_ID = 1_100_000_000_000_000_302
PANELISTS_ROLE_ID = 1_100_000_000_000_000_401


@dataclass(frozen=True)
class FakeUser:
    """A Discord user; frozen so it can be shared between configs, messages and interactions."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeRole:
    """A guild role; ``mentionable`` matters because it gates role pings for the bot."""

    id: int
    name: str
    permissions: int = 0
    mentionable: bool = False
    position: int = 1
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite: ``type`` 0 a role (the guild id is @everyone), 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class FakeChannel:
    """A guild channel, thread or DM; one type so routes can look any channel id up uniformly."""

    id: int
    name: str = ""
    type: int = ChannelType.GUILD_TEXT
    guild_id: int | None = None
    topic: str | None = None
    parent_id: int | None = None
    position: int = 0
    bot_can_send: bool = True  # shorthand for a member overwrite denying both send permissions
    overwrites: list[Overwrite] = field(default_factory=list)
    owner_id: int | None = None
    recipient: FakeUser | None = None
    auto_archive_duration: int = 1440
    created_at: float = 0.0
    last_message_id: int | None = None
    message_count: int = 0
    archived: bool = False  # threads only: archived threads unarchive on a send, unless locked
    locked: bool = False
    last_activity: float = 0.0  # fake clock; a thread auto-archives after auto_archive_duration

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    def all_overwrites(self, bot_id: int) -> list[Overwrite]:
        extra = []
        if not self.bot_can_send:
            deny = Perm.SEND_MESSAGES | Perm.SEND_MESSAGES_IN_THREADS
            extra.append(Overwrite(bot_id, 1, deny=deny))
        return [*self.overwrites, *extra]

    def payload(self, bot_id: int) -> dict[str, Any]:
        if self.is_dm:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": ChannelType.DM,
                "last_message_id": _opt_str(self.last_message_id),
                "recipients": [self.recipient.payload()],
                "flags": 0,
            }
        base: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "parent_id": _opt_str(self.parent_id),
            "last_message_id": _opt_str(self.last_message_id),
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if self.is_thread:
            base.update(
                owner_id=str(self.owner_id or bot_id),
                message_count=self.message_count,
                total_message_sent=self.message_count,
                member_count=1,
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso(self.created_at),
                    "locked": self.locked,
                    "create_timestamp": iso(self.created_at),
                },
            )
            return base
        base.update(
            position=self.position,
            permission_overwrites=[o.payload() for o in self.all_overwrites(bot_id)],
            nsfw=False,
            topic=self.topic,
            default_auto_archive_duration=1440,
            default_thread_rate_limit_per_user=0,
        )
        return base


@dataclass
class FakeGuild:
    """A guild the bot is in; members listed here are the users a test can act as there."""

    id: int
    name: str
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeUser] = field(default_factory=list)
    roles: list[FakeRole] = field(default_factory=list)
    member_roles: dict[int, list[int]] = field(default_factory=dict)
    owner_id: int | None = None
    everyone_permissions: int = EVERYONE_PERMISSIONS
    # The bot's managed role (what the invite's permissions integer granted); None: no extra bits.
    bot_permissions: int = 0
    joined_at: float = 1_700_000_000.0


@dataclass
class FakeDiscordConfig:
    """Everything a test may vary about the fake Discord; defaults give one ready-made guild."""

    token: str = "fake-bot-token"
    bot_id: int = BOT_ID
    bot_name: str = "panelist"
    application_id: int = BOT_ID
    guilds: list[FakeGuild] = field(default_factory=lambda: [default_guild()])
    # Developer-portal toggles for privileged intents: identifying with one that is off closes
    # the gateway with 4014 (discord.py raises PrivilegedIntentsRequired), as Discord does.
    message_content_intent: bool = True
    members_intent: bool = False
    presences_intent: bool = False
    bot_can_mention_everyone: bool = True
    interaction_ack_deadline_s: float = 3.0
    interaction_token_lifetime_s: float = 15 * 60.0
    heartbeat_interval_ms: int = 41_250
    # Discord only sends INTERACTION_CREATE for commands it knows; keep that unless a test opts out.
    require_registered_commands: bool = True
    # Discord echoes the bot's own messages back as MESSAGE_CREATE; bots must ignore them.
    echo_bot_messages: bool = True
    # What GET /gateway/bot recommends; guilds and events go to shard (guild_id >> 22) % shards.
    shards: int = 1
    # Rate limits (see discord_ratelimits): per-bucket limits with Discord's headers and 429s.
    rate_limits: bool = True
    global_rate_limit: int = 50  # requests per second per bot, as Discord's default


def default_guild() -> FakeGuild:
    """One guild, two text channels, two humans and a non-mentionable role."""
    alice = FakeUser(ALICE_ID, "alice", "Alice")
    bob = FakeUser(BOB_ID, "bob", "Bob")
    return FakeGuild(
        id=GUILD_ID,
        name="Panel Club",
        channels=[
            FakeChannel(GENERAL_CHANNEL_ID, "general", position=0),
            FakeChannel(PANEL_CHANNEL_ID, "panel", position=1, topic="Ask the panel"),
        ],
        members=[alice, bob],
        roles=[FakeRole(PANELISTS_ROLE_ID, "Panelists", mentionable=False)],
        member_roles={ALICE_ID: [PANELISTS_ROLE_ID]},
        owner_id=ALICE_ID,
    )


# --- observed state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pings:
    """Who a message would notify, per Discord's allowed_mentions rules (see discord_rules)."""

    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    everyone: bool = False
    here: bool = False
    replied_user: bool = False

    @property
    def anyone(self) -> bool:
        return bool(self.users or self.roles or self.everyone or self.here)


@dataclass
class FakeMessage:
    """A message as the fake stores it; ``allowed_mentions`` is exactly what the bot sent.

    ``allowed_mentions_sent`` separates "key absent" (Discord parses every mention) from an
    explicit value, which is the distinction that decides whether ``@everyone`` pings.
    ``pings`` is who the current content mentions (recomputed on every edit); ``notified`` is
    who was actually notified, which only happens on creation -- so an answer that completes a
    deferred "thinking..." placeholder notifies nobody, as on Discord.
    """

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    allowed_mentions: dict[str, Any] | None = None
    allowed_mentions_sent: bool = False
    pings: Pings = field(default_factory=Pings)
    notified: Pings = field(default_factory=Pings)
    message_reference: dict[str, Any] | None = None
    type: int = 0
    created_at: float = 0.0
    edited_at: float | None = None
    deleted: bool = False
    interaction_id: int | None = None
    webhook_id: int | None = None
    thread_id: int | None = None
    nonce: str | int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & MessageFlag.LOADING)

    @property
    def suppress_embeds(self) -> bool:
        return bool(self.flags & MessageFlag.SUPPRESS_EMBEDS)

    @property
    def silent(self) -> bool:
        return bool(self.flags & MessageFlag.SUPPRESS_NOTIFICATIONS)

    def custom_ids(self) -> list[str]:
        """All component custom_ids, so a test can see which buttons the bot attached."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def snapshot(self) -> FakeMessage:
        return copy.deepcopy(self)

    def payload(self, fake: FakeDiscord, *, gateway: bool = False) -> dict[str, Any]:
        """Render as Discord does; gateway events additionally carry guild_id and member."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(fake.wall_time_of(self.created_at)),
            "edited_timestamp": (
                iso(fake.wall_time_of(self.edited_at)) if self.edited_at is not None else None
            ),
            "tts": self.tts,
            "mention_everyone": self.pings.everyone or self.pings.here,
            "mentions": [fake.user_payload(uid) for uid in sorted(self.pings.users)],
            "mention_roles": [str(r) for r in sorted(self.pings.roles)],
            "attachments": self.attachments,
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
            ref_id = self.message_reference.get("message_id")
            ref = fake.message(int(ref_id)) if ref_id is not None else None
            data["referenced_message"] = ref.payload(fake) if ref is not None else None
        if self.thread_id is not None:
            thread = fake.channel(self.thread_id)
            if thread is not None:
                data["thread"] = thread.payload(fake.config.bot_id)
        if gateway and self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
            member = fake.member_payload(self.guild_id, self.author.id, with_user=False)
            if member is not None:
                data["member"] = member
        return data


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten action rows, sections, containers and labels into their leaf components."""
    out: list[dict[str, Any]] = []
    for comp in components:
        out.append(comp)
        for key in ("components", "accessory", "component"):
            child = comp.get(key)
            if isinstance(child, list):
                out.extend(walk_components(child))
            elif isinstance(child, dict):
                out.extend(walk_components([child]))
    return out


@dataclass(eq=False)
class Action:
    """One REST request the bot made, with the fake's verdict and the resulting message state.

    ``message`` is a snapshot taken right after this request, so a later edit does not change
    what an earlier action shows; use ``FakeDiscord.message(id)`` for the live object.
    """

    seq: int
    kind: str
    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    at: float
    status: int = 0
    response: Any = None
    error_code: int | None = None
    message: FakeMessage | None = None
    # True when this request made a bot message visible with its content: a create, or the
    # completion of a "thinking..." placeholder (which is created empty at defer time).
    created_message: bool = False
    interaction: FakeInteraction | None = None
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def allowed_mentions(self) -> Any:
        """The allowed_mentions the bot sent in this request body (None if absent)."""
        body = self.json if isinstance(self.json, dict) else {}
        if self.kind == "interaction.callback":
            body = body.get("data") or {}
        return body.get("allowed_mentions")

    @property
    def flags(self) -> int | None:
        body = self.json if isinstance(self.json, dict) else {}
        if self.kind == "interaction.callback":
            body = body.get("data") or {}
        return body.get("flags")

    def __repr__(self) -> str:
        code = f" code={self.error_code}" if self.error_code is not None else ""
        return f"<Action #{self.seq} {self.kind} {self.method} {self.path} -> {self.status}{code}>"


@dataclass(eq=False)
class FakeInteraction:
    """Handle for an interaction the test dispatched; fills in as the bot responds.

    Times are on the fake's clock (``FakeDiscord.now()``), which ``advance_clock`` moves, so
    deadline tests do not need real sleeps.
    """

    id: int
    token: str
    type: int
    data: dict[str, Any]
    channel_id: int
    guild_id: int | None
    user: FakeUser
    created_at: float
    payload: dict[str, Any]
    fake: FakeDiscord = field(repr=False)
    source_message_id: int | None = None
    response_type: int | None = None
    responded_at: float | None = None
    callback_body: dict[str, Any] | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    autocomplete_choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def deferred_at(self) -> float | None:
        deferred = (CallbackType.DEFERRED_CHANNEL_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)
        return self.responded_at if self.response_type in deferred else None

    @property
    def response_delay(self) -> float | None:
        """Seconds between dispatch and the accepted initial response, on the fake clock."""
        return None if self.responded_at is None else self.responded_at - self.created_at

    def original_message(self) -> FakeMessage | None:
        if self.original_message_id is None:
            return None
        return self.fake.message(self.original_message_id)

    @property
    def followups(self) -> list[FakeMessage]:
        msgs = (self.fake.message(mid) for mid in self.followup_ids)
        return [m for m in msgs if m is not None]

    @property
    def actions(self) -> list[Action]:
        return [a for a in self.fake.actions if a.interaction is self]

    async def wait_for_response(self, timeout: float = 5.0) -> Action:
        """Wait for the accepted initial callback (any type)."""
        return await self.fake.wait_for(
            lambda a: a.interaction is self and a.kind == "interaction.callback" and a.ok,
            timeout=timeout,
            what=f"an initial response to interaction {self.id}",
        )

    async def wait_for_followups(self, count: int = 1, timeout: float = 5.0) -> list[FakeMessage]:
        """Wait until ``count`` follow-up messages were accepted."""
        await self.fake.wait_for(
            lambda a: a.interaction is self and len(self.followup_ids) >= count,
            timeout=timeout,
            what=f"{count} follow-up(s) to interaction {self.id}",
        )
        return self.followups

    async def wait_for_final_original(self, timeout: float = 5.0) -> FakeMessage:
        """Wait until the original response exists and is no longer a "thinking..." placeholder."""

        def done(_: Action) -> bool:
            msg = self.original_message()
            return msg is not None and not msg.loading

        await self.fake.wait_for(
            lambda a: a.interaction is self and done(a),
            timeout=timeout,
            what=f"a final original response to interaction {self.id}",
        )
        msg = self.original_message()
        assert msg is not None
        return msg


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


def wall_now() -> float:
    return time.time()
