"""The fake's guilds, members, roles, users and channel lookups, with their REST routes.

Why together: who is in a guild and with which roles decides every permission check the fake
makes, so members, roles and the permission arithmetic sit next to each other. Mixed into
``FakeDiscord`` (``discord_server``).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.discord_gateway import GatewaySession
from tests.fakes.discord_models import (
    Action,
    FakeChannel,
    FakeGuild,
    FakeRole,
    FakeUser,
    Intent,
    Overwrite,
    Perm,
    iso,
)
from tests.fakes.discord_permissions import base_permissions, channel_permissions
from tests.fakes.discord_rules import (
    UNKNOWN_CHANNEL,
    DiscordError,
    form_error,
    not_found,
)


class GuildsMixin:
    """Mixed into ``FakeDiscord``; see the module docstring."""

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

    def _bot_role_perms(self, guild: FakeGuild) -> int:
        extra = Perm.MENTION_EVERYONE if self.config.bot_can_mention_everyone else 0
        return guild.bot_permissions | extra

    def _bot_perms(self, guild: FakeGuild) -> int:
        """The bot's guild-wide permissions (@everyone plus its managed role)."""
        return base_permissions(guild.everyone_permissions, [self._bot_role_perms(guild)])

    def bot_role_id(self, guild_id: int | None = None) -> int:
        """The id of the bot's managed role in a guild (what ``<@&id>`` mentions)."""
        return self._bot_role_ids[self.guild(guild_id).id]

    async def set_overwrites(self, channel_id: int, overwrites: list[Overwrite]) -> None:
        """An admin edits a channel's permissions; Discord announces it with CHANNEL_UPDATE."""
        channel = self._channels[channel_id]
        channel.overwrites = list(overwrites)
        await self.dispatch(
            "CHANNEL_UPDATE", channel.payload(self.bot_user.id), intent=Intent.GUILDS
        )

    def permissions_in(self, channel: FakeChannel, user_id: int) -> int:
        """What ``user_id`` may do in ``channel`` (a thread: its parent's overwrites)."""
        if channel.guild_id is None:
            return Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.READ_MESSAGE_HISTORY
        guild = self._guilds[channel.guild_id]
        parent = self._channels.get(channel.parent_id) if channel.parent_id else None
        holder = parent if parent is not None else channel
        if user_id == self.bot_user.id:
            role_ids = [self._bot_role_ids[guild.id]]
        else:
            role_ids = guild.member_roles.get(user_id, [])
        return channel_permissions(
            self._member_perms(guild, user_id),
            holder.all_overwrites(self.bot_user.id),
            guild_id=guild.id,
            role_ids=role_ids,
            member_id=user_id,
        )

    def _roles_of(self, guild: FakeGuild) -> dict[int, FakeRole]:
        roles = {r.id: r for r in guild.roles}
        roles[guild.id] = self._everyone_role(guild)
        bot_role = FakeRole(
            self._bot_role_ids[guild.id],
            self.bot_user.username,
            self._bot_role_perms(guild),
            mentionable=True,  # the @ picker offers it, so users do mention it
            managed=True,
        )
        roles[bot_role.id] = bot_role
        return roles

    def _member_perms(self, guild: FakeGuild, user_id: int) -> int:
        if user_id == self.bot_user.id:
            return self._bot_perms(guild)
        roles = {r.id: r.permissions for r in guild.roles}
        granted = [roles[r] for r in guild.member_roles.get(user_id, []) if r in roles]
        return base_permissions(
            guild.everyone_permissions, granted, owner=user_id == guild.owner_id
        )

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
        # Opening the channel works even when the user's DMs are closed; sending then fails.
        return 200, self.dm_channel_for(int(rid)).payload(self.bot_user.id)

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

    async def _get_channel(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, self._channel_or_404(p["channel_id"]).payload(self.bot_user.id)
