"""The answering service every Discord surface shares: limits, queue, memory, votes, the engine.

Why a service: ``/ask``, a DM, a mention, a thread follow-up and the message context menu differ
only in where the reply goes (``replies``) and which conversation it belongs to. The cooldown,
the model slots, conversation memory, the feedback store and the engine thread are built once
(``Answering.build``) and handed to the cogs, so no cog reaches into the bot object for them and
a test can build one without a gateway.

It also owns the two moments when an asker could be forgotten: a shutdown (new questions are
refused, answers in progress get the grace period, then whoever is still waiting is told) and a
queue longer than an interaction token lives (the reply hands over to the channel first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.answer.answerer import Answerer
from bot.answer.conversation import Conversations
from bot.answer.engine import Engine
from bot.settings import Settings
from bot.surfaces.discord import render
from bot.surfaces.discord.dm_policy import DmPolicy
from bot.surfaces.discord.engine_thread import EngineThread
from bot.surfaces.discord.errors import log_failure, reply_line
from bot.surfaces.discord.feedback import AnswerContext, FeedbackStore, feedback_path, vote_view
from bot.surfaces.discord.latest_edit import LatestEdit
from bot.surfaces.discord.limits import Cooldown, InFlight, ModelSlots
from bot.surfaces.discord.listings import Listings
from bot.surfaces.discord.replies import HAND_OVER_MARGIN_S, Reply, StreamingEdits
from bot.surfaces.discord.state import (
    Servers,
    SqliteConversations,
    SqliteCooldown,
    StateDB,
    state_path,
)

log = logging.getLogger(__name__)

RESTARTING = "I'm restarting: please ask again in a minute."
STILL_ANSWERING = "Your earlier question is still being answered; ask again once it's done."
# How often a waiting answer checks whether its reply is about to expire.
EXPIRY_CHECK_S = 1.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a question is not taken; ``quiet`` refusals (too soon, too many) need no audience."""

    line: str
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    user_id: int
    via: str  # "slash", "dm", "thread", "mention", "menu": for the log line
    persona: str | None = None
    source: str | None = None
    conversation: str | None = None  # memory key (DM channel or thread id); None: no memory
    echo: bool = False  # repeat the question above the answer (slash commands hide it)
    guild_id: int | None = None  # the server asked in: its visible sources apply; None: all


