"""How sure the offline answerer is that its leading quote answers the question.

Without a model that reads the passage, confidence comes from a handful of signals that a reader
could check by eye, combined by a small logistic model fitted on the tuning questions only
(eval/dev_tune.jsonl, eval/tune_blind.jsonl, eval/tune_blind2.jsonl;
scripts/calibrate_extractive.py, docs/answers.md):

- how close in meaning the leading quote's sentence is to the question, against how close the
  best passage is (MiniLM cosines): one sentence standing out from a passage that is merely on
  the topic is what an answer looks like;
- how much of the question's *rare* words (idf-weighted, after typo and glossary repair) the
  leading quote and the sentences around it contain: near-miss questions ("what is EleutherAI's
  annual budget?") share the common words with the passages and miss the one that asks;
- whether a question asking for an amount, a count or a time ("how much … cost", "how many",
  "when") gets a leading quote with one: that is what most answerable-looking unanswerable
  questions lack;
- whether a question asking for a name ("who wrote…", "what's the name of…", "which company…")
  gets a leading quote that names someone or something the question does not;
- whether any of the words the question asks about ("what *programming languages*…", "how many
  *gpus*…") is in the leading quote or the sentences around it;
- whether the lexical and the dense ranker agree on the top passage.

Each signal is a plain number in ``Features``; ``Model`` is a weight per signal and a bias, so a
surprising decision can be read off the reply's features.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields

from bot.answer.extractive import Selection, name_terms, split_sentences, terms
from bot.ingest.glossary import mentions
from bot.records import Excerpt, Hit

# What kind of value a question asks for, and what a quote holding that value contains. A
# near-miss question ("how much did Stability pay for the image data?") shares every topic word
# with the passages; what they lack is the amount.
_MONEY_Q = re.compile(
    r"\b(how\s+much\s+(\w+\s+){0,8}(cost|costs|charge|charges|pay|paid|spend|spent|raise|"
    r"raised|donate|donated|invest|invested|earn|make|makes|worth)|price|pricing|cost\s+per|"
    r"salary|revenue|valuation|budget|funding\s+round|in\s+dollars)\b",
    re.I,
)
# "When" as the question word ("when did…", "and when is…"), not "back when he ran a hedge fund".
_TIME_Q = re.compile(
    r"^\W*(?:(?:and|so|but|ok|okay)\W+)?when\b|\bwhen\s+(?:did|does|do|is|was|will|were|are|has|"
    r"have|had|can|could|would|should)\b|\b(?:what\s+year|which\s+year|what\s+date|since\s+when|"
    r"how\s+long\s+ago|what\s+month|release\s+date|launch\s+date)\b",
    re.I,
)
_COUNT_Q = re.compile(
    r"\b(how\s+(many|much|big|large|long|old|fast|often|far|tall|small)|what\s+(percent|"
    r"percentage|share|number|size|resolution|length)|in\s+(gigabytes|terabytes|hours|years))\b",
    re.I,
)
_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|hundreds|thousand|thousands|million|millions|"
    r"billion|billions|trillion|dozen|dozens|half|double|twice|triple|percent|once"
)
# A number standing on its own: "400", "1.3", "$4", "16,000", not the digits of a name ("A100",
# "GPT3", "V100s"), which near-miss passages are full of.
_DIGITS = r"(?<![A-Za-z0-9.])\d"
# An amount names its currency: "four million tablets" is a count, not a price.
_MONEY = re.compile(r"[$€£¥]|\b(dollars?|bucks|cents?|euros?|pounds|\d+k|free)\b", re.I)
# A time is a date, a year or a span: "soon", "next" or "already" alone answer no "when"
# ("a soon-to-be non-profit" once answered "when did EleutherAI start").
_TIME = re.compile(
    rf"{_DIGITS}|\b(years?|months?|weeks?|days?|decades?|ago|tomorrow|today|yesterday|"
    r"january|february|march|april|may|june|july|august|september|october|november|"
    r"december|spring|summer|autumn|fall|winter|quarter|q[1-4])\b",
    re.I,
)
_COUNT = re.compile(rf"{_DIGITS}|\b({_NUMBER_WORDS})\b", re.I)


# A question for a name ("who wrote…", "what's the name of…", "nora's last name") is answered by
# a quote that names someone or something the question does not: "a collaborator of mine wrote a
# paper" is on the topic and names nobody. Only a question that *starts* with "who" asks for a
# person ("the guy who runs eleuther" only describes one).
_NAME_Q = re.compile(
    r"^\W*(?:(?:and|so|but|ok|okay|wait|hmm)\W+)?(?:who|whom|whose)\b|\b(?:what|whats|what's|which)\b"
    r"(?:\W+\w+){0,4}?\W+(?:name|names|called|title|titled)\b|\b(?:last|first|full|real)\s+name\b"
    r"|\b(?:which|what)\s+(?:\w+\s+)?(?:company|companies|movie|film|book|paper|country|countries|"
    r"university|lab|startup|studio|license|licence|gpus?|game|dataset|benchmark|journal|city)\b",
    re.I,
)
# A name in a quote: a capitalised word that does not start a sentence (transcripts capitalise
# sentence starts), or an acronym; "I" and its contractions are no names.
_CAPITALISED = re.compile(r"(?<![.!?:\n]\s)(?<![.!?:\n])(?<!^)\b([A-Z][\w'’.-]*)")
_NOT_NAMES = frozenset({"i", "i'm", "i’m", "i've", "i’ve", "i'll", "i’ll", "i'd", "i’d", "ok"})


def names_something(quote: str, question: str) -> bool:
    """Whether ``quote`` holds a name (a capitalised word, not at a sentence start) that the
    question does not already say."""
    asked = {_bare(w) for w in re.findall(r"[\w'’.-]+", question)}
    for m in _CAPITALISED.finditer(quote.strip()):
        word = m.group(1)
        if word.lower().strip("'’.-") in _NOT_NAMES or _bare(word) in asked:
            continue
        return True
    return False


def _bare(word: str) -> str:
    """ "Stella's" and "stella" are the same name."""
    return word.lower().strip("'’.-").removesuffix("'s").removesuffix("’s")


# What a "what/which …" or "how many …" question asks about: the words right after the question
# word ("what *programming languages* does…", "what's the *carbon footprint* of…", "how many
# *gpus*…"). A near-miss passage has every other word of the question and not these.
_FOCUS = re.compile(
    r"^\W*(?:(?:and|so|but|ok|okay)\W+)?(?:(?:what|which)(?:'s|’s|s)?|how\s+(?:many|much))\s+"
    r"(?:(?:is|was|are|were)\s+)?(?:(?:the|a|an|his|her|their|its|this|that)\s+)?"
    r"((?:[\w'’-]+\s+){0,2}[\w'’-]+)",
    re.I,
)
_FOCUS_STOP = re.compile(
    r"\b(?:does|do|did|is|was|are|were|has|have|had|will|would|can|could|should|of|for|in|on|"
    r"at|to|from|by|with|about|he|she|they|it|we|you|i)\b.*",
    re.I,
)


def focus_terms(question: str) -> set[str]:
    """The question's asked-about words (stemmed), or an empty set when it has none."""
    m = _FOCUS.search(question)
    if not m:
        return set()
    return set(terms(_FOCUS_STOP.sub("", m.group(1))))


