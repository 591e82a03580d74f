"""The answering service every Discord surface shares: limits, queue, memory, votes, the engine.

Why a service: ``/ask``, a DM, a mention, a thread follow-up and the message context menu differ
only in where the reply goes (``replies``) and which conversation it belongs to. The cooldown,
the model slots, conversation memory, the feedback store and the engine thread are built once
(``Answering.build``) and handed to the cogs, so no cog reaches into the bot object for them and
a test can build one without a gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import discord

from bot.answer.answerer import Answerer
from bot.answer.conversation import Conversations
from bot.answer.engine import Engine
from bot.settings import Settings
from bot.surfaces.discord import render
from bot.surfaces.discord.engine_thread import EngineThread
from bot.surfaces.discord.errors import log_failure, reply_line
from bot.surfaces.discord.feedback import AnswerContext, FeedbackStore, feedback_path, vote_view
from bot.surfaces.discord.limits import Cooldown, ModelSlots
from bot.surfaces.discord.listings import Listings
from bot.surfaces.discord.replies import Reply, StreamingEdits

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    user_id: int
    via: str  # "slash", "dm", "thread", "mention", "menu": for the log line
    persona: str | None = None
    source: str | None = None
    conversation: str | None = None  # memory key (DM channel or thread id); None: no memory
    echo: bool = False  # repeat the question above the answer (slash commands hide it)


class Answering:
    """Everything between "a user asked" and "the answer is posted", shared by every cog."""

    def __init__(
        self,
        settings: Settings,
        answerer: Answerer | None,
        *,
        listings: Listings | None = None,
        conversations: Conversations | None = None,
        cooldown: Cooldown | None = None,
        slots: ModelSlots | None = None,
        feedback: FeedbackStore | None = None,
    ) -> None:
        self.settings = settings
        self._answerer = answerer
        self._listings = listings
        self.conversations = conversations or Conversations(max_turns=settings.history_turns)
        self.cooldown = cooldown or Cooldown(settings.cooldown_s)
        self.slots = slots or ModelSlots(settings.max_concurrent_llm)
        self.feedback = feedback or FeedbackStore(feedback_path(settings))
        self._active: set[asyncio.Task[object]] = set()

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None) -> Answering:
        """The production wiring: the engine on its own thread; no engine for ``discord sync``."""
        if engine is None:
            return cls(settings, None)
        return cls(settings, EngineThread(engine), listings=Listings(engine))

    @property
    def answers(self) -> Answerer:
        if self._answerer is None:
            raise RuntimeError("no answer engine (command sync only, or closed)")
        return self._answerer

    @property
    def listings(self) -> Listings:
        if self._listings is None:
            raise RuntimeError("no answer engine (command sync only)")
        return self._listings

    # --- admission --------------------------------------------------------------------------
    def refusal(self, user_id: int, text: str) -> str | None:
        """Why this question is not taken (too long, empty, too soon), or None; starts the cooldown.

        Checked before any work so a slash command can still answer privately at once.
        """
        text = text.strip()
        if not text:
            return "Ask me a question, e.g. “What did Yann LeCun say about open source?”"
        limit = self.settings.max_question_chars
        if len(text) > limit:
            return f"That question is {len(text)} characters long; please keep it under {limit}."
        wait = self.cooldown.retry_after(user_id)
        if wait > 0:
            return f"You're asking quickly: try again in {max(1, round(wait))} s."
        self.cooldown.start(user_id)
        return None

    # --- answering --------------------------------------------------------------------------
    async def answer(self, reply: Reply, q: Question) -> None:
        """Answer ``q`` into ``reply``: queue, stream, post with vote buttons, remember, log."""
        started = time.monotonic()
        engine = self.answers
        history = self.conversations.history(q.conversation) if q.conversation else []
        echo = q.text if q.echo else None
        edits = StreamingEdits(
            reply.show,
            self.settings.stream_edit_interval_s,
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
            with self.tracking():
                async with self.slots.slot(on_queued=queued):
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
            self.conversations.add(q.conversation, q.text, answer.text)
        if carrier is not None:
            context = AnswerContext.of(q.text, answer.text, answer.citations, answer.persona)
            self.feedback.remember(carrier, context)
        log.info(
            "answered via=%s user=%s mode=%s grounded=%s citations=%d parts=%d edits=%d in %.2fs",
            q.via, q.user_id, answer.mode, answer.grounded, len(answer.citations), len(parts),
            edits.edits, time.monotonic() - started,
        )  # fmt: skip

    # --- lifecycle --------------------------------------------------------------------------
    @contextlib.contextmanager
    def tracking(self) -> Iterator[None]:
        """Mark the current task as an answer in progress, so shutdown lets it finish."""
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._active.discard(task)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for answers in progress."""
        pending = [t for t in self._active if not t.done()]
        if pending:
            log.info("waiting for %d answer(s) in progress", len(pending))
            await asyncio.wait(pending, timeout=timeout)

    async def aclose(self) -> None:
        if self._answerer is not None:
            answerer, self._answerer = self._answerer, None
            await answerer.aclose()
