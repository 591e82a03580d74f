"""Offline quotes are whole sentences of one speaker, the reply rather than the question, and
their vectors come from the cache filled at ingest."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answer.engine import Engine
from bot.index.store import Store
from bot.ingest.sentences import SENT_END, widen
from bot.retrieve.search import Retriever
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
LABEL = re.compile(r"(?m)^[A-Z][A-Za-z]+(?: [A-Z][A-Za-z-]+)*: ")


@pytest.fixture
async def engine(seeded_settings: Settings) -> AsyncIterator[Engine]:
    e = Engine(seeded_settings)
    yield e
    await e.aclose()


def test_widened_chunks_still_map_to_the_file_and_end_sentences(seeded_settings):
    """Every widened chunk's pieces are exact slices of the file; a timed chunk ends a sentence
    unless the next segment is another speaker's or the borrowing limit was reached."""
    store = Store(seeded_settings)
    try:
        chunks = list(store.catalog.iter_chunks())
    finally:
        store.close()
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    grew = 0
    for i, c in enumerate(chunks):
        before = chunks[i - 1] if i and chunks[i - 1].source == c.source else None
        after = chunks[i + 1] if i + 1 < len(chunks) and chunks[i + 1].source == c.source else None
        w = widen(c, before, after)
        grew += len(w.pieces) > len(c.pieces)
        for p in w.pieces:
            assert (
                w.text[p.offset : p.offset + p.length]
                == texts[c.source][p.char_start : p.char_start + p.length]
            )
        assert w.text.startswith(c.text) or w.text.endswith(c.text) or c.text in w.text
    assert grew > 50  # Whisper chunks end mid-sentence; most get completed


async def test_reply_is_quoted_not_the_interviewers_question(engine):
    """'What does Stella think about releasing models openly?' used to lead with the host's
    question; no quote shown may be a question."""
    for q in (
        "What does Stella think about releasing models openly?",
        "what did emad propose about regulating big models?",
    ):
        answer = await engine.answer(q)
        assert answer.citations
        for c in answer.citations:
            assert not c.quote.rstrip().rstrip("\"'”’)").endswith("?"), (q, c.quote)


async def test_quotes_never_join_two_speakers_or_swallow_a_label(engine):
    """A quote's file span holds one speaker's words: no 'Aarthi:' label inside it."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    rows = [json.loads(x) for x in (ROOT / "eval" / "dev_tune.jsonl").read_text().splitlines()]
    questions = [r["question"] for r in rows if r["kind"] != "unanswerable"]
    questions += ["what did aarthi say about jarvis", "personal jarvis and parasocial apps"]
    for q in questions:
        answer = await engine.answer(q)
        for c in answer.citations:
            span = texts[c.source][c.char_start : c.char_end]
            assert not LABEL.search(span[1:]), (q, span)


async def test_answers_read_sentence_vectors_from_the_ingest_cache(engine):
    """Ingest embedded every sentence the answerer scores: answering adds none to the cache."""
    sentences = engine.store.sentences
    before = sentences.count()
    assert before > 1000
    for q in ("how much vram do you need", "what does yann think about open source"):
        await engine.answer(q)
    assert sentences.count() == before


def test_sentence_end_pattern_sees_quotes_and_ellipses():
    assert [m.end() for m in SENT_END.finditer('He said "no." Then… ok? Fine')] == [13, 19, 23]


def test_retriever_widen_leaves_foreign_chunks_alone(seeded_settings):
    store = Store(seeded_settings)
    try:
        r = Retriever(store)
        chunk = r.state().chunks[0]
        from dataclasses import replace

        stranger = replace(chunk, id="not-indexed")
        assert r.widen(stranger) is stranger
    finally:
        store.close()
