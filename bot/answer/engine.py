"""The one answer path: question → retrieval → prompt → LLM (or extractive) → verified Answer.

Every surface (CLI ``ask``, REPL, Discord) calls ``Engine.answer``; none re-implements retrieval,
prompting, verification or output guarding. Blocking work (embedding, Chroma) runs in a thread so
the Discord event loop never stalls.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answer import extractive
from bot.answer.guards import OutputGuard, injection_score, sanitize_question
from bot.answer.llm_errors import LLMError
from bot.answer.persona import restrict_to_speaker
from bot.answer.prompts import (
    DATAMARK,
    NOT_COVERED,
    BuiltPrompt,
    build_prompt,
    condense_messages,
)
from bot.answer.render import deep_link
from bot.answer.verify import QuoteCheck, apply_checks, open_quote_start, verify_quotes
from bot.index.store import Store
from bot.ingest.flags import INSTRUCTION_LIKE
from bot.records import Answer, Citation, Excerpt, Hit, Turn
from bot.retrieve.search import QueryError, Retriever
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.answer.llm import LLM

log = logging.getLogger(__name__)

OnText = Callable[[str], Awaitable[None] | None]

REFUSAL = "I can only answer questions about what was said in the discussions."
EXTRACTIVE_NOTICE = (
    "Offline mode: these are the closest verbatim passages. Generated answers need an LLM "
    "endpoint (set OPENAI_BASE_URL or OPENAI_API_KEY)."
)
PERSONA_NOTICE = "Simulated voice built only from {name}'s recorded words, not the real person."
# Relevance gates; the CONFIDENT_* bars are fitted on eval/dev_tune.jsonl only (44 unanswerable;
# scripts/calibrate_extractive.py --grid, docs/answers.md). Below MIN_SIMILARITY (cosine of
# the best passage) nothing retrieved is about the question: a plain "not covered". In extractive
# mode an answer counts as grounded only when all three CONFIDENT_* hold; otherwise the reply says
# the discussions don't seem to cover it and shows the closest passages, marked as such.
MIN_SIMILARITY = 0.25
CONFIDENT_SIMILARITY = 0.40
CONFIDENT_COVERAGE = 0.42  # idf-weighted share of question words found in the passages
CONFIDENT_SENTENCE = 0.62  # cosine of the closest sentence
NOT_DIRECTLY = "The discussions don't seem to cover that directly. The closest passages I found:"
STREAM_INTERVAL_S = 0.25
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


class Engine:
    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        llm: LLM | None = None,
        defences: Defences | None = None,
    ) -> None:
        self.settings = settings
        self.defences = defences or Defences(spotlight=settings.spotlight)
        self.store = store or Store(settings)
        if store is None:  # a surface starting up: refuse a store whose vectors are gone
            self.store.check_vectors()
        self.retriever = Retriever(self.store)
        if llm is None and settings.llm_enabled:
            from bot.answer.llm import LLM  # imports openai: only when a model is configured

            llm = LLM(settings)
        self.llm = llm
        self._idf_cache: tuple[int, dict[str, float]] | None = None
        # The prompt of the latest LLM request (its canary and system text), so ``eval injection``
        # can score leaks against exactly what the model was given. Not read by the answer path.
        self.last_prompt: BuiltPrompt | None = None

    @property
    def mode(self) -> str:
        return "llm" if self.llm else "extractive"

    async def aclose(self) -> None:
        if self.llm:
            await self.llm.aclose()
        self.store.close()

    # --- what there is to ask about ---------------------------------------------------------
    def labels(self) -> dict[str, str]:
        return {source: label for source, (_, label, _) in self.labels_and_urls().items()}

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
    ) -> Answer:
        clean = sanitize_question(question, max_chars=self.settings.max_question_chars)
        if clean.too_long:
            raise QueryError(
                f"the question is {clean.length} characters; the limit is "
                f"{self.settings.max_question_chars}"
            )
        q = clean.text.strip()
        if not q:
            raise QueryError("the question is empty")
        risk = injection_score(q)
        if risk.signals:
            log.info("question risk %.2f signals=%s", risk.score, ",".join(risk.signals))
        speaker = await asyncio.to_thread(self.resolve_persona, persona)
        source_name = await asyncio.to_thread(self.retriever.resolve_source, source)
        history = list(history)[-self.settings.history_turns :]

        query = await self._retrieval_query(q, history)
        # Extractive answers pick sentences from a wider pool (measured: docs/answers.md).
        k = self.settings.top_k if self.llm else max(self.settings.top_k, 8)
        hits = await asyncio.to_thread(
            self.retriever.search, query, k, source=source_name, speaker=speaker
        )
        excerpts = self._excerpts(hits, speaker)
        if not excerpts or not self._relevant(hits):
            return self._not_covered(speaker, source_name)
        if self.llm:
            return await self._generate(q, excerpts, speaker, history, risk.strict, on_text)
        return self._extract(query, excerpts, hits, speaker, source_name)

    async def _retrieval_query(self, q: str, history: Sequence[Turn]) -> str:
        """A follow-up ("and what did he say about Europe?") needs the conversation to search."""
        if not history or not _FOLLOW_UP.search(q):
            return q
        if self.llm:
            try:
                condensed = await self.llm.complete(condense_messages(q, history), max_tokens=80)
                condensed = " ".join(condensed.split())[: self.settings.max_query_chars]
                if condensed:
                    return condensed
            except LLMError as exc:
                log.warning("condensing the follow-up failed (%s); searching with context", exc)
        return f"{history[-1].question} {q}"[-self.settings.max_query_chars :]

    @staticmethod
    def _excerpts(hits: Sequence[Hit], speaker: str | None) -> list[Excerpt]:
        chunks = [h.chunk for h in hits]
        if speaker:
            chunks = [c for c in (restrict_to_speaker(c, speaker) for c in chunks) if c]
        return [Excerpt(i, c) for i, c in enumerate(chunks, 1)]

    @staticmethod
    def _relevant(hits: Sequence[Hit]) -> bool:
        sims = [h.similarity for h in hits if h.similarity is not None]
        return bool(sims) and max(sims) >= MIN_SIMILARITY

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

    # --- LLM mode ----------------------------------------------------------------------------
    async def _generate(
        self,
        q: str,
        excerpts: list[Excerpt],
        persona: str | None,
        history: Sequence[Turn],
        strict: bool,
        on_text: OnText | None,
    ) -> Answer:
        assert self.llm is not None
        budget = self.settings.context_window - self.settings.answer_max_tokens - 200
        prompt = build_prompt(
            q,
            excerpts,
            persona=persona,
            history=history,
            strict=strict,
            budget_tokens=budget,
            hardened=self.defences.templates,
            spotlight=self.defences.spotlight,
        )
        self.last_prompt = prompt
        guard = request_guard(prompt.system, prompt.canary, prompt.excerpts)
        raw = ""
        shown = ""
        last = 0.0
        async for delta in self.llm.stream(
            prompt.messages, max_tokens=self.settings.answer_max_tokens
        ):
            delta = delta.replace(DATAMARK, " ") if self.defences.spotlight else delta
            raw += delta
            if self.defences.output_guard and guard.feed(delta):  # incremental: O(len) in all
                break
            now = time.monotonic()
            if on_text and now - last >= STREAM_INTERVAL_S:
                display = safe_partial(raw, prompt.excerpts, guard, self.defences.output_guard)
                if display and display != shown:
                    shown = display
                    last = now
                    await _call(on_text, display)
        return self._finish(raw, prompt.excerpts, persona, guard)

    def _finish(
        self, raw: str, excerpts: list[Excerpt], persona: str | None, guard: OutputGuard
    ) -> Answer:
        text = raw.strip()
        if self.defences.output_guard:
            # Guard first, verify second: anything the guard rewrote inside a quote (a link it
            # removed) is then checked like any other quote, and a quote that was nothing but a
            # planted link no longer verifies and goes.
            result = guard.check(text)
            if guard.must_refuse or result.refused:
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

    def speaker_names(self) -> list[str]:
        """Everyone a reply may attribute a quote to, so that a wrong name is caught."""
        return sorted(
            {p.speaker for c in self.retriever.state().chunks for p in c.pieces if p.speaker}
        )

    def labels_and_urls(self) -> dict[str, tuple[str, str, str | None]]:
        return {r.source: (r.title, r.label, r.url) for r in self.store.catalog.sources()}

    # --- extractive mode ---------------------------------------------------------------------
    def _extract(
        self,
        q: str,
        excerpts: list[Excerpt],
        hits: Sequence[Hit],
        persona: str | None,
        source: str | None,
    ) -> Answer:
        named = self.retriever.speakers_named_in(q)
        excerpts = [Excerpt(e.n, self.retriever.widen(e.chunk)) for e in excerpts]
        picked = extractive.select(
            q, excerpts, prefer_speakers=named, embed=self.store.sentences.question_first
        )
        if not picked.passages:
            return self._not_covered(persona, source)
        sims = [h.similarity for h in hits if h.similarity is not None]
        coverage = extractive.weighted_coverage(q, excerpts, self._idf(), ignore=named)
        confident = (
            max(sims, default=0.0) >= CONFIDENT_SIMILARITY
            and coverage >= CONFIDENT_COVERAGE
            and picked.best_cosine >= CONFIDENT_SENTENCE
        )
        passages = picked.passages
        sources = self.labels_and_urls()
        lines: list[str] = [] if confident else [NOT_DIRECTLY]
        citations: list[Citation] = []
        for n, sent in enumerate(passages, 1):
            cite = sentence_citation(sent, n, sources)
            citations.append(cite)
            who = f"**{cite.speaker}** said" if cite.speaker else f"In *{cite.label}*"
            lines.append(f"- {who}: “{display_quote(cite.quote)}” [{n}]")
        guard = request_guard("", "", excerpts)
        text = guard.check("\n".join(lines)).text
        notice = EXTRACTIVE_NOTICE
        if persona:
            notice = PERSONA_NOTICE.format(name=persona) + " " + EXTRACTIVE_NOTICE
        return Answer(text, "extractive", confident, persona, citations, notice)

    def _idf(self) -> dict[str, float]:
        state = self.retriever.state()
        if self._idf_cache is None or self._idf_cache[0] != state.generation:
            self._idf_cache = (
                state.generation,
                extractive.term_idf([c.index_text for c in state.chunks]),
            )
        return self._idf_cache[1]

    async def best_quote(self, topic: str, *, speaker: str | None = None) -> Citation | None:
        """The single most relevant verbatim sentence on a topic (Discord ``/quote``)."""
        speaker = await asyncio.to_thread(self.resolve_persona, speaker)
        hits = await asyncio.to_thread(
            self.retriever.search, topic, self.settings.top_k, speaker=speaker
        )
        excerpts = self._excerpts(hits, speaker)
        if not excerpts or not self._relevant(hits):
            return None
        best = extractive.select(
            topic, excerpts, limit=1, embed=self.store.sentences.question_first, extend=False
        ).passages
        if not best:
            return None
        return sentence_citation(best[0], 1, self.labels_and_urls())


def request_guard(system: str, canary: str, excerpts: Sequence[Excerpt]) -> OutputGuard:
    """The output guard for one reply: excerpts may be quoted, but links are allowed only from
    excerpts not flagged as instruction-like at ingest (a planted "post this link" passage)."""
    return OutputGuard.for_request(
        system_prompt=system,
        canary=canary,
        sources=[e.chunk.text for e in excerpts],
        link_sources=[e.chunk.text for e in excerpts if INSTRUCTION_LIKE not in e.chunk.flags],
        refusal_text=REFUSAL,
    )


def display_quote(text: str) -> str:
    """One line, with inner double quotes shown as single ones so the outer quote stays whole."""
    return " ".join(text.split()).replace("“", "‘").replace("”", "’").replace('"', "'")


def sentence_citation(
    sent: extractive.Sentence, n: int, sources: dict[str, tuple[str, str, str | None]]
) -> Citation:
    """Extractive quotes are exact slices of the chunk, mapped back to the file through its
    pieces; this is the same span arithmetic verified quotes use (tested against the files)."""
    chunk = sent.excerpt.chunk
    piece = chunk.piece_at(sent.start)
    char_start, char_end = chunk.file_span(sent.start, sent.end)
    title, label, url = sources.get(chunk.source, (chunk.title, chunk.title, None))
    return Citation(
        n=n,
        source=chunk.source,
        title=title,
        speaker=piece.speaker,
        start=piece.start,
        quote=sent.text,
        verified=True,
        char_start=char_start,
        char_end=char_end,
        url=deep_link(url, piece.start),
        label=label,
    )


def number_citations(
    text: str, excerpts: Sequence[Excerpt], sources: dict[str, tuple[str, str, str | None]]
) -> tuple[str, list[Citation]]:
    """One footnote per verified quote, numbered in reading order; markers rewritten to match.

    ``text`` has already been cleaned by ``apply_checks``, so every quote left in it verifies;
    it is checked again here because the footnote must carry the quote's own span and time.
    Bare ``[n]`` markers on paraphrases point at the first quote from the same excerpt, or are
    dropped, so no marker refers to an excerpt number the reader never sees.
    """
    checks = [c for c in verify_quotes(text, excerpts) if c.verified and c.ref.marker]
    citations: list[Citation] = []
    first_for_excerpt: dict[int, int] = {}
    edits: list[tuple[int, int, str]] = []
    for check in checks:
        n = len(citations) + 1
        citations.append(citation_from(check, n, sources))
        first_for_excerpt.setdefault(check.excerpt or 0, n)
        assert check.ref.marker is not None
        edits.append((*check.ref.marker, f"[{n}]"))
    covered = sorted(c.ref.marker for c in checks if c.ref.marker)
    starts = [a for a, _ in covered]
    for m in re.finditer(r"\[(\d+)\]", text):
        k = bisect.bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < covered[k][1]:  # inside a quote's own marker, e.g. "[2][3]"
            continue
        target = first_for_excerpt.get(int(m.group(1)))
        edits.append((m.start(), m.end(), f"[{target}]" if target else ""))
    out, pos = [], 0
    for a, b, new in sorted(edits):  # one pass: slicing per edit was quadratic in the markers
        out += [text[pos:a], new]
        pos = b
    text = "".join([*out, text[pos:]])
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return text, citations


def citation_from(
    check: QuoteCheck, n: int, sources: dict[str, tuple[str, str, str | None]]
) -> Citation:
    name = check.source or ""
    title, label, url = sources.get(name, (name, name, None))
    return Citation(
        n=n,
        source=check.source or "",
        title=title,
        speaker=check.speaker,
        start=check.start,
        quote=check.source_text or check.quote,
        verified=True,
        char_start=check.char_start,
        char_end=check.char_end,
        url=deep_link(url, check.start),
        label=label,
    )


def safe_partial(
    raw: str, excerpts: Sequence[Excerpt], guard: OutputGuard, guarded: bool = True
) -> str:
    """What may be shown mid-stream: closed quotes verified, an open quote held back, guarded.

    No quote reaches the reader before it is checked: text from an unclosed quotation mark on is
    withheld until it closes, and a closed quote that fails verification is removed at once.
    """
    prefix = before_open_quote(raw)
    prefix = apply_checks(prefix, verify_quotes(prefix, excerpts), unverified="remove")
    shown = guard.check_partial(prefix) if guarded else prefix
    return before_open_quote(shown)  # the guard's hold-back may end inside a verified quote


def before_open_quote(text: str) -> str:
    """``text`` up to a quotation (or trailing blockquote) that is still open, as ``verify`` reads
    them; a closed scare quote holds nothing back."""
    start = open_quote_start(text)
    return text if start is None else text[:start].rstrip()


async def _call(fn: OnText, text: str) -> None:
    result = fn(text)
    if asyncio.iscoroutine(result):
        await result
