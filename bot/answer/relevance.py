"""Whether anything retrieved is about the question at all: the bar between a plain "not covered"
and a reply that shows passages.

There are two ways over it. The best passage can be close in meaning (MiniLM cosine at least
``MIN_SIMILARITY``, docs/answers.md). Or the question can name a word that is rare in the corpus
and that a retrieved passage says, with that passage at least loosely about the question
(``ANCHORED_SIMILARITY``). The second is for the shortest questions: "what's the pile?"
is one rare word, too little for a sentence vector (best cosine 0.23), yet a passage says "we
built a dataset called the pile". A question let in this way still meets the offline answerer's
confidence model (or the LLM's own "not covered"). So this bar decides only whether the reader
sees the closest passages, never whether a reply claims to answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.answer.extractive import terms
from bot.records import Excerpt, Hit

MIN_SIMILARITY = 0.25
# A question let in by a rare word still needs a passage loosely about it: "who won the world
# cup?" has a rare word ("won" is in 3 of 421 seed passages) and a best cosine of 0.14; the short
# answerable questions above scored 0.20 to 0.24 on the tuning files.
ANCHORED_SIMILARITY = 0.20
# Rare: said in at most this share of all passages. A share rather than a count, so a word stays
# rare when the corpus grows by repeating itself (the benchmark's replicated corpus).
RARE_SHARE = 0.01


def rare_terms(question: str, idf: Mapping[str, float], passages: int) -> set[str]:
    """The question's words (stemmed) that the corpus says, in at most RARE_SHARE of its
    ``passages``; ``idf`` is extractive.term_idf over those passages."""
    if passages <= 0:
        return set()
    bar = math.log((passages + 1) / (RARE_SHARE * passages + 0.5))
    return {t for t in terms(question) if t in idf and idf[t] >= bar}


def anchored(
    question: str, excerpts: Sequence[Excerpt], idf: Mapping[str, float], passages: int
) -> bool:
    """Whether a retrieved passage says one of the question's rare words."""
    rare = rare_terms(question, idf, passages)
    return bool(rare) and any(rare & set(terms(e.chunk.index_text)) for e in excerpts)


def relevant(hits: Sequence[Hit], excerpts: Sequence[Excerpt], anchor: bool) -> bool:
    """The bar itself: passages to show, and either one close in meaning or an anchor word."""
    if not excerpts:
        return False
    best = max((h.similarity for h in hits if h.similarity is not None), default=None)
    if best is None:
        return False
    return best >= (ANCHORED_SIMILARITY if anchor else MIN_SIMILARITY)
