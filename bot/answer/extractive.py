"""The offline answer's quotes: the best verbatim sentences of the top passages, cited.

``select`` picks sentences; bot/answer/offline.py decides whether they answer the question
confidently (bot/answer/confidence.py) and writes them as attributed, cited quotes. Sentences
are scored by the question's content words (stemmed, weighted by rarity among the candidates) and
their meaning, with a prior for the passage's retrieval rank, so the passage retrieval trusted
most still leads when wording differs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import Stemmer

from bot.answer.citations import Sources, make_citation
from bot.ingest.sentences import MIN_WORDS, embed_text, sentence_spans
from bot.records import Citation, Excerpt

_stem = Stemmer.Stemmer("english").stemWord
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
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
RELATIVE_FLOOR = 0.3  # a sentence scoring under this share of the best one is padding, not answer
PASSAGE_WORDS = 90
# A sentence that is itself a question (the host asking it) is not the answer, but it is where
# the question's words are: it keeps its score and hands its place to the reply after it.
QUESTION_WEIGHT = 1.0
# Sentence score = these weights times: lexical overlap (normalised to the best), cosine to the
# question, idf share of the question's words in the sentence and the one before, a prior for
# the passage's retrieval rank; times 1 ± SPEAKER_BONUS when the question names speakers. A grid
# on the tuning questions (eval/dev_tune.jsonl + eval/tune_blind.jsonl, 267 answerable) led with
# the evidence for 134 instead of 122, and showed it among the quotes for 188 instead of 181.
LEXICAL_WEIGHT = 1.0
COSINE_WEIGHT = 4.0
COVERAGE_WEIGHT = 1.0
RANK_WEIGHT = 0.3
SPEAKER_BONUS = 0.15
# A question for a value ("how many…", "when…") favours the sentences holding one: "it's about two
# and a half thousand members" answers "how many people are in the community" without sharing a
# word with it (tuning: the evidence led 1-2 points more often, and was among three quotes for
# 0.3 / 1.5 points more of dev_tune + tune_blind / tune_blind2).
VALUE_WEIGHT = 0.5


def terms(text: str) -> list[str]:
    return [
        _stem(w.lower().strip("'’-"))
        for w in _WORD.findall(text)
        if w.lower().strip("'’-") not in STOP and len(w) > 1
    ]


def name_terms(names: Sequence[str]) -> set[str]:
    """The terms of people's names: in "what does Yann think" the name picks the speaker, it is
    not a word the answer has to contain."""
    return {t for name in names for part in name.split() for t in terms(part)}


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
    return sentence_spans(ex.chunk)


Embed = Callable[[list[str]], np.ndarray]


def candidates(excerpts: Sequence[Excerpt]) -> list[Sentence]:
    """Every sentence of the excerpts once (overlapping chunks repeat sentences), in order."""
    out: list[Sentence] = []
    seen: set[tuple[str, int]] = set()
    for ex in excerpts:
        for s, e in split_sentences(ex):
            key = (ex.chunk.source, ex.chunk.file_span(s, e)[0])
            if key in seen or len(ex.chunk.text[s:e].split()) < MIN_WORDS:
                continue
            seen.add(key)
            out.append(Sentence(ex, s, e, 0.0))
    return out


def lexical_scores(q: set[str], cands: Sequence[Sentence]) -> np.ndarray:
    """Question words found in the sentence, rarer ones (among candidates) counting more."""
    sets = [set(terms(c.text)) for c in cands]
    df = Counter(t for ts in sets for t in ts & q)
    n = len(cands) or 1
    out = np.zeros(len(cands), dtype=np.float32)
    for i, (c, ts) in enumerate(zip(cands, sets, strict=True)):
        matched = ts & q
        if matched:
            nwords = len(c.text.split())
            weight = sum(math.log(1 + n / df[t]) for t in matched)
            out[i] = weight / (1 + 0.15 * abs(nwords - 22) / 22)
    return out


@dataclass(slots=True)
class Selection:
    passages: list[Sentence]
    best_cosine: float  # the closest sentence's cosine similarity to the question (0 without embed)
    cosines: list[float] = field(default_factory=list)  # per passage: its chosen sentence, cosine


def select(
    question: str,
    excerpts: Sequence[Excerpt],
    *,
    limit: int = 3,
    prefer_speakers: Sequence[str] = (),
    embed: Embed | None = None,
    extend: bool = True,
    idf: Mapping[str, float] | None = None,
    value: re.Pattern[str] | None = None,
) -> Selection:
    """The best passages: top sentences by question words + meaning, each with the sentence after
    it (an answer often follows the sentence that matches the question), same speaker only.

    Scored by lexical overlap (normalised), cosine similarity to the question when ``embed`` is
    given (weighted most: on the tuning questions the sentence closest in meaning led to the
    evidence more often than the one sharing most words), the share of the question's corpus-rare
    words (``idf``) in the sentence and the one before it, and the passage's retrieval rank;
    sentences by a speaker the question names ("what does Yann think…") are favoured, and so are
    those matching ``value``, the kind of value the question asks for (bot/answer/confidence.py
    ``asks_for``). Weights chosen on eval/dev_tune.jsonl and eval/tune_blind.jsonl, the value's
    with eval/tune_blind2.jsonl too (docs/answers.md).
    """
    q = set(terms(question)) - name_terms(prefer_speakers)
    cands = candidates(excerpts)
    if not q or not cands:
        return Selection([], 0.0)
    lex = lexical_scores(q, cands)
    score = LEXICAL_WEIGHT * lex / (lex.max() or 1.0)
    if idf is not None:
        score = score + COVERAGE_WEIGHT * window_coverages(q, cands, idf)
    best_cosine = 0.0
    cosines = np.zeros(len(cands), dtype=np.float32)
    if embed is not None:
        vectors = embed([question, *(embed_text(c.text) for c in cands)])
        cosines = vectors[1:] @ vectors[0]
        best_cosine = float(cosines.max())
        score = score + COSINE_WEIGHT * cosines
    for i, c in enumerate(cands):
        score[i] += RANK_WEIGHT / (1 + 0.35 * (c.excerpt.n - 1))
        if value is not None and value.search(c.text):
            score[i] += VALUE_WEIGHT
        if prefer_speakers:
            named = c.excerpt.chunk.piece_at(c.start).speaker in prefer_speakers
            score[i] *= (1 + SPEAKER_BONUS) if named else (1 - SPEAKER_BONUS)
        if lex[i] == 0 and embed is None:
            score[i] = 0.0
        if _is_question(c):
            score[i] *= QUESTION_WEIGHT
    order = [int(i) for i in np.argsort(-score) if score[i] > 0]
    picked: list[Sentence] = []
    matched: list[float] = []
    taken: set[int] = set()
    for i in order:
        if i in taken or (picked and score[i] < RELATIVE_FLOOR * score[order[0]]):
            continue
        lo = i
        if extend and _is_question(cands[i]):
            # The sentence that matched is the interviewer's question: the reader wants the
            # reply, whoever gives it, so the passage starts there; with no reply in view, the
            # question is no answer at all.
            reply = _reply_after(cands, i, taken)
            if reply is None:
                continue
            lo = reply
        hi = _extend(cands, lo, taken) if extend else lo
        # A question its own speaker answers next (Emad reading a community question aloud) is
        # the start of the answer, not someone else's line: it stays in the quote, which then
        # ends with the reply unless the whole still fits PASSAGE_WORDS.
        if lo == i + 1 and _continues(cands, i):
            lo = i
            if hi > i + 1 and _words(cands, i, hi) > PASSAGE_WORDS:
                hi = i + 1
        taken.update(range(i, hi + 1))
        first, last = cands[lo], cands[hi]
        picked.append(Sentence(first.excerpt, first.start, last.end, float(score[i])))
        matched.append(float(cosines[i]))
        if len(picked) >= limit:
            break
    return Selection(picked, best_cosine, matched)


def window_coverages(
    q: set[str], cands: Sequence[Sentence], idf: Mapping[str, float]
) -> np.ndarray:
    """Per sentence: the idf-weighted share of the question's words found in it or in the
    sentence before it (the host's question often holds the words the reply leaves out)."""
    unseen = idf.get("", 1.0)
    weight = {t: idf.get(t, unseen) for t in q}
    total = sum(weight.values()) or 1.0
    sets = [set(terms(c.text)) & q for c in cands]
    out = np.zeros(len(cands), dtype=np.float32)
    for i, c in enumerate(cands):
        have = sets[i]
        if i and cands[i - 1].excerpt is c.excerpt:
            have = have | sets[i - 1]
        out[i] = sum(weight[t] for t in have) / total
    return out


def term_idf(texts: Sequence[str]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(terms(text)))
    n = len(texts)
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()} | {"": math.log(2 * (n + 1))}


