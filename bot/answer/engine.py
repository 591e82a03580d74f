"""The one answer path: question → retrieval → prompt → LLM (or extractive) → verified Answer.

Every surface (CLI ``ask``, REPL, Discord) calls ``Engine.answer``; none re-implements retrieval,
prompting, verification or output guarding. This module only orchestrates: each step lives in its
own module (``generate`` streams, ``offline`` assembles offline answers, ``citations`` builds
footnotes, ``verify`` checks quotes, ``guards`` filters). ``retrieve`` and ``finish`` are public so
eval and bench measure the same path the surfaces use. Blocking work (embedding, Chroma) runs in a
thread so the Discord event loop never stalls.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bot.answer import extractive, offline, relevance
from bot.answer.citations import Sources, number_citations
from bot.answer.generate import OnText, stream_reply
from bot.answer.guards import REFUSAL, injection_score, request_guard, sanitize_question
from bot.answer.llm_errors import LLMError
from bot.answer.persona import restrict_to_speaker
from bot.answer.prompts import NOT_COVERED, build_prompt, condense_messages
from bot.answer.verify import apply_checks, verify_quotes
from bot.errors import PanelistError
from bot.index.store import Store
from bot.records import Answer, BuiltPrompt, Citation, Excerpt, Hit, Trace, Turn
from bot.retrieve.search import QueryError, Retriever
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.answer.llm import LLM

__all__ = ["EXTRACTIVE_NOTICE", "PERSONA_NOTICE", "REFUSAL", "Defences", "Engine", "Retrieval"]

log = logging.getLogger(__name__)

EXTRACTIVE_NOTICE = (
    "Offline mode: replies quote the recordings verbatim. Generated answers need an LLM "
    "endpoint (set OPENAI_BASE_URL or OPENAI_API_KEY)."
)
PERSONA_NOTICE = "Simulated voice built only from {name}'s recorded words, not the real person."
_FOLLOW_UP = re.compile(
    r"^(and|but|so|what about|how about|also|why)\b|\b(he|she|they|him|her|them|his|hers|their|"
    r"it|that|this|those|these)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Defences:
    """Switchable injection-defence layers, so ``eval injection --ablate`` can measure each.

    Production uses the defaults; turning layers off exists only for measurement.
    """

    templates: bool = True  # hardened prompt layout (system/excerpts/question split, canary)
    spotlight: bool = False  # datamark excerpt text (off unless the eval shows it helps)
    output_guard: bool = True  # code-side filters: leaks, links, mentions, invisible chars


@dataclass(frozen=True, slots=True)
class PersonaInfo:
    name: str
    sources: tuple[str, ...]  # titles of the discussions they speak in
    passages: int


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What ``Engine.retrieve`` found for a question, ready for either answer mode."""

    question: str  # cleaned
    query: str  # what was searched (a follow-up is condensed with the conversation)
    speaker: str | None  # the persona, resolved to a speaker's display name
    source: str | None  # the source filter, resolved to a file name
    hits: list[Hit]
    excerpts: list[Excerpt]  # the hits numbered for the prompt (persona: only their pieces)
    strict: bool  # the question looks like an injection attempt: stricter prompt template
    anchored: bool  # a passage says one of the question's rare words (relevance.py)
    repaired: str  # the query with misspellings fixed, as the relevance bar and quotes read it

    @property
    def relevant(self) -> bool:
        """Anything to show at all (bot/answer/relevance.py); not whether it answers."""
        return relevance.relevant(self.hits, self.excerpts, self.anchored)


T = TypeVar("T")


class EngineClosedError(PanelistError):
    """A question that arrived after shutdown began."""


