"""The relevance bar on its own: what counts as a rare word, and that no passages, or no dense
similarity at all, is never relevant, whatever the anchor says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.answer import relevance
from bot.answer.extractive import term_idf
from bot.records import Chunk, Excerpt, Hit, Piece

COMMON = "the model was trained on data and the model was big"
CORPUS = [COMMON] * 150 + ["so we built a dataset called the pile"]


def excerpt(text: str) -> Excerpt:
    return Excerpt(1, Chunk("c1", "f.txt", "F", text, (Piece(0, 0, len(text), None, None, None),)))


def hit(similarity: float | None) -> Hit:
    return Hit(excerpt("x").chunk, 0.5, 1, 1, similarity)


def test_a_word_in_one_passage_of_many_is_rare_and_a_common_one_is_not():
    idf = term_idf(CORPUS)
    assert relevance.rare_terms("what's the pile, and the model?", idf, len(CORPUS)) == {"pile"}
    assert relevance.rare_terms("was the model trained?", idf, len(CORPUS)) == set()
    assert relevance.rare_terms("what's a zebra?", idf, len(CORPUS)) == set()  # never said


def test_anchor_needs_the_word_in_a_retrieved_passage():
    idf = term_idf(CORPUS)
    assert relevance.anchored("the pile?", [excerpt(CORPUS[-1])], idf, len(CORPUS))
    assert not relevance.anchored("the pile?", [excerpt(COMMON)], idf, len(CORPUS))


def test_the_bar_is_lower_only_for_an_anchored_question():
    ex = [excerpt("x")]
    between = (relevance.ANCHORED_SIMILARITY + relevance.MIN_SIMILARITY) / 2
    assert relevance.relevant([hit(between)], ex, anchor=True)
    assert not relevance.relevant([hit(between)], ex, anchor=False)
    assert not relevance.relevant([hit(relevance.ANCHORED_SIMILARITY - 0.01)], ex, anchor=True)


@given(st.lists(st.none() | st.floats(-1, 1), max_size=5), st.booleans())
def test_nothing_to_show_or_no_similarity_is_never_relevant(sims, anchor):
    hits = [hit(s) for s in sims]
    assert not relevance.relevant(hits, [], anchor)
    if all(s is None for s in sims):
        assert not relevance.relevant(hits, [excerpt("x")], anchor)


@given(st.text(max_size=200), st.integers(-5, 10_000))
def test_rare_terms_reads_any_text_and_any_corpus_size(question, passages):
    assert isinstance(relevance.rare_terms(question, term_idf(CORPUS), passages), set)
