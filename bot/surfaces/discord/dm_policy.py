"""Whether a server's "no questions by DM" setting stops a user's DM.

Why this rule: a server that turns DMs off wants its members to ask in the open, but one server
must not silence the bot for people who also meet it elsewhere. So a DM (or a slash command
outside any server) is refused only when the user shares at least one server with the bot and
every server they share has DMs off. A user the bot shares no server with (a user install) is
answered.

Membership is asked of Discord (GET /guilds/{id}/members/{user}): the bot runs without the
privileged members intent, so it has no member lists. Only servers with DMs off are checked
first, so nothing is fetched while no server has turned DMs off; the verdict is cached per user
for ``ttl_s`` and forgotten when any server's settings change. A failed lookup counts in the
user's favour (they are answered).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

import discord

from bot.surfaces.discord.state import Servers

DMS_OFF = (
    "The servers we share have turned off questions by DM: please ask there, with /ask or a "
    "mention."
)


class DmPolicy:
    def __init__(self, servers: Servers, ttl_s: float = 600.0, max_users: int = 10_000) -> None:
        self.servers = servers
        self.ttl_s = ttl_s
        self.max_users = max_users
        self._verdicts: OrderedDict[int, tuple[float, int, bool]] = OrderedDict()

    async def refused(self, guilds: Sequence[discord.Guild], user_id: int) -> bool:
        off = [g for g in guilds if not self.servers.get(g.id).dms]
        if not off:
            return False
        now = time.monotonic()
        cached = self._verdicts.get(user_id)
        if (
            cached is not None
            and now - cached[0] < self.ttl_s
            and cached[1] == self.servers.version
        ):
            return cached[2]
        verdict = await self._decide(guilds, off, user_id)
        self._verdicts[user_id] = (now, self.servers.version, verdict)
        self._verdicts.move_to_end(user_id)
        while len(self._verdicts) > self.max_users:
            self._verdicts.popitem(last=False)
        return verdict

    async def _decide(
        self, guilds: Sequence[discord.Guild], off: Sequence[discord.Guild], user_id: int
    ) -> bool:
        if not [g for g in off if await _member(g, user_id, failed=False)]:
            return False  # none of the servers that turned DMs off is theirs
        off_ids = {g.id for g in off}
        for guild in guilds:
            if guild.id not in off_ids and await _member(guild, user_id, failed=True):
                return False  # another shared server still takes their DMs
        return True


async def _member(guild: discord.Guild, user_id: int, *, failed: bool) -> bool:
    """Is the user in ``guild``? ``failed``: the answer when Discord cannot say."""
    try:
        await guild.fetch_member(user_id)
    except discord.NotFound:
        return False
    except discord.HTTPException:
        return failed
    return True