# How a reply names what it did not find.
VALUE_NAMES = {_MONEY.pattern: "amount", _COUNT.pattern: "number", _TIME.pattern: "date or time"}


def asks_for(question: str) -> re.Pattern[str] | None:
    """The pattern a quote answering ``question`` must match (an amount of money, a time, a
    count or size), or None when the question does not ask for a value."""
    if _MONEY_Q.search(question):
        return _MONEY
    if _COUNT_Q.search(question):
        return _COUNT
    if _TIME_Q.search(question):
        return _TIME
    return None


@dataclass(frozen=True, slots=True)
class Features:
    passage_cosine: float  # best retrieved passage's cosine to the question
    lead_cosine: float  # cosine of the sentence the leading quote was chosen for
    window_coverage: float  # idf share of the question's words in the leading quote's window
    value_missing: float  # 1: the question asks for an amount, time or count the lead lacks
    agreement: float  # 1: the lexical and dense rankers both put the top passage in their top 3
    other_speaker: float  # 1: the question names someone and the lead is another speaker's
    name_missing: float  # 1: the question asks for a name and the lead names nothing new
    focus_missing: float  # 1: none of the asked-about words is in the lead's window

    def vector(self) -> list[float]:
        return list(astuple(self))


FEATURES = tuple(f.name for f in fields(Features))