def weighted_coverage(
    question: str, excerpts: Sequence[Excerpt], idf: dict[str, float], ignore: Sequence[str] = ()
) -> float:
    """Share of the question's meaning-bearing words (weighted by rarity in the whole corpus)
    that the retrieved passages contain. Words the corpus never uses weigh the most, so "what does
    Cohere charge per token" scores low even when passages about tokens come back."""
    q = set(terms(question)) - name_terms(ignore)
    if not q:
        return 0.0
    have: set[str] = set()
    for ex in excerpts:
        have.update(terms(ex.chunk.index_text))
    unseen = idf[""]
    total = sum(idf.get(t, unseen) for t in q)
    return sum(idf.get(t, unseen) for t in q & have) / total


def _is_question(sent: Sentence) -> bool:
    return sent.text.rstrip().rstrip("\"'”’)").endswith("?")


def _reply_after(cands: Sequence[Sentence], i: int, taken: set[int]) -> int | None:
    """The first sentence after the question ``i`` that is not itself a question (a host often
    asks two or three in a row: "Is he pursuing it the right way? Or is he falling short?"),
    in the same passage and not already quoted; None when there is none."""
    j = i + 1
    while j < len(cands) and j not in taken and cands[j].excerpt.n == cands[i].excerpt.n:
        if not _is_question(cands[j]):
            return j
        j += 1
    return None


