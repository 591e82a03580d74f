"""Discord's validation rules, as the fake enforces them.

The point of the fake is that bot bugs fail the way they would against real Discord, so every
limit here mirrors a documented API limit and answers with Discord's own status and error code
(``50035 Invalid Form Body`` with a nested ``errors`` tree, ``50006`` empty message, ...).
discord.py turns these bodies into ``HTTPException.code``/``.text``, which tests can assert on.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Any
from urllib.parse import urlparse

from tests.fakes.discord_models import FakeRole, MessageFlag, Pings, walk_components

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
AUTOCOMPLETE_CHOICES_MAX = 25
ATTACHMENTS_BYTES_MAX = 10 * 1024 * 1024

CREATE_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS
    | MessageFlag.SUPPRESS_NOTIFICATIONS
    | MessageFlag.IS_VOICE_MESSAGE
    | MessageFlag.IS_COMPONENTS_V2
)
INTERACTION_FLAGS = CREATE_FLAGS | MessageFlag.EPHEMERAL
EDIT_FLAGS = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2

_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class DiscordError(Exception):
    """An API error the fake answers with; ``payload()`` is Discord's JSON error body."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def form_error(path: list[str | int], code: str, message: str) -> DiscordError:
    """400/50035 with the error nested at ``path``, exactly how Discord reports bad fields."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        tree = {str(key): tree}
    return DiscordError(400, 50035, "Invalid Form Body", tree)


def not_found(code: int, message: str) -> DiscordError:
    return DiscordError(404, code, message)


UNKNOWN_CHANNEL = (10003, "Unknown Channel")
UNKNOWN_MESSAGE = (10008, "Unknown Message")
UNKNOWN_WEBHOOK = (10015, "Unknown Webhook")
UNKNOWN_INTERACTION = (10062, "Unknown interaction")
UNKNOWN_COMMAND = (10063, "Unknown application command")


def _max_len(value: Any, limit: int, path: list[str | int]) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _check_url(value: Any, path: list[str | int]) -> None:
    if value is None:
        return
    scheme = urlparse(str(value)).scheme
    if scheme not in ("http", "https", "attachment"):
        raise form_error(
            path,
            "URL_TYPE_INVALID_SCHEME",
            f"Scheme \"{scheme}\" is not supported. Scheme must be one of ('http', 'https').",
        )


def validate_message_body(
    body: Mapping[str, Any],
    *,
    prefix: list[str | int],
    allowed_flags: int,
    require_content: bool,
    has_files: bool = False,
) -> None:
    """Check a create/edit body; ``prefix`` is ``["data"]`` for interaction callbacks."""
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        content = str(content)
    if content is not None:
        _max_len(content, CONTENT_MAX, [*prefix, "content"])
    embeds = body.get("embeds") or []
    validate_embeds(embeds, prefix=prefix)
    components = body.get("components") or []
    flags = body.get("flags")
    if flags is not None:
        flags = int(flags)
        if flags & ~allowed_flags:
            raise form_error([*prefix, "flags"], "MESSAGE_FLAGS_INVALID", "Invalid flags.")
    if not (int(flags or 0) & MessageFlag.IS_COMPONENTS_V2):
        validate_components(components, prefix=prefix)
    elif content or embeds:
        raise form_error(
            [*prefix, "content"],
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
        )
    validate_allowed_mentions(body.get("allowed_mentions"), prefix=prefix)
    if require_content and not (
        content
        or embeds
        or components
        or has_files
        or body.get("sticker_ids")
        or body.get("poll")
        or body.get("attachments")
    ):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def validate_embeds(embeds: list[dict[str, Any]], *, prefix: list[str | int]) -> None:
    """Per-field and total embed limits; the 6000-character total is the one bots trip over."""
    if len(embeds) > EMBEDS_MAX:
        raise form_error(
            [*prefix, "embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length."
        )
    total = 0
    for i, embed in enumerate(embeds):
        path: list[str | int] = [*prefix, "embeds", i]
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        _max_len(title, 256, [*path, "title"])
        _max_len(description, 4096, [*path, "description"])
        _check_url(embed.get("url"), [*path, "url"])
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise form_error(
                [*path, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        total += len(title) + len(description)
        for j, fld in enumerate(fields):
            name, value = fld.get("name") or "", fld.get("value") or ""
            if not name:
                raise form_error(
                    [*path, "fields", j, "name"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            if not value:
                raise form_error(
                    [*path, "fields", j, "value"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            _max_len(name, 256, [*path, "fields", j, "name"])
            _max_len(value, 1024, [*path, "fields", j, "value"])
            total += len(name) + len(value)
        footer = embed.get("footer") or {}
        _max_len(footer.get("text"), 2048, [*path, "footer", "text"])
        total += len(footer.get("text") or "")
        author = embed.get("author") or {}
        _max_len(author.get("name"), 256, [*path, "author", "name"])
        _check_url(author.get("url"), [*path, "author", "url"])
        total += len(author.get("name") or "")
        for key in ("image", "thumbnail"):
            _check_url((embed.get(key) or {}).get("url"), [*path, key, "url"])
    if total > EMBED_TOTAL_MAX:
        raise form_error(
            [*prefix, "embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        )


def validate_components(components: list[dict[str, Any]], *, prefix: list[str | int]) -> None:
    """Classic (non-v2) component rules: rows, widths, ids, labels, link buttons."""
    if len(components) > 5:
        raise form_error(
            [*prefix, "components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."
        )
    seen: set[str] = set()
    for r, row in enumerate(components):
        path: list[str | int] = [*prefix, "components", r]
        if row.get("type") != 1:
            raise form_error(
                [*path, "type"], "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.'
            )
        children = row.get("components") or []
        if not children:
            raise form_error(
                [*path, "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        width = sum(5 if c.get("type") != 2 else 1 for c in children)
        if len(children) > 5 or width > 5:
            raise form_error(
                [*path, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for c, comp in enumerate(children):
            cpath: list[str | int] = [*path, "components", c]
            custom_id = comp.get("custom_id")
            if comp.get("type") == 2 and comp.get("style") in (5, 6):
                if comp.get("style") == 5:
                    _check_url(comp.get("url"), [*cpath, "url"])
            elif custom_id is None:
                raise form_error(
                    [*cpath, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            if custom_id is not None:
                _max_len(custom_id, 100, [*cpath, "custom_id"])
                if custom_id in seen:
                    raise form_error(
                        [*cpath, "custom_id"],
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(custom_id)
            _max_len(comp.get("label"), 80, [*cpath, "label"])
            _max_len(comp.get("placeholder"), 150, [*cpath, "placeholder"])
            options = comp.get("options")
            if options is not None and not 1 <= len(options) <= 25:
                raise form_error(
                    [*cpath, "options"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 25 in length.",
                )


def validate_allowed_mentions(allowed: Any, *, prefix: list[str | int]) -> None:
    """Reject the configurations Discord documents as invalid (parse X together with X ids)."""
    if allowed is None:
        return
    path: list[str | int] = [*prefix, "allowed_mentions"]
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("users", "roles", "everyone"):
            raise form_error(
                [*path, "parse", i],
                "BASE_TYPE_CHOICES",
                "Value must be one of ('users', 'roles', 'everyone').",
            )
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        if kind in parse and ids:
            raise form_error(
                [*path, "parse"],
                "SET_TYPE_ALREADY_CONTAINS_VALUE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        if len(ids) > 100:
            raise form_error(
                [*path, kind], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."
            )


def compute_pings(
    content: str,
    allowed: Mapping[str, Any] | None,
    *,
    in_guild: bool,
    roles: Mapping[int, FakeRole],
    known_users: Container[int],
    can_mention_everyone: bool,
    replied_user_id: int | None = None,
) -> Pings:
    """Who would be notified, following Discord's allowed_mentions documentation.

    - No ``allowed_mentions`` key: everything in the content is parsed, and a reply pings the
      replied-to author (the legacy default).
    - With the key: only types in ``parse`` are parsed (missing ``parse`` means none), ``users``
      / ``roles`` are whitelists that still need the mention in the content, and
      ``replied_user`` defaults to false.
    - ``@everyone``/``@here`` and non-mentionable roles also need MENTION_EVERYONE.
    Mentions inside code blocks are treated as mentions: Discord parses the raw content, so a
    bot must not rely on backticks to avoid pings.
    """
    user_ids = [int(u) for u in _USER_MENTION.findall(content or "")]
    role_ids = [int(r) for r in _ROLE_MENTION.findall(content or "")]
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        user_allow: set[int] = set()
        role_allow: set[int] = set()
        replied = True
    else:
        parse = set(allowed.get("parse") or [])
        user_allow = {int(u) for u in allowed.get("users") or []}
        role_allow = {int(r) for r in allowed.get("roles") or []}
        replied = bool(allowed.get("replied_user", False))
    users = {u for u in user_ids if u in known_users and ("users" in parse or u in user_allow)}
    pinged_roles: set[int] = set()
    everyone = here = False
    if in_guild:
        pinged_roles = {
            r
            for r in role_ids
            if r in roles
            and ("roles" in parse or r in role_allow)
            and (roles[r].mentionable or can_mention_everyone)
        }
        may_everyone = "everyone" in parse and can_mention_everyone
        everyone = may_everyone and "@everyone" in (content or "")
        here = may_everyone and "@here" in (content or "")
    replied_pinged = replied_user_id is not None and replied
    if replied_pinged:
        assert replied_user_id is not None
        users.add(replied_user_id)
    return Pings(
        users=frozenset(users),
        roles=frozenset(pinged_roles),
        everyone=everyone,
        here=here,
        replied_user=replied_pinged,
    )


def validate_autocomplete_choices(choices: Any) -> None:
    if not isinstance(choices, list):
        raise form_error(["data", "choices"], "BASE_TYPE_REQUIRED", "This field is required")
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        raise form_error(
            ["data", "choices"],
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 0 and {AUTOCOMPLETE_CHOICES_MAX} in length.",
        )
    for i, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise form_error(
                ["data", "choices", i, "name"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        value = choice.get("value")
        if isinstance(value, str):
            _max_len(value, 100, ["data", "choices", i, "value"])


def validate_modal(data: Any) -> None:
    if not isinstance(data, dict):
        raise form_error(["data"], "BASE_TYPE_REQUIRED", "This field is required")
    for key in ("custom_id", "title"):
        if not data.get(key):
            raise form_error(["data", key], "BASE_TYPE_REQUIRED", "This field is required")
    _max_len(data.get("title"), 45, ["data", "title"])
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        raise form_error(
            ["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )


def validate_commands(commands: Any, *, prefix: list[str | int] | None = None) -> None:
    """Bulk-overwrite rules: names, descriptions, option counts and ordering, choices."""
    if not isinstance(commands, list):
        raise form_error([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    prefix = prefix or []
    if sum(1 for c in commands if c.get("type", 1) == 1) > 100:
        raise form_error(prefix, "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        validate_command(cmd, prefix=[*prefix, i])
        key = (int(cmd.get("type", 1)), cmd["name"])
        if key in seen:
            raise form_error(
                [*prefix, i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)


def validate_command(cmd: Mapping[str, Any], *, prefix: list[str | int]) -> None:
    ctype = int(cmd.get("type", 1))
    name = cmd.get("name") or ""
    if ctype == 1:
        if not _COMMAND_NAME.match(name) or name != name.lower():
            raise form_error(
                [*prefix, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        desc = cmd.get("description") or ""
        if not 1 <= len(desc) <= 100:
            raise form_error(
                [*prefix, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
    elif not 1 <= len(name) <= 32:
        raise form_error(
            [*prefix, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
        )
    _validate_options(cmd.get("options") or [], prefix=[*prefix, "options"])


def _validate_options(options: list[dict[str, Any]], *, prefix: list[str | int]) -> None:
    if len(options) > 25:
        raise form_error(prefix, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for i, opt in enumerate(options):
        path: list[str | int] = [*prefix, i]
        name = opt.get("name") or ""
        if not _COMMAND_NAME.match(name) or name != name.lower():
            raise form_error(
                [*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        desc = opt.get("description") or ""
        if not 1 <= len(desc) <= 100:
            raise form_error(
                [*path, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        otype = int(opt.get("type", 3))
        if otype in (1, 2):
            _validate_options(opt.get("options") or [], prefix=[*path, "options"])
            continue
        if opt.get("required"):
            if seen_optional:
                raise form_error(
                    [*path, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            raise form_error(
                [*path, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        if choices and opt.get("autocomplete"):
            raise form_error(
                [*path, "autocomplete"],
                "APPLICATION_COMMAND_AUTOCOMPLETE_AND_CHOICES",
                "Autocomplete cannot be enabled on options with choices",
            )


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for comp in walk_components(components):
        if comp.get("custom_id") == custom_id:
            return comp
    return None
