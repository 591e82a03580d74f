"""The one routine that answers a question on Discord, whichever way it was asked.

``/ask``, a DM and a mention differ only in where the reply goes (``replies``) and which
conversation it belongs to; the limits, the queue notice, streaming, rendering, the vote buttons,
memory and error handling are the same, so they live here once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.surfaces.discord import render
from bot.surfaces.discord.errors import log_failure, reply_line
from bot.surfaces.discord.feedback import AnswerContext, vote_view
from bot.surfaces.discord.replies import Reply, StreamingEdits

if TYPE_CHECKING:
    from bot.surfaces.discord.bot import PanelistBot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    user_id: int
    via: str  # "slash", "dm", "thread", "mention": for the log line
    persona: str | None = None
    source: str | None = None
    conversation: str | None = None  # memory key (DM channel or thread id); None: no memory
    echo: bool = False  # repeat the question above the answer (slash commands hide it)


def refusal(bot: PanelistBot, user_id: int, text: str) -> str | None:
    """Why this question is not taken (too long, empty, too soon), or None; starts the cooldown.

    Checked before any work so a slash command can still answer privately at once.
    """
    text = text.strip()
    if not text:
        return "Ask me a question, e.g. “What did Yann LeCun say about open source?”"
    limit = bot.settings.max_question_chars
    if len(text) > limit:
        return f"That question is {len(text)} characters long; please keep it under {limit}."
    wait = bot.cooldown.retry_after(user_id)
    if wait > 0:
        return f"You're asking quickly: try again in {max(1, round(wait))} s."
    bot.cooldown.start(user_id)
    return None


async def answer_question(bot: PanelistBot, reply: Reply, q: Question) -> None:
    """Answer ``q`` into ``reply``: queue, stream, post with vote buttons, remember, log."""
    started = time.monotonic()
    engine = bot.answers
    history = bot.conversations.history(q.conversation) if q.conversation else []
    echo = q.text if q.echo else None
    edits = StreamingEdits(
        reply.show,
        bot.settings.stream_edit_interval_s,
        render=lambda text: render.preview(text, question=echo),
    )

    async def queued(position: int) -> None:
        try:
            await reply.show(render.queued_line(position))
        except discord.HTTPException as exc:
            log.debug("the queue notice failed: HTTP %s", exc.status)

    log.info(
        "question via=%s user=%s chars=%d persona=%r source=%r memory=%d",
        q.via, q.user_id, len(q.text), q.persona, q.source, len(history),
    )  # fmt: skip
    try:
        with bot.tracking():
            async with bot.slots.slot(on_queued=queued):
                answer = await engine.answer(
                    q.text,
                    persona=q.persona,
                    source=q.source,
                    history=history,
                    on_text=edits.update,
                )
            await edits.close()
            parts = render.answer_parts(answer, question=echo)
            carrier = await reply.finish(parts, vote_view())
    except Exception as exc:
        await edits.close()
        log_failure(log, f"question via={q.via} user={q.user_id}", exc)
        await reply.fail(reply_line(exc))
        return
    if q.conversation:
        bot.conversations.add(q.conversation, q.text, answer.text)
    if carrier is not None:
        context = AnswerContext.of(q.text, answer.text, answer.citations, answer.persona)
        bot.feedback.remember(carrier, context)
    log.info(
        "answered via=%s user=%s mode=%s grounded=%s citations=%d parts=%d edits=%d in %.2fs",
        q.via, q.user_id, answer.mode, answer.grounded, len(answer.citations), len(parts),
        edits.edits, time.monotonic() - started,
    )  # fmt: skip