def _extend(cands: Sequence[Sentence], i: int, taken: set[int]) -> int:
    """Index of the last sentence of the passage starting at ``i`` (next sentence, same
    excerpt and speaker, not already used, total under PASSAGE_WORDS)."""
    j = i + 1
    if j >= len(cands) or j in taken or _is_question(cands[j]):
        return i  # the next question starts another exchange; it never continues an answer
    return j if _continues(cands, i) else i


def _continues(cands: Sequence[Sentence], i: int) -> bool:
    """Whether sentence ``i + 1`` follows ``i`` in one quote: same passage and speaker, nothing
    skipped between them, together under PASSAGE_WORDS."""
    if i + 1 >= len(cands):
        return False
    a, b = cands[i], cands[i + 1]
    between = a.excerpt.chunk.text[a.end : b.start] if a.excerpt is b.excerpt else "x"
    if between.strip():
        return False  # a line was skipped (too short to score: "Aarthi: “Your own Jarvis”")
    same = a.excerpt.n == b.excerpt.n and (
        a.excerpt.chunk.piece_at(a.start).speaker == b.excerpt.chunk.piece_at(b.start).speaker
    )
    return same and _words(cands, i, i + 1) <= PASSAGE_WORDS


def _words(cands: Sequence[Sentence], i: int, j: int) -> int:
    """Words from the start of sentence ``i`` to the end of ``j`` (same passage)."""
    a, b = cands[i], cands[j]
    return len(a.excerpt.chunk.text[a.start : b.end].split())


def display_quote(text: str) -> str:
    """One line, with inner double quotes shown as single ones so the outer quote stays whole."""
    return " ".join(text.split()).replace("“", "‘").replace("”", "’").replace('"', "'")


def sentence_citation(sent: Sentence, n: int, sources: Sources) -> Citation:
    """Extractive quotes are exact slices of the chunk, mapped back to the file through its
    pieces; this is the same span arithmetic verified quotes use (tested against the files)."""
    chunk = sent.excerpt.chunk
    piece = chunk.piece_at(sent.start)
    char_start, char_end = chunk.file_span(sent.start, sent.end)
    return make_citation(
        n,
        chunk.source,
        speaker=piece.speaker,
        start=piece.start,
        quote=sent.text,
        char_start=char_start,
        char_end=char_end,
        sources=sources,
        title=chunk.title,
    )