@dataclass(frozen=True, slots=True)
class Model:
    weights: tuple[float, ...]  # one per feature, in FEATURES order
    bias: float
    threshold: float  # grounded when the probability reaches this

    def probability(self, f: Features) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, f.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def confident(self, f: Features) -> bool:
        return self.probability(f) >= self.threshold


# Fitted by scripts/calibrate_extractive.py --fit on eval/dev_tune.jsonl + eval/tune_blind.jsonl +
# eval/tune_blind2.jsonl (571 questions, 166 unanswerable); the threshold is the operating point in
# docs/answers.md.
MODEL = Model(
    weights=(-1.686, 4.857, 2.220, -3.114, 0.231, -0.977, -3.542, -0.726),
    bias=-2.299,
    threshold=0.754,
)


def window(sel: Selection) -> str:
    """The leading quote with the sentence before and after it in its passage: the words of an
    answer are often split between the question that prompted it and the reply."""
    if not sel.passages:
        return ""
    lead = sel.passages[0]
    spans = split_sentences(lead.excerpt)
    inside = [i for i, (s, e) in enumerate(spans) if e > lead.start and s < lead.end]
    if not inside:
        return lead.text
    lo = spans[max(0, inside[0] - 1)][0]
    hi = spans[min(len(spans) - 1, inside[-1] + 1)][1]
    return lead.excerpt.chunk.text[min(lo, lead.start) : max(hi, lead.end)]


def _covered(q: set[str], have: set[str], alternates: Mapping[str, set[str]]) -> set[str]:
    return {t for t in q if t in have or alternates.get(t, set()) & have}


def _alternates(question: str, glossary: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Question term → terms of the glossary's heard forms for it ("EleutherAI" → "aluthor")."""
    out: dict[str, set[str]] = {}
    for right, heard in glossary.items():
        if mentions(question, right):
            alt = {t for h in heard for t in terms(h)}
            for t in terms(right):
                out.setdefault(t, set()).update(alt)
    return out


def features(
    question: str,
    excerpts: Sequence[Excerpt],
    hits: Sequence[Hit],
    sel: Selection,
    *,
    named: Sequence[str],
    idf: Mapping[str, float],
    glossary: Mapping[str, Sequence[str]] | None = None,
) -> Features:
    """``question``: as searched, with misspellings repaired; ``named``: people it names or
    describes (their names are not words the answer must contain); ``idf``: corpus term weights
    (extractive.term_idf); ``glossary``: right spelling → heard forms, so "EleutherAI" in the
    question is found as "Aluthor" in the transcript."""
    sims = [h.similarity for h in hits if h.similarity is not None]
    q = set(terms(question)) - name_terms(named)
    alternates = _alternates(question, glossary or {})
    weight = {t: idf.get(t, idf.get("", 1.0)) for t in q}
    total = sum(weight.values()) or 1.0

    def share(have: set[str]) -> float:
        return sum(weight[t] for t in _covered(q, have, alternates)) / total if q else 0.0

    have_win = set(terms(window(sel)))
    focus = focus_terms(question) - name_terms(named)
    value = asks_for(question)
    lead = sel.passages[0].text if sel.passages else ""
    speaker = (
        sel.passages[0].excerpt.chunk.piece_at(sel.passages[0].start).speaker if lead else None
    )
    top = hits[0] if hits else None
    agreement = (
        top is not None
        and top.dense_rank is not None
        and top.lexical_rank is not None
        and max(top.dense_rank, top.lexical_rank) <= 3
    )
    return Features(
        passage_cosine=max(sims, default=0.0),
        lead_cosine=sel.cosines[0] if sel.cosines else 0.0,
        window_coverage=share(have_win),
        value_missing=float(value is not None and not value.search(lead)),
        agreement=float(agreement),
        other_speaker=float(bool(named) and speaker is not None and speaker not in named),
        name_missing=float(bool(_NAME_Q.search(question)) and not names_something(lead, question)),
        focus_missing=float(bool(focus) and not _covered(focus, have_win, alternates)),
    )
