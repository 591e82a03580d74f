"""Discord's permission arithmetic, as the fake applies it to the bot and to users.

Why: "the bot may send here" is not one flag on Discord. It is the @everyone role, the member's
roles, then the channel's overwrites (@everyone, roles, member, in that order), with Administrator
and the guild owner bypassing everything, and a thread inheriting its parent's result but asking
for Send Messages in Threads instead of Send Messages. discord.py computes the same thing from the
same payloads (``permissions_for``), so the bot can check before it acts, and the fake refuses
with 403/50013 when it did not.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests.fakes.discord_models import Overwrite, Perm


def base_permissions(everyone: int, roles: Iterable[int], *, owner: bool = False) -> int:
    """Guild-wide permissions: @everyone plus every role; the owner and admins get all."""
    if owner:
        return Perm.ALL
    perms = everyone
    for role in roles:
        perms |= role
    return Perm.ALL if perms & Perm.ADMINISTRATOR else perms


def channel_permissions(
    base: int,
    overwrites: Iterable[Overwrite],
    *,
    guild_id: int,
    role_ids: Iterable[int],
    member_id: int,
) -> int:
    """Apply a channel's overwrites to ``base`` in Discord's order."""
    if base & Perm.ADMINISTRATOR:
        return Perm.ALL
    overwrites = list(overwrites)
    roles = set(role_ids)
    perms = base
    for ow in overwrites:
        if ow.type == 0 and ow.id == guild_id:
            perms = (perms & ~ow.deny) | ow.allow
    allow = deny = 0
    for ow in overwrites:
        if ow.type == 0 and ow.id in roles and ow.id != guild_id:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    for ow in overwrites:
        if ow.type == 1 and ow.id == member_id:
            perms = (perms & ~ow.deny) | ow.allow
    if not perms & Perm.VIEW_CHANNEL:
        return 0  # a channel one cannot see grants nothing
    return perms


def missing(perms: int, needed: int) -> int:
    return needed & ~perms
