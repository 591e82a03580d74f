"""The offline answer: the best verbatim sentences of the top passages, attributed and cited.

Sentences are scored by the question's content words (stemmed, weighted by rarity among the
candidates) with a prior for the passage's retrieval rank, so the passage retrieval trusted most
still leads when wording differs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import Stemmer

from bot.answer.excerpt import Excerpt

_stem = Stemmer.Stemmer("english").stemWord
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_SENT_END = re.compile(r"[.!?…][\"'”’)]*(?=\s)")
STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "say",
        "said",
        "says",
        "think",
        "thinks",
        "thought",
        "talk",
        "talked",
        "talking",
        "discussion",
        "discussions",
        "podcast",
        "episode",
        "panel",
        "anyone",
        "someone",
        "something",
        "ever",
        "really",
        "like",
        "kind",
        "also",
        "get",
        "got",
        "one",
        "go",
        "going",
        "know",
        "mean",
        "yeah",
        "okay",
        "right",
        "well",
        "much",
        "many",
        "lot",
        "tell",
        "does",
        "did",
        "whats",
        "what's",
    ]
)
MAX_WORDS = 70
MIN_WORDS = 5
RELATIVE_FLOOR = 0.4  # a sentence scoring under this share of the best one is padding, not answer


def terms(text: str) -> list[str]:
    return [
        _stem(w.lower().strip("'’-"))
        for w in _WORD.findall(text)
        if w.lower().strip("'’-") not in STOP and len(w) > 1
    ]


@dataclass(frozen=True, slots=True)
class Sentence:
    excerpt: Excerpt
    start: int  # offsets into excerpt.chunk.text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.excerpt.chunk.text[self.start : self.end]


def split_sentences(ex: Excerpt) -> list[tuple[int, int]]:
    """Sentence spans in chunk text. A newline ends a sentence where segments are whole units
    (untimed notes and panel paragraphs) or the speaker changes; timed ASR lines run on."""
    text = ex.chunk.text
    cuts = {m.end() for m in _SENT_END.finditer(text)}
    pieces = ex.chunk.pieces
    for a, b in pairwise(pieces):
        if a.start is None or a.speaker != b.speaker:
            cuts.add(a.offset + a.length)
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*sorted(cuts), len(text)]:
        seg = text[prev:cut]
        lead = len(seg) - len(seg.lstrip())
        s, e = prev + lead, prev + len(seg.rstrip())
        if e > s:
            spans.extend(_cap_words(text, s, e))
        prev = cut
    return spans


def _cap_words(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Very long run-on sentences (ASR) are cut at a comma or space so quotes stay readable."""
    out: list[tuple[int, int]] = []
    while True:
        words = list(re.finditer(r"\S+", text[s:e]))
        if len(words) <= MAX_WORDS:
            out.append((s, e))
            return out
        cut = s + words[MAX_WORDS - 1].end()
        comma = text.rfind(",", s + words[MAX_WORDS // 2].start(), cut)
        cut = comma + 1 if comma > 0 else cut
        out.append((s, cut))
        s = cut + (len(text[cut:e]) - len(text[cut:e].lstrip()))


def best_sentences(
    question: str,
    excerpts: Sequence[Excerpt],
    *,
    limit: int = 3,
    per_excerpt: int = 2,
    prefer_speakers: Sequence[str] = (),
) -> list[Sentence]:
    """Top sentences; overlapping chunks repeat sentences, so each file span counts once, and
    sentences by a speaker the question names ("what does Yann think…") are favoured."""
    q = set(terms(question)) - {terms(n)[0] for s in prefer_speakers for n in s.split() if terms(n)}
    if not q or not excerpts:
        return []
    candidates: list[tuple[Excerpt, int, int, set[str], int]] = []
    seen_spans: set[tuple[str, int]] = set()
    for ex in excerpts:
        for s, e in split_sentences(ex):
            words = ex.chunk.text[s:e].split()
            key = (ex.chunk.source, ex.chunk.file_span(s, e)[0])
            if len(words) < MIN_WORDS or key in seen_spans:
                continue
            seen_spans.add(key)
            candidates.append((ex, s, e, set(terms(ex.chunk.text[s:e])), len(words)))
    df = Counter(t for c in candidates for t in c[3] & q)
    n = len(candidates) or 1
    scored: list[Sentence] = []
    for ex, s, e, ts, nwords in candidates:
        matched = ts & q
        if not matched:
            continue
        weight = sum(math.log(1 + n / df[t]) for t in matched)
        length_norm = 1 / (1 + 0.15 * abs(nwords - 22) / 22)
        prior = 1.0 / (1 + 0.35 * (ex.n - 1))
        boost = 1.0
        if prefer_speakers:
            speaker = ex.chunk.piece_at(s).speaker
            boost = 1.6 if speaker in prefer_speakers else 0.7
        scored.append(Sentence(ex, s, e, weight * length_norm * (0.5 + prior) * boost))
    scored.sort(key=lambda x: -x.score)
    picked: list[Sentence] = []
    used: Counter[int] = Counter()
    for sent in scored:
        if used[sent.excerpt.n] >= per_excerpt or sent.score < RELATIVE_FLOOR * scored[0].score:
            continue
        picked.append(sent)
        used[sent.excerpt.n] += 1
        if len(picked) >= limit:
            break
    return picked


def coverage(question: str, sentences: Sequence[Sentence]) -> float:
    """Share of the question's content words that the chosen sentences contain."""
    q = set(terms(question))
    if not q:
        return 0.0
    got: set[str] = set()
    for s in sentences:
        got |= set(terms(s.text))
    return len(q & got) / len(q)
