"""The fake's interactions: slash commands, autocomplete, buttons, modals, and their webhooks.

Why together: an interaction's life (the 3-second acknowledgement, one initial response, then
15 minutes of webhook edits and follow-ups on its token) is one state machine, kept in one place.
Mixed into ``FakeDiscord`` (``discord_server``).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

from tests.fakes.discord_cdn import FakeAttachment
from tests.fakes.discord_models import (
    Action,
    CallbackType,
    ChannelType,
    FakeChannel,
    FakeInteraction,
    FakeMessage,
    FakeRole,
    FakeUser,
    InteractionType,
    MessageFlag,
    Perm,
)
from tests.fakes.discord_rules import (
    ATTACHMENTS_BYTES_MAX,
    INTERACTION_FLAGS,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    DiscordError,
    find_component,
    form_error,
    not_found,
    validate_autocomplete_choices,
    validate_message_body,
    validate_modal,
)

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


class InteractionsMixin:
    """Mixed into ``FakeDiscord``; see the module docstring."""

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
                app_permissions=str(self.permissions_in(channel, self.bot_user.id)),
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

    async def send_context_menu(
        self,
        name: str,
        target: FakeMessage | int,
        *,
        user: FakeUser | int | str | None = None,
    ) -> FakeInteraction:
        """A user picks Apps → ``name`` on a message. Discord resolves the message with its
        content even for an app without the message-content intent."""
        msg = self._resolve_message(target)
        cmd = self._find_command(name, msg.guild_id, 3)
        if cmd is None and self.config.require_registered_commands:
            raise LookupError(f"message command {name!r} is not registered with the fake")
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else str(self._ids.next()),
            "name": name,
            "type": 3,
            "target_id": str(msg.id),
            "resolved": {"messages": {str(msg.id): msg.payload(self, gateway=True)}},
        }
        return await self.send_interaction(
            InteractionType.APPLICATION_COMMAND, data, user=user, channel_id=msg.channel_id
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
        needed = int((cmd or {}).get("default_member_permissions") or 0)
        if needed and channel.guild_id is not None:
            have = self._member_perms(self._guilds[channel.guild_id], who.id)
            if needed & ~have and not have & Perm.ADMINISTRATOR:
                raise LookupError(
                    f"/{name} is hidden from {who.username}: it needs permissions {needed} "
                    "(default_member_permissions), so Discord would not send this"
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
        if otype == 11:
            return self.attachment_option(value, resolved)
        return value if isinstance(value, str) else str(value)

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
    if isinstance(value, FakeAttachment):
        return 11
    if isinstance(value, Mapping):
        return 1
    return 3
