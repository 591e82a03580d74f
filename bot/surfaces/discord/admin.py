"""``/panelist``: what a server's admins can see about the bot without a terminal.

Limited to Manage Server through ``default_member_permissions`` (Discord hides the group from
everyone else, and a server can re-grant it per role in Server Settings → Integrations), and
guild-only. Every reply is ephemeral: it is for the admin who asked.
"""

from __future__ import annotations

import time

import discord
from discord import app_commands

from bot.surfaces.discord.answering import Answering
from bot.surfaces.discord.replies import NO_MENTIONS


def _ago(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class AdminCommands(
    app_commands.Group,
    name="panelist",
    description="Admin: the bot's status and its users' feedback.",
    default_permissions=discord.Permissions(manage_guild=True),
    guild_only=True,
):
    def __init__(self, answering: Answering) -> None:
        super().__init__()
        # Only where a server installed the bot: a user install has no server to administer.
        self.allowed_contexts = app_commands.AppCommandContext(
            guild=True, dm_channel=False, private_channel=False
        )
        self.allowed_installs = app_commands.AppInstallationType(guild=True, user=False)
        self.answering = answering
        self.started = time.monotonic()

    @app_commands.command(name="status", description="Mode, model, sources, uptime and queue.")
    async def status(self, interaction: discord.Interaction) -> None:
        a = self.answering
        a.listings.refresh_if_stale()
        mode = a.answers.mode
        model = a.settings.model if mode == "llm" else "none (extractive answers)"
        lines = [
            f"**Mode** {mode} · **model** {discord.utils.escape_markdown(model)}",
            f"**Sources** {len(a.listings.sources)} · **speakers** {len(a.listings.personas)}",
            f"**Up** {_ago(time.monotonic() - self.started)} · "
            f"**answering** {a.in_flight.total} · **waiting** {a.slots.waiting} "
            f"(of {a.slots.size} model slots)",
            f"**Accepting questions** {'yes' if a.accepting else 'no (shutting down)'}",
        ]
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="feedback", description="The 👍/👎 votes under answers.")
    async def feedback(self, interaction: discord.Interaction) -> None:
        summary = self.answering.feedback.summary(recent=3)
        if not summary.votes:
            text = "No votes yet."
        else:
            text = (
                f"{summary.votes} votes: {summary.up} 👍, {summary.down} 👎 "
                f"({summary.ratio:.0%} positive)"
            )
            downs = [v.get("question") for v in summary.recent_down if v.get("question")]
            if downs:
                asked = "\n".join(f"• {discord.utils.escape_markdown(str(q))[:200]}" for q in downs)
                text += f"\nRecent 👎 questions:\n{asked}"
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
        )