class Engine:
    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        llm: LLM | None = None,
        defences: Defences | None = None,
    ) -> None:
        self.settings = settings
        self.defences = defences or Defences(spotlight=settings.llm.spotlight)
        # A store is closed by whoever opened it: the engine closes only a store it made.
        self._owns_store = store is None
        self.store = store or Store(settings)
        if store is None:  # a surface starting up: refuse a store whose vectors are gone
            self.store.check_vectors()
        self.retriever = Retriever(self.store, settings.retrieval)
        if llm is None and settings.llm_enabled:
            from bot.answer.llm import LLM  # imports openai: only when a model is configured

            llm = LLM(settings.llm)
        self.llm = llm
        self._idf_cache: tuple[int, dict[str, float]] | None = None
        self._speakers_cache: tuple[int, list[str]] | None = None
        # Store work running in worker threads. The store is closed only once they are done:
        # closing SQLite under a running query crashed the process (a bot shutting down while
        # answers were still retrieving).
        self._busy = 0
        self._idle = threading.Condition()
        self._closed = False

    @property
    def mode(self) -> str:
        return "llm" if self.llm else "extractive"

    async def aclose(self) -> None:
        """Refuse new work, wait for store work already running in threads, then close."""
        with self._idle:
            self._closed = True
        await asyncio.to_thread(self._wait_idle, 30.0)
        if self.llm:
            await self.llm.aclose()
        if self._owns_store:
            self.store.close()

    def warm(self) -> None:
        """Load what the first question would otherwise wait for: the index (passages, lexical
        index, vocabulary), the embedding model, the corpus word rarities and the speakers. At
        ×100 the seeds that is seconds, paid at start-up instead of by the first asker."""
        self.retriever.search("warm up", 1)
        self._idf()
        self.speaker_names()

    async def awarm(self) -> None:
        """``warm`` in a worker thread that ``aclose`` waits for."""
        await self._offload(self.warm)

    def _wait_idle(self, timeout: float) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout)

    async def _offload(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """``asyncio.to_thread`` that ``aclose`` waits for (counted in the thread itself, so a
        cancelled caller whose thread still runs keeps the store open until the thread ends)."""

        def run() -> T:
            with self._idle:
                if self._closed:
                    raise EngineClosedError("panelist is shutting down; try again in a minute")
                self._busy += 1
            try:
                return fn(*args, **kwargs)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

        return await asyncio.to_thread(run)

    # --- what there is to ask about ---------------------------------------------------------
    def labels(self) -> dict[str, str]:
        return {source: label for source, (_, label, _) in self.labels_and_urls().items()}

    def labels_and_urls(self) -> Sources:
        return {r.source: (r.title, r.label, r.url) for r in self.store.catalog.sources()}

    def speaker_names(self) -> list[str]:
        """Everyone a reply may attribute a quote to, so that a wrong name is caught.

        Every LLM answer asks; the walk over every passage is done once per index generation
        (at ×100 it cost 20 ms an answer, the largest part of the answer path's own time)."""
        state = self.retriever.state()
        cached = self._speakers_cache
        if cached is None or cached[0] != state.generation:
            names = sorted({p.speaker for c in state.chunks for p in c.pieces if p.speaker})
            self._speakers_cache = cached = (state.generation, names)
        return list(cached[1])

    def personas(self) -> list[PersonaInfo]:
        labels = self.labels()
        found: dict[str, dict[str, int]] = {}
        for chunk in self.retriever.state().chunks:
            for p in chunk.pieces:
                if p.speaker:
                    per = found.setdefault(p.speaker, {})
                    per[chunk.source] = per.get(chunk.source, 0) + 1
        return [
            PersonaInfo(name, tuple(labels.get(s, s) for s in sorted(per)), sum(per.values()))
            for name, per in sorted(found.items())
        ]

    def resolve_persona(self, name: str | None) -> str | None:
        if not name:
            return None
        try:
            return self.retriever.resolve_speaker(name)
        except QueryError:
            names = ", ".join(p.name for p in self.personas()) or "none (run `panelist ingest`)"
            raise QueryError(f"unknown persona {name!r}; available: {names}") from None

    # --- answering ---------------------------------------------------------------------------
    async def answer(
        self,
        question: str,
        *,
        persona: str | None = None,
        source: str | None = None,
        history: Sequence[Turn] = (),
        on_text: OnText | None = None,
        allowed: Collection[str] | None = None,
    ) -> Answer:
        """The answer, with its ``trace`` (the hits and, in LLM mode, the prompt). ``allowed``:
        only these sources may be searched or cited (None: all)."""
        history = list(history)[-self.settings.llm.history_turns :]
        found = await self.retrieve(
            question, persona=persona, source=source, history=history, allowed=allowed
        )
        trace = Trace(hits=tuple(found.hits))
        if not found.relevant:
            answer = self._not_covered(found.speaker, found.source)
        elif self.llm:
            prompt = self._prompt(found, history)
            trace = Trace(hits=trace.hits, prompt=prompt)
            raw = await stream_reply(
                self.llm,
                prompt,
                max_tokens=self.settings.llm.answer_max_tokens,
                spotlight=self.defences.spotlight,
                guarded=self.defences.output_guard,
                on_text=on_text,
            )
            answer = self.finish(raw, prompt, persona=found.speaker)
        else:
            answer = self._extract(found)
        answer.trace = trace
        return answer

    async def retrieve(
        self,
        question: str,
        *,
        persona: str | None = None,
        source: str | None = None,
        history: Sequence[Turn] = (),
        k: int | None = None,
        allowed: Collection[str] | None = None,
    ) -> Retrieval:
        """Clean and bound the question, resolve the filters, search ``k`` passages (default:
        ``top_k``, at least 8 for extractive answers). Raises ``QueryError`` for an empty or
        over-long question, or an unknown persona or source."""
        limit = self.settings.llm.max_question_chars
        clean = sanitize_question(question, max_chars=limit)
        if clean.too_long:
            raise QueryError(f"the question is {clean.length} characters; the limit is {limit}")
        q = clean.text.strip()
        if not q:
            raise QueryError("the question is empty")
        risk = injection_score(q)
        if risk.signals:
            log.info("question risk %.2f signals=%s", risk.score, ",".join(risk.signals))
        speaker = await self._offload(self.resolve_persona, persona)
        source_name = await self._offload(self.retriever.resolve_source, source)
        if source_name and allowed is not None and source_name not in allowed:
            raise QueryError(f"source {source!r} is not available here")
        query = await self._retrieval_query(q, history)
        # Extractive answers pick sentences from a wider pool (measured: docs/answers.md).
        if k is None:
            k = self.settings.retrieval.top_k if self.llm else max(self.settings.retrieval.top_k, 8)
        hits = await self._offload(
            self.retriever.search, query, k, source=source_name, speaker=speaker, allowed=allowed
        )
        return self._found(q, query, speaker, source_name, hits, risk.strict)

    def _found(
        self,
        question: str,
        query: str,
        speaker: str | None,
        source: str | None,
        hits: list[Hit],
        strict: bool,
    ) -> Retrieval:
        """A search's hits as a Retrieval; the repaired query is worked out once, here, for the
        relevance bar and the quotes both."""
        excerpts = _excerpts(hits, speaker)
        repaired = self.retriever.expand(query).dense
        anchor = relevance.anchored(
            repaired, excerpts, self._idf(), len(self.retriever.state().chunks)
        )
        return Retrieval(question, query, speaker, source, hits, excerpts, strict, anchor, repaired)

    def finish(self, raw: str, prompt: BuiltPrompt, *, persona: str | None = None) -> Answer:
        """The answer from a model's whole reply: guard first, verify second, then footnotes.

        Guarding first means anything the guard rewrote inside a quote (a link it removed) is then
        checked like any other quote, and a quote that was nothing but a planted link no longer
        verifies and goes.
        """
        text = raw.strip()
        excerpts = prompt.excerpts
        if self.defences.output_guard:
            result = request_guard(prompt.system, prompt.canary, excerpts).check(text)
            if result.refused:
                log.info("output guard replaced a reply (leak of canary or system prompt)")
                return Answer(REFUSAL, "llm", False, persona)
            text = result.text
        if text.strip(" .\"'`*").upper().startswith(NOT_COVERED):
            return self._not_covered(persona, None)
        checks = verify_quotes(text, excerpts, self.speaker_names())
        dropped = sum(1 for c in checks if not c.verified)
        if dropped:
            log.info("removed %d unverifiable quote(s)", dropped)
        text = apply_checks(text, checks, unverified="remove")
        text, citations = number_citations(text, excerpts, self.labels_and_urls())
        if not citations:
            answer = self._not_covered(persona, None)
            answer.dropped_quotes = dropped
            return answer
        notice = PERSONA_NOTICE.format(name=persona) if persona else None
        return Answer(text, "llm", True, persona, citations, notice, dropped_quotes=dropped)

    async def best_quote(
        self,
        topic: str,
        *,
        speaker: str | None = None,
        allowed: Collection[str] | None = None,
    ) -> Citation | None:
        """The single most relevant verbatim sentence on a topic (Discord ``/quote``), from the
        ``allowed`` sources only (None: all)."""
        speaker = await self._offload(self.resolve_persona, speaker)
        hits = await self._offload(
            self.retriever.search,
            topic,
            self.settings.retrieval.top_k,
            speaker=speaker,
            allowed=allowed,
        )
        found = self._found(topic, topic, speaker, None, hits, False)
        if not found.relevant:
            return None
        best = extractive.select(
            topic,
            found.excerpts,
            limit=1,
            embed=self.store.sentences.question_first,
            extend=False,
        ).passages
        if not best:
            return None
        return extractive.sentence_citation(best[0], 1, self.labels_and_urls())

    # --- steps -------------------------------------------------------------------------------
    async def _retrieval_query(self, q: str, history: Sequence[Turn]) -> str:
        """A follow-up ("and what did he say about Europe?") needs the conversation to search."""
        if not history or not _FOLLOW_UP.search(q):
            return q
        if self.llm:
            try:
                condensed = await self.llm.complete(
                    condense_messages(q, history),
                    max_tokens=80,
                    timeout_s=self.settings.llm.rewrite_timeout_s,
                )
                condensed = " ".join(condensed.split())[: self.settings.retrieval.max_query_chars]
                if condensed:
                    return condensed
            except LLMError as exc:
                log.warning("condensing the follow-up failed (%s); searching with context", exc)
        return f"{history[-1].question} {q}"[-self.settings.retrieval.max_query_chars :]

    def _prompt(self, found: Retrieval, history: Sequence[Turn]) -> BuiltPrompt:
        llm = self.settings.llm
        return build_prompt(
            found.question,
            found.excerpts,
            persona=found.speaker,
            history=history,
            strict=found.strict,
            budget_tokens=llm.context_window - llm.answer_max_tokens - 200,
            hardened=self.defences.templates,
            spotlight=self.defences.spotlight,
        )

    def assembly(self, found: Retrieval) -> offline.Assembly | None:
        """The offline reply's quotes and confidence (``_extract``; the calibration script reads
        its features)."""
        # Chunks cut mid-sentence are completed from their neighbours before sentences are picked.
        excerpts = [Excerpt(e.n, self.retriever.widen(e.chunk)) for e in found.excerpts]
        return offline.assemble(
            found.query,
            excerpts,
            found.hits,
            named=self.retriever.speakers_named_in(found.query),
            idf=self._idf(),
            embed=self.store.sentences.question_first,
            sources=self.labels_and_urls(),
            repaired=found.repaired,
            glossary=self.retriever.state().glossary,
            insist=self.retriever.state().people.named(found.query),
        )

    def _extract(self, found: Retrieval) -> Answer:
        made = self.assembly(found)
        if made is None:
            return self._not_covered(found.speaker, found.source)
        notice = EXTRACTIVE_NOTICE
        if found.speaker:
            notice = PERSONA_NOTICE.format(name=found.speaker) + " " + EXTRACTIVE_NOTICE
        return Answer(
            made.text, "extractive", made.confident, found.speaker, made.citations, notice
        )

    def _not_covered(self, persona: str | None, source: str | None) -> Answer:
        scope = f" in {self.labels().get(source, source)}" if source else ""
        who = f"{persona} didn't talk about that" if persona else "The discussions don't cover that"
        return Answer(
            text=f"{who}{scope}, as far as I can find. Try asking it another way.",
            mode=self.mode,  # type: ignore[arg-type]
            grounded=False,
            persona=persona,
            notice=EXTRACTIVE_NOTICE if not self.llm else None,
        )

    def _idf(self) -> dict[str, float]:
        state = self.retriever.state()
        if self._idf_cache is None or self._idf_cache[0] != state.generation:
            self._idf_cache = (
                state.generation,
                extractive.term_idf([c.index_text for c in state.chunks]),
            )
        return self._idf_cache[1]


def _excerpts(hits: Sequence[Hit], speaker: str | None) -> list[Excerpt]:
    chunks = [h.chunk for h in hits]
    if speaker:
        chunks = [c for c in (restrict_to_speaker(c, speaker) for c in chunks) if c]
    return [Excerpt(i, c) for i, c in enumerate(chunks, 1)]
