"""The sentence stage: a passage is scored by its best sentence, so an answer that is one sentence
in a long turn is not drowned by the rest of the turn."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from bot.index.store import Store
from bot.records import Chunk, Piece
from bot.retrieve import search as search_module
from bot.retrieve import sentences as stage
from bot.retrieve.search import Retriever
from bot.retrieve.sentences import SentenceRanker

ROOT = Path(__file__).resolve().parents[2]


def bag_of_words(texts) -> np.ndarray:
    """A deterministic stand-in for an embedding model: hashed word counts, unit length."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-z]+", t.lower()):
            out[i, zlib.crc32(w.encode()) % 256] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, "talk.txt", "Talk", text, (Piece(0, 0, len(text), None, None, None),))


FILLER = [
    f"We talked about the {w} for a while and then moved on to the next thing on the list."
    for w in ("weather", "traffic", "office move", "budget", "hiring plan", "new logo", "printer")
]
ANSWER = "My grandmother taught me to bake sourdough bread."
LONG = chunk("long", " ".join([*FILLER[:4], ANSWER, *FILLER[4:]]))
LUKEWARM = chunk(
    "lukewarm",
    "People bake a lot at home these days. Bread prices went up again this year. "
    "Taught courses on cooking are popular.",
)


class Counting:
    def __init__(self) -> None:
        self.embedded = 0

    def __call__(self, texts):
        self.embedded += len(texts)
        return bag_of_words(texts)


def test_one_matching_sentence_beats_a_lukewarm_passage():
    """Whole-passage similarity favours the short passage that is vaguely about baking; the
    sentence stage favours the long one whose single sentence answers."""
    question = "who taught you to bake sourdough bread"
    q = bag_of_words([question])[0]
    whole = bag_of_words([LONG.text, LUKEWARM.text]) @ q
    assert whole[1] > whole[0]  # the attack: dilution ranks the answer second
    ranked = SentenceRanker(bag_of_words, lambda c: c).rank(q, [LUKEWARM, LONG])
    assert [cid for cid, _ in ranked] == ["long", "lukewarm"]


def test_sentences_are_embedded_once_and_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(stage, "KEPT", 3)
    embed = Counting()
    ranker = SentenceRanker(embed, lambda c: c)
    q = bag_of_words(["budget"])[0]
    chunks = [chunk(f"c{i}", " ".join(FILLER[i : i + 2])) for i in range(5)]
    ranker.rank(q, chunks[:3])
    first = embed.embedded
    assert first == 6
    ranker.rank(q, chunks[:3])
    assert embed.embedded == first  # all three still kept: no new work
    ranker.rank(q, chunks)
    assert len(ranker._kept) == 3


def test_a_passage_without_a_scorable_sentence_is_left_out():
    ranked = SentenceRanker(bag_of_words, lambda c: c).rank(
        bag_of_words(["hi"])[0], [chunk("short", "Yes. No."), LONG]
    )
    assert [cid for cid, _ in ranked] == ["long"]


@pytest.fixture(scope="module")
def retriever(seeded_data_dir):
    from bot.settings import load_settings

    store = Store(load_settings(data_dir=seeded_data_dir, seeds_dir=ROOT / "seeds"))
    yield Retriever(store)
    store.close()


@pytest.mark.parametrize(
    ("question", "said"),
    [
        # one sentence inside a long community-Q&A answer: 7th and 9th with the two rankers
        # alone (RRF k = 10, the code before this stage)
        ("why do communities go bad when they grow?", "designed for one to 150"),
        ("will agi be grateful for the gpus?", "thanks him for buying so many GPUs"),
    ],
)
def test_an_answer_sentence_inside_a_long_passage_is_reached(retriever, question, said):
    hits = retriever.search(question, 5)
    assert any(said in h.chunk.text for h in hits), [h.chunk.text[:60] for h in hits]


def test_a_named_person_keeps_the_stage_to_their_turns(retriever):
    """The stage only promotes sentences of the person a question names, when it has any: a
    topic match in someone else's turn must not jump the queue for "what did Andrew say…"."""
    state = retriever.state()
    vec = retriever.store.sentences.query("what did andrew say about open source")
    dense = [(m.id, m.similarity) for m in retriever.store.vectors.query(vec, 30)]
    pool = retriever.sentence_pool(state, dense, [], ["Andrew Ng"])
    assert pool and all("Andrew Ng" in c.speakers for c in pool)
    assert len(retriever.sentence_pool(state, dense, [], [])) > len(pool)


@pytest.mark.parametrize(
    ("question", "people"),
    [
        # before: no passage of Emad's, and none of Andrew's, in the top 5
        ("what do daphne and emad think about data?", ["Daphne Koller", "Emad Mostaque"]),
        (
            "do andrew ng and stella think models should be released?",
            ["Andrew Ng", "Stella Biderman"],
        ),
    ],
)
def test_a_question_about_two_people_hears_both(retriever, question, people):
    state = retriever.state()
    hits = retriever.search(question, 5)
    for person in people:
        theirs = [h for h in hits if retriever._speaks(state, h.chunk, person)]
        assert len(theirs) >= search_module.PER_PERSON, (person, [h.chunk.source for h in hits])


@pytest.mark.parametrize(
    "question",
    [
        "what do daphne and emad think about data?",
        "do andrew ng and stella think models should be released?",
        "why would musicians pick up ai tools quicker than painters?",
    ],
)
@pytest.mark.parametrize("source", ["002_0a6e188aa2508fc6.txt", "004_ec03862bfd892207.txt"])
def test_every_stage_keeps_to_the_sources_a_server_may_see(retriever, question, source):
    """The sentence stage and the per-person rankings search again; neither may bring back a
    passage from a source the caller is not allowed to see, nor ignore a source filter."""
    for hits in (
        retriever.search(question, 8, allowed={source}),
        retriever.search(question, 8, source=source),
    ):
        assert all(h.chunk.source == source for h in hits)
