"""The offline reply: the chosen quotes, attributed and cited, led by a confident answer or by
an honest "the discussions don't seem to cover that directly".

Sentence choice is bot/answer/extractive.py; whether the quotes answer the question is
bot/answer/confidence.py. This module only puts the two together in the words the reader sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.answer import confidence
from bot.answer.citations import Sources
from bot.answer.extractive import (
    Embed,
    Selection,
    Sentence,
    display_quote,
    select,
    sentence_citation,
)
from bot.answer.guards import request_guard
from bot.records import Citation, Excerpt, Hit

# A confident reply leads with its answer and adds two more quotes; an unsure one shows one more
# of the closest passages, since the reader has to find the answer among them (on the tuning
# questions the evidence was then in view for 157 of 223 blind-written ones instead of 151).
QUOTES = 3
HEDGED_QUOTES = 4
NOT_DIRECTLY = "The discussions don't seem to cover that directly. The closest passages I found:"
# Unsure but not far off: of the tuning questions scored from 0.5 up to the operating point, 123
# of 206 had the evidence among the quotes shown (44 were unanswerable; below 0.5, 76 of 250 and
# 115), so "don't seem to cover that" would mislead; the reply says it may not answer instead.
MAYBE_FROM = 0.5
MAYBE = "These passages may answer it, but I'm not sure they do:"
# A question for a value whose quotes hold none: say which part is missing, so the reader knows
# the topic is there and the figure is not.
NO_VALUE = "The discussions don't seem to give that {what}. The closest passages I found:"


@dataclass(slots=True)
class Assembly:
    text: str  # one attributed quote per line, each with its [n] marker
    confident: bool
    citations: list[Citation]
    features: confidence.Features
    probability: float


def assemble(
    question: str,
    excerpts: Sequence[Excerpt],
    hits: Sequence[Hit],
    *,
    named: Sequence[str],
    idf: Mapping[str, float],
    embed: Embed | None,
    sources: Sources,
    repaired: str | None = None,
    glossary: Mapping[str, Sequence[str]] | None = None,
    model: confidence.Model | None = None,
    insist: Sequence[str] = (),
) -> Assembly | None:
    """The extractive reply, or None when no sentence is worth showing. ``named``: speakers the
    question names; ``idf``: corpus term weights; ``repaired``: the question with misspellings
    fixed (default: as asked); ``model``: the confidence model (default: the fitted one);
    ``insist``: people the question names outright, whose words lead when any are quoted."""
    asked = repaired or question
    picked = select(
        asked,
        excerpts,
        limit=HEDGED_QUOTES,
        prefer_speakers=named,
        embed=embed,
        idf=idf,
        value=confidence.asks_for(asked),
    )
    if not picked.passages:
        return None
    model = model or confidence.MODEL
    # Each quote is tried as the lead; the one the model finds most likely to answer leads (for
    # "how many…", the quote holding a number), and its probability is the reply's confidence.
    best: tuple[float, Selection, confidence.Features] | None = None
    for i in range(len(picked.passages)):
        trial = _lead_with(picked, i)
        feats = confidence.features(
            asked, excerpts, hits, trial, named=named, idf=idf, glossary=glossary
        )
        p = model.probability(feats)
        if best is None or p > best[0]:
            best = (p, trial, feats)
    assert best is not None
    p, picked, feats = best
    # "What does Dana think…" shows Dana's words first whenever a quote is hers; the quote the
    # model trusted most follows. (A person only described, "the Cohere guy", may be the wrong
    # guess: the model's order stands then.)
    theirs = [i for i, q in enumerate(picked.passages) if _speaker(q) in insist]
    if theirs and theirs[0] > 0:
        picked = _lead_with(picked, theirs[0])
    confident = p >= model.threshold
    if confident:
        picked = Selection(picked.passages[:QUOTES], picked.best_cosine, picked.cosines[:QUOTES])
    lines: list[str] = [] if confident else [_hedge(asked, feats, p)]
    citations: list[Citation] = []
    for n, sent in enumerate(picked.passages, 1):
        cite = sentence_citation(sent, n, sources)
        citations.append(cite)
        who = f"**{cite.speaker}** said" if cite.speaker else f"In *{cite.label}*"
        lines.append(f"- {who}: “{display_quote(cite.quote)}” [{n}]")
    text = request_guard("", "", excerpts).check("\n".join(lines)).text
    return Assembly(text, confident, citations, feats, p)


def _speaker(sent: Sentence) -> str | None:
    return sent.excerpt.chunk.piece_at(sent.start).speaker


def _lead_with(picked: Selection, i: int) -> Selection:
    """The same quotes with the ``i``-th first, the others in their order."""
    if i == 0:
        return picked
    order = [i, *(j for j in range(len(picked.passages)) if j != i)]
    return Selection(
        [picked.passages[j] for j in order],
        picked.best_cosine,
        [picked.cosines[j] for j in order] if picked.cosines else [],
    )


def _hedge(question: str, feats: confidence.Features, p: float) -> str:
    """What an unsure reply says first: which value is missing, or how unsure it is."""
    value = confidence.asks_for(question)
    if value is not None and feats.value_missing:
        return NO_VALUE.format(what=confidence.VALUE_NAMES[value.pattern])
    return MAYBE if p >= MAYBE_FROM else NOT_DIRECTLY
