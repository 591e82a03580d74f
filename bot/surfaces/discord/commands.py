"""The slash commands: /ask, /quote, /sources, /personas, /help.

Slash commands need no privileged intent: Discord sends the options with the interaction. Every
command that may take longer than Discord's 3-second deadline defers before doing any work;
checks that can refuse a question (length, cooldown) run first because they are instant and let
the refusal be private.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.surfaces.discord import render
from bot.surfaces.discord.answering import RESTARTING, Answering, Question
from bot.surfaces.discord.dm_policy import DMS_OFF
from bot.surfaces.discord.errors import UNEXPECTED, log_failure, reply_line
from bot.surfaces.discord.replies import NO_MENTIONS, InteractionReply

log = logging.getLogger(__name__)


class PanelCommands(commands.Cog, name="Panel"):
    def __init__(self, answering: Answering) -> None:
        self.answering = answering

    # --- /ask ------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask the discussions; the answer quotes them.")
    @app_commands.describe(
        question="What you want to know",
        persona="Answer only from this speaker's recorded words",
        source="Only this discussion",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: str,
        persona: str | None = None,
        source: str | None = None,
    ) -> None:
        reply = InteractionReply(interaction, self.answering.clock)  # the token's clock starts now
        if not self._channel_allowed(interaction):
            await _private(interaction, [NOT_HERE])
            return
        if interaction.guild_id is None and await self.answering.dms.refused(
            interaction.client.guilds, interaction.user.id
        ):
            await _private(interaction, [DMS_OFF])
            return
        if not await _admit(self.answering, interaction, question):
            return
        q = Question(
            question.strip(),
            interaction.user.id,
            via="slash",
            persona=persona,
            source=source,
            echo=True,
            guild_id=interaction.guild_id,
        )
        await self.answering.answer(reply, q)

    def _channel_allowed(self, interaction: discord.Interaction) -> bool:
        channel = interaction.channel
        where = getattr(channel, "parent_id", None) or interaction.channel_id or 0
        return self.answering.servers.get(interaction.guild_id).allows(where)

    @ask.autocomplete("persona")
    async def _ask_persona(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.answering.listings.persona_choices(current, self._scope(interaction))

    @ask.autocomplete("source")
    async def _ask_source(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.answering.listings.source_choices(current, self._scope(interaction))

    def _scope(self, interaction: discord.Interaction) -> frozenset[str] | None:
        return self.answering.servers.get(interaction.guild_id).scope

    # --- /quote ----------------------------------------------------------------------------
    @app_commands.command(name="quote", description="The single best verbatim quote on a topic.")
    @app_commands.describe(topic="What the quote should be about", speaker="Only this speaker")
    async def quote(
        self, interaction: discord.Interaction, topic: str, speaker: str | None = None
    ) -> None:
        limit = self.answering.settings.llm.max_question_chars
        if not self.answering.accepting:
            await _private(interaction, [RESTARTING])
            return
        if not topic.strip() or len(topic) > limit:
            await _private(interaction, [f"Give a topic of 1 to {limit} characters."])
            return
        await interaction.response.defer(thinking=True)
        reply = InteractionReply(interaction)
        try:
            citation = await self.answering.answers.best_quote(
                topic, speaker=speaker, allowed=self._scope(interaction)
            )
            if citation is None:
                await reply.fail(render.no_quote_line(topic, speaker))
                return
            await reply.show(render.quote_message(citation))
        except Exception as exc:
            log_failure(log, f"/quote user={interaction.user.id}", exc)
            await reply.fail(reply_line(exc))
            return
        log.info("quote user=%s source=%s", interaction.user.id, citation.source)

    @quote.autocomplete("speaker")
    async def _quote_speaker(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.answering.listings.persona_choices(current, self._scope(interaction))

    # --- listings --------------------------------------------------------------------------
    @app_commands.command(name="sources", description="The discussions I know.")
    async def sources(self, interaction: discord.Interaction) -> None:
        self.answering.listings.refresh_if_stale()
        listings = self.answering.listings
        await _private(
            interaction, render.sources_parts(listings.visible(self._scope(interaction)))
        )

    @app_commands.command(name="personas", description="The speakers you can ask as a persona.")
    async def personas(self, interaction: discord.Interaction) -> None:
        self.answering.listings.refresh_if_stale()
        listings = self.answering.listings
        personas = listings.visible_personas(self._scope(interaction))
        await _private(interaction, render.personas_parts(personas))

    @app_commands.command(name="help", description="What I can do and how to ask.")
    async def help(self, interaction: discord.Interaction) -> None:
        await _private(interaction, [render.HELP])


NOT_HERE = "This server's admins chose other channels for questions; ask there, or DM me."
STALE = (
    "That command is out of date: Discord is still showing an older version of it. Try again "
    "in a minute, or reload Discord (Ctrl+R)."
)


async def on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """Every slash-command failure gets a private line; the log gets the detail.

    Installed as ``tree.on_error``, so it also covers what no cog sees: a command Discord still
    shows but this version no longer has (``CommandNotFound``) or has with other options.
    Without it the user sees "The application did not respond".
    """
    stale = isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch)
    if stale:
        log.warning(
            "stale command /%s (run `panelist discord sync`)",
            interaction.data and interaction.data.get("name"),
        )
    else:
        cause = getattr(error, "original", error)
        name = interaction.command.name if interaction.command else "?"
        log_failure(log, f"/{name}", cause)
    if interaction.type is discord.InteractionType.autocomplete:
        return  # no message can answer a keystroke; Discord shows no choices
    line = STALE if stale else UNEXPECTED
    try:
        if interaction.response.is_done():
            await InteractionReply(interaction).fail(line)
        else:
            await _private(interaction, [line])
    except discord.HTTPException:
        pass


async def _private(interaction: discord.Interaction, parts: Sequence[str]) -> None:
    """Reply only the user sees: the first part answers, the rest follow."""
    await interaction.response.send_message(
        parts[0], ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
    )
    for part in parts[1:]:
        await interaction.followup.send(
            part, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
        )


async def _admit(answering: Answering, interaction: discord.Interaction, text: str) -> bool:
    """Take the question (cooldown, the server's included, and the in-flight cap) and defer
    within Discord's 3 s; a refusal is answered privately. Every door to the model goes through
    here, so none of them skips a limit."""
    refused = answering.refusal(interaction.user.id, text, interaction.guild_id)
    if refused:
        await _private(interaction, [refused.line])
        return False
    try:
        await interaction.response.defer(thinking=True)
    except discord.HTTPException:
        answering.release(interaction.user.id)
        raise
    return True


MENU_NAME = "Ask panelist about this"


def ask_about_menu(answering: Answering) -> app_commands.ContextMenu:
    """Right-click a message → Apps → "Ask panelist about this": its text is the question.

    Discord sends the target message with the interaction, content included, so this works
    without the message-content intent, in any channel where the app is available.
    """

    async def ask_about(interaction: discord.Interaction, message: discord.Message) -> None:
        reply = InteractionReply(interaction, answering.clock)
        text = " ".join(message.content.split())[: answering.settings.llm.max_question_chars]
        if not text:
            await _private(interaction, ["That message has no text I can ask about."])
            return
        if not await _admit(answering, interaction, text):
            return
        q = Question(
            text, interaction.user.id, via="menu", echo=True, guild_id=interaction.guild_id
        )
        await answering.answer(reply, q)

    return app_commands.ContextMenu(name=MENU_NAME, callback=ask_about)
