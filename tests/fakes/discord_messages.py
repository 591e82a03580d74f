"""The fake's messages and threads: users posting, the bot's REST sends/edits, blanking by intent.

Why together: creating, editing and deleting a message, replying to one and starting a thread on
it share the same validation (content limits, allowed_mentions, permissions) and the same
gateway echo, which must agree or discord.py's message cache drifts. Mixed into ``FakeDiscord``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.discord_gateway import GatewaySession
from tests.fakes.discord_models import (
    Action,
    ChannelType,
    FakeChannel,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    Intent,
    MessageFlag,
    Perm,
    Pings,
    iso,
)
from tests.fakes.discord_rules import (
    ATTACHMENTS_BYTES_MAX,
    CREATE_FLAGS,
    EDIT_FLAGS,
    INTERACTION_FLAGS,
    UNKNOWN_MESSAGE,
    DiscordError,
    compute_pings,
    form_error,
    not_found,
    validate_message_body,
)

_MISSING: Any = object()


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


class MessagesMixin:
    """Mixed into ``FakeDiscord``; see the module docstring."""

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
        if channel.is_thread:
            self._check_archive(channel)
            if channel.locked:
                raise PermissionError(f"thread {channel.id} is locked: {user.username} cannot post")
            await self._unarchive_for_send(channel)
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
            channel.last_activity = self.now()
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

    def _message_or_404(self, channel: FakeChannel, message_id: str) -> FakeMessage:
        msg = self._messages.get(int(message_id))
        if msg is None or msg.channel_id != channel.id or msg.deleted or msg.ephemeral:
            raise not_found(*UNKNOWN_MESSAGE)
        return msg

    def _require_send(self, channel: FakeChannel, *, reply: bool = False) -> None:
        """Discord's checks before the bot posts in ``channel`` (a reply needs message history)."""
        if channel.type not in ChannelType.TEXT_LIKE:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.is_dm:
            assert channel.recipient is not None
            if channel.recipient.id in self.closed_dms:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
            return
        perms = self.permissions_in(channel, self.bot_user.id)
        if not perms & Perm.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        needed = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if not perms & needed:
            raise DiscordError(403, 50013, "Missing Permissions")
        if reply and not perms & Perm.READ_MESSAGE_HISTORY:
            raise DiscordError(
                403, 160002, "Cannot reply without permission to read message history"
            )
        if channel.is_thread:
            self._check_archive(channel)
            if channel.locked and not perms & Perm.MANAGE_THREADS:
                raise DiscordError(403, 160005, "Thread is locked")

    def _check_archive(self, thread: FakeChannel) -> None:
        """Archive a thread whose auto-archive time has passed since its last message."""
        idle = self.now() - (thread.last_activity or thread.created_at)
        if not thread.archived and idle > thread.auto_archive_duration * 60:
            thread.archived = True

    def _require_unarchived(self, channel: FakeChannel) -> None:
        """Edits and deletes in an archived thread fail; only a new message unarchives it."""
        if channel.is_thread:
            self._check_archive(channel)
            if channel.archived:
                raise DiscordError(
                    400, 50083, "Operation cannot be performed on an archived thread."
                )

    async def _unarchive_for_send(self, channel: FakeChannel) -> None:
        if channel.is_thread and channel.archived and not channel.locked:
            channel.archived = False
            await self.dispatch(
                "THREAD_UPDATE", channel.payload(self.bot_user.id), intent=Intent.GUILDS
            )

    async def archive_thread(self, thread_id: int, *, locked: bool = False) -> None:
        """A moderator (or the auto-archive timer) archives, and maybe locks, a thread."""
        thread = self._channels[thread_id]
        thread.archived, thread.locked = True, locked
        await self.dispatch("THREAD_UPDATE", thread.payload(self.bot_user.id), intent=Intent.GUILDS)

    def close_dms(self, user: FakeUser | int | str) -> None:
        """``user`` turns off DMs from server members: the bot's DMs get 403/50007."""
        self.closed_dms.add(self.user(user).id)

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
        body = body or {}
        self._require_send(channel, reply=bool(body.get("message_reference") or {}))
        await self._unarchive_for_send(channel)
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
        channel = self._channel_or_404(p["channel_id"])
        msg = self._message_or_404(channel, p["message_id"])
        if msg.author.id != self.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self._require_unarchived(channel)
        self._apply_edit(msg, body or {}, act.files)
        act.message = msg.snapshot()
        await self._publish_message("MESSAGE_UPDATE", msg)
        return 200, msg.payload(self)

    async def _delete_message(self, act: Action, p: dict[str, str], body: Any) -> tuple[int, Any]:
        channel = self._channel_or_404(p["channel_id"])
        msg = self._message_or_404(channel, p["message_id"])
        self._require_unarchived(channel)
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
            last_activity=self.now(),
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
        perms = self.permissions_in(parent, self.bot_user.id)
        if not perms & Perm.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if not perms & Perm.CREATE_PUBLIC_THREADS:
            raise DiscordError(403, 50013, "Missing Permissions")
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
