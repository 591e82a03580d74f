"""The fake's application and application-command routes (sync, upsert, edit, delete).

Why separate: command registration is validated against Discord's schema rules
(``discord_rules.validate_command``) and is the only state a deploy changes. Mixed into
``FakeDiscord`` (``discord_server``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from tests.fakes.discord_models import (
    Action,
)
from tests.fakes.discord_rules import (
    UNKNOWN_COMMAND,
    DiscordError,
    not_found,
    validate_command,
    validate_commands,
)


class CommandsMixin:
    """Mixed into ``FakeDiscord``; see the module docstring."""

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