class Answering:
    """Everything between "a user asked" and "the answer is posted", shared by every cog."""

    def __init__(
        self,
        settings: Settings,
        answerer: Answerer | None,
        *,
        listings: Listings | None = None,
        conversations: Conversations | SqliteConversations | None = None,
        cooldown: Cooldown | None = None,
        slots: ModelSlots | None = None,
        feedback: FeedbackStore | None = None,
        in_flight: InFlight | None = None,
        clock: Callable[[], float] = time.monotonic,
        state: StateDB | None = None,
        servers: Servers | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.accepting = True
        self._answerer = answerer
        self._listings = listings
        self.conversations = conversations or Conversations(max_turns=settings.llm.history_turns)
        self.cooldown = cooldown or Cooldown(settings.discord.cooldown_s)
        self.slots = slots or ModelSlots(settings.discord.max_concurrent_llm)
        self.feedback = feedback or FeedbackStore(feedback_path(settings))
        self.in_flight = in_flight or InFlight(settings.discord.discord_max_in_flight_per_user)
        self._state = state
        self.servers = servers or Servers()
        self.dms = DmPolicy(self.servers)
        self._active: dict[asyncio.Task[object], Reply] = {}

    @classmethod
    def build(
        cls,
        settings: Settings,
        engine: Engine | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Answering:
        """The production wiring: the engine on its own thread; no engine for ``discord sync``."""
        if engine is None:
            return cls(settings, None, clock=clock)
        db = StateDB(state_path(settings))
        return cls(
            settings,
            EngineThread(engine),
            listings=Listings(engine),
            conversations=SqliteConversations(db, max_turns=settings.llm.history_turns),
            cooldown=SqliteCooldown(db, settings.discord.cooldown_s),
            clock=clock,
            state=db,
            servers=Servers(db),
        )

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
    def refusal(self, user_id: int, text: str, guild_id: int | None = None) -> Refusal | None:
        """Why this question is not taken, or None: then the cooldown starts and the question
        counts as in flight until ``answer`` (or ``release``) is done with it.

        Checked before any work so a slash command can still answer privately at once.
        """
        if not self.accepting:
            return Refusal(RESTARTING)
        text = text.strip()
        if not text:
            return Refusal("Ask me a question, e.g. “What did Yann LeCun say about open source?”")
        limit = self.settings.llm.max_question_chars
        if len(text) > limit:
            return Refusal(
                f"That question is {len(text)} characters long; please keep it under {limit}."
            )
        wait = self.cooldown.retry_after(user_id, self.servers.get(guild_id).cooldown_s)
        if wait > 0:
            return Refusal(f"You're asking quickly: try again in {max(1, round(wait))} s.", True)
        if not self.in_flight.try_add(user_id):
            return Refusal(STILL_ANSWERING, True)
        self.cooldown.start(user_id)
        return None

    def release(self, user_id: int) -> None:
        """An admitted question that will not reach ``answer`` (e.g. the defer failed)."""
        self.in_flight.done(user_id)

    # --- answering --------------------------------------------------------------------------
    async def answer(self, reply: Reply, q: Question) -> None:
        """Answer ``q`` into ``reply``: queue, stream, post with vote buttons, remember, log.

        ``q`` must have been admitted by ``refusal``; its in-flight count ends here.
        """
        task = asyncio.current_task()
        if task is not None:
            self._active[task] = reply
        watcher = asyncio.create_task(self._watch_expiry(reply, task), name="panelist-expiry")
        try:
            await self._answer(reply, q)
        except asyncio.CancelledError:
            if self.accepting and task is not None and task.cancelling() <= 1:
                log.info("dropped a question whose reply expired: user=%s", q.user_id)
                return  # the expiry watcher told the user; nothing is left to say
            raise
        finally:
            watcher.cancel()
            self.in_flight.done(q.user_id)
            if task is not None:
                self._active.pop(task, None)

    async def _answer(self, reply: Reply, q: Question) -> None:
        started = time.monotonic()
        engine = self.answers
        history = self.conversations.history(q.conversation) if q.conversation else []
        echo = q.text if q.echo else None
        edits = StreamingEdits(
            reply.show,
            self.settings.discord.stream_edit_interval_s,
            render=lambda text: render.preview(text, question=echo, limit=reply.part_limit),
        )

        notice = QueueNotice(reply.show, self.settings.discord.stream_edit_interval_s)

        log.info(
            "question via=%s user=%s chars=%d persona=%r source=%r memory=%d",
            q.via, q.user_id, len(q.text), q.persona, q.source, len(history),
        )  # fmt: skip
        try:
            async with self.slots.slot(on_queued=notice.update):
                await notice.close()
                answer = await engine.answer(
                    q.text,
                    persona=q.persona,
                    source=q.source,
                    history=history,
                    on_text=edits.update,
                    allowed=self.servers.get(q.guild_id).scope,
                )
            await edits.close()
            parts = render.answer_parts(answer, question=echo, limit=reply.part_limit)
            carrier = await reply.finish(parts, vote_view())
        except asyncio.CancelledError:
            notice.cancel()
            edits.cancel()
            raise
        except Exception as exc:
            notice.cancel()
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

    async def _watch_expiry(self, reply: Reply, task: asyncio.Task[object] | None) -> None:
        """Hand the reply over before it expires; when it cannot be, drop the question."""
        while True:
            expires = reply.expires_at()
            if expires is None:
                return
            if self.clock() >= expires - HAND_OVER_MARGIN_S:
                try:
                    handed = await reply.hand_over()
                except Exception:
                    log.exception("handing a reply over before it expired failed")
                    handed = False
                if not handed and task is not None:
                    task.cancel()
                return
            await asyncio.sleep(EXPIRY_CHECK_S)

    # --- lifecycle --------------------------------------------------------------------------
    async def shutdown(self, grace_s: float) -> None:
        """Stop taking questions, let answers in progress finish for ``grace_s``, then tell
        whoever is still waiting that the bot is restarting (while the gateway is still up)."""
        self.accepting = False
        pending = {t: r for t, r in self._active.items() if not t.done()}
        if pending:
            log.info("shutting down: waiting up to %.0f s for %d answer(s)", grace_s, len(pending))
            await asyncio.wait(pending, timeout=grace_s)
        cut_off = {t: r for t, r in pending.items() if not t.done()}
        for task in cut_off:
            task.cancel()
        if cut_off:
            await asyncio.wait(cut_off, timeout=5.0)
            log.info("shutting down: told %d waiting asker(s) to ask again", len(cut_off))
        for reply in cut_off.values():
            with contextlib.suppress(discord.HTTPException):
                await reply.fail(RESTARTING)

    async def aclose(self) -> None:
        if self._answerer is not None:
            answerer, self._answerer = self._answerer, None
            await answerer.aclose()
        if self._state is not None:
            state, self._state = self._state, None
            state.close()


class QueueNotice:
    """The "N questions ahead" line, kept current without flooding Discord (latest_edit.py):
    with fifty waiting, positions change hundreds of times while each token's rate-limit bucket
    is small, so only the latest position is shown, and ``close`` lets an edit in flight land
    before the answer's first text."""

    def __init__(self, show: Callable[[str], Awaitable[None]], interval_s: float) -> None:
        self._line = LatestEdit(show, interval_s, "queue-notice")

    async def update(self, position: int) -> None:
        self._line.update(render.queued_line(position))

    async def close(self) -> None:
        await self._line.close()

    def cancel(self) -> None:
        self._line.cancel()
