"""``/panelist``: what a server's admins can see and set about the bot without a terminal.

Limited to Manage Server through ``default_member_permissions`` (Discord hides the group from
everyone else, and a server can re-grant it per role in Server Settings → Integrations), and
guild-only. Every reply is ephemeral: it is for the admin who asked. Settings
(``/panelist settings``) are per server and kept in the bot's SQLite state file, so they survive
restarts: the channels where mentions and /ask are answered, threads or in-place replies, the
server's own cooldown, and which discussions (sources) its answers may search and quote.
"""

from __future__ import annotations

import dataclasses
import time

import discord
from discord import app_commands

from bot.surfaces.discord.add_transcript import TranscriptUploads
from bot.surfaces.discord.answering import Answering
from bot.surfaces.discord.replies import NO_MENTIONS
from bot.surfaces.discord.state import ServerSettings


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
    description="Admin: the bot's status, feedback, this server's settings, new transcripts.",
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
        self.uploads = TranscriptUploads(answering)
        self.started = time.monotonic()

    @app_commands.command(name="status", description="Mode, model, sources, uptime and queue.")
    async def status(self, interaction: discord.Interaction) -> None:
        a = self.answering
        a.listings.refresh_if_stale()
        mode = a.answers.mode
        model = a.settings.llm.model if mode == "llm" else "none (extractive answers)"
        lines = [
            f"**Mode** {mode} · **model** {discord.utils.escape_markdown(model)}",
            f"**Sources** {len(a.listings.sources)} · **speakers** {len(a.listings.personas)}",
            f"**Up** {_ago(time.monotonic() - self.started)} · "
            f"**answering** {a.in_flight.total} · **waiting** {a.slots.waiting} "
            f"(of {a.slots.size} model slots)",
            f"**Accepting questions** {'yes' if a.accepting else 'no (shutting down)'}",
        ]
        if self.uploads.running:
            lines.append(f"**Adding** {discord.utils.escape_markdown(self.uploads.running)}")
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

    @app_commands.command(
        name="add-transcript", description="Add a transcript file; it is searchable once indexed."
    )
    @app_commands.describe(file="A transcript (.txt .vtt .srt .md .json), UTF-8 text")
    async def add_transcript(
        self, interaction: discord.Interaction, file: discord.Attachment
    ) -> None:
        await self.uploads.add(interaction, file)

    settings = app_commands.Group(name="settings", description="This server's settings.")

    @settings.command(name="show", description="This server's settings.")
    async def settings_show(self, interaction: discord.Interaction) -> None:
        await self._say(interaction, self._describe(self._current(interaction)))

    @settings.command(name="channel", description="Answer mentions and /ask in a channel, or not.")
    @app_commands.describe(
        channel="The channel", enabled="Answer there (once one is chosen, only chosen ones)"
    )
    async def settings_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel, enabled: bool
    ) -> None:
        current = self._current(interaction)
        chosen = [c for c in current.channels if c != channel.id]
        if enabled:
            chosen.append(channel.id)
        await self._update(interaction, dataclasses.replace(current, channels=tuple(chosen)))

    @settings.command(name="replies", description="Answer a mention in a thread, or in place.")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="in a thread (follow-ups keep context)", value="thread"),
            app_commands.Choice(name="in place, as a reply", value="inline"),
        ]
    )
    async def settings_replies(
        self, interaction: discord.Interaction, mode: app_commands.Choice[str]
    ) -> None:
        current = self._current(interaction)
        await self._update(interaction, dataclasses.replace(current, replies=mode.value))

    @settings.command(name="cooldown", description="Seconds between one member's questions.")
    async def settings_cooldown(
        self,
        interaction: discord.Interaction,
        seconds: app_commands.Range[float, 0, 3600],
    ) -> None:
        current = self._current(interaction)
        await self._update(interaction, dataclasses.replace(current, cooldown_s=float(seconds)))

    @settings.command(name="source", description="Let this server see a discussion, or not.")
    @app_commands.describe(
        source="The discussion",
        visible="Answers here may search and quote it (hiding one shows only the rest)",
    )
    async def settings_source(
        self, interaction: discord.Interaction, source: str, visible: bool
    ) -> None:
        listings = self.answering.listings
        known = [r.source for r in listings.sources]
        if source not in known:
            await self._say(interaction, f"No discussion {source!r}: pick one from the list.")
            return
        current = self._current(interaction)
        shown = list(current.sources) if current.sources else known
        shown = [s for s in shown if s != source] + ([source] if visible else [])
        if not shown:
            await self._say(interaction, "At least one discussion must stay visible.")
            return
        chosen = () if set(known) <= set(shown) else tuple(shown)
        await self._update(interaction, dataclasses.replace(current, sources=chosen))

    @settings_source.autocomplete("source")
    async def _source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.answering.listings.source_choices(current)

    @settings.command(name="dms", description="Answer this server's members by DM, or not.")
    @app_commands.describe(
        enabled="Off: a member's DM is refused unless another server we share allows DMs"
    )
    async def settings_dms(self, interaction: discord.Interaction, enabled: bool) -> None:
        current = self._current(interaction)
        await self._update(interaction, dataclasses.replace(current, dms=enabled))

    @settings.command(name="reset", description="Back to the defaults.")
    async def settings_reset(self, interaction: discord.Interaction) -> None:
        await self._update(interaction, ServerSettings())

    # --- helpers ---------------------------------------------------------------------------
    def _current(self, interaction: discord.Interaction) -> ServerSettings:
        return self.answering.servers.get(interaction.guild_id)

    async def _update(self, interaction: discord.Interaction, settings: ServerSettings) -> None:
        assert interaction.guild_id is not None  # guild-only group
        self.answering.servers.set(interaction.guild_id, settings)
        await self._say(interaction, "Saved.\n" + self._describe(settings))

    def _describe(self, s: ServerSettings) -> str:
        where = ", ".join(f"<#{c}>" for c in s.channels) if s.channels else "every channel"
        cooldown = (
            f"{s.cooldown_s:g} s"
            if s.cooldown_s is not None
            else f"{self.answering.settings.discord.cooldown_s:g} s (the bot's default)"
        )
        replies = "in a thread" if s.replies == "thread" else "in place"
        if s.sources:
            labels = self.answering.listings.labels()
            seen = ", ".join(
                discord.utils.escape_markdown(labels.get(x, x))[:100] for x in s.sources
            )
        else:
            seen = "every discussion"
        return (
            f"**Answers in** {where}\n**Replies** {replies}\n**Cooldown** {cooldown}\n"
            f"**Sees** {seen}\n**DMs** {'answered' if s.dms else 'off for its members'}"
        )

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
