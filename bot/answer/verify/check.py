"""Check each quote of a reply against the excerpts it was shown, and say where it really is.

This is where the steps meet: the scanner's quotes, matched passage by passage (cited excerpts
first, then the others, so a real quote with a wrong marker is re-attributed), weighed against
the speaker the reply names. A verified quote is resolved to the exact span of the source file,
the timestamp of the segment where it starts, and its speaker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.answer.verify.attribution import SpeakerNames, claimed_speaker
from bot.answer.verify.normalize import normalize_with_offsets
from bot.answer.verify.passage import Passage
from bot.answer.verify.quotes import QuoteRef, extract_quotes
from bot.records import Chunk, Excerpt


@dataclass(frozen=True, slots=True)
class QuoteCheck:
    ref: QuoteRef
    quote: str  # as written in the answer
    cited: tuple[int, ...]
    excerpt: int | None  # the excerpt it was found in (may differ from cited: re-attributed)
    verified: bool
    source_text: str | None  # chunk.text slice; elided fragments are joined with " … "
    source: str | None  # file name of the excerpt's chunk
    char_start: int | None  # file_text[char_start:char_end] spans the quoted passage
    char_end: int | None
    start: float | None  # timestamp of the segment where the quote starts
    speaker: str | None
    # The name the answer gives the quote, where it names someone other than the speaker: the
    # span in the answer to rewrite to ``speaker``. None when it names nobody or the right person.
    misnamed: tuple[int, int] | None = None

    @property
    def reattributed(self) -> bool:
        return self.verified and self.excerpt not in self.cited


# A reply is a few quotes; one with hundreds is an attack on our time, and each quote's rewrite
# reads its sentence. Past this many, the reply is cut: the work stays linear in its length.
MAX_QUOTES = 64


def _check(ref: QuoteRef, passage: Passage, spans: list[tuple[int, int]]) -> QuoteCheck:
    excerpt = passage.excerpt
    chunk: Chunk = excerpt.chunk
    raw = [(passage.starts[a], passage.ends[b - 1]) for a, b in spans]
    source_text = " … ".join(chunk.text[a:b] for a, b in raw)
    char_start, char_end = chunk.file_span(raw[0][0], raw[-1][1])
    piece = chunk.piece_at(raw[0][0])
    return QuoteCheck(
        ref=ref,
        quote=ref.text,
        cited=ref.cited,
        excerpt=excerpt.n,
        verified=True,
        source_text=source_text,
        source=chunk.source,
        char_start=char_start,
        char_end=char_end,
        start=piece.start,
        speaker=piece.speaker,
    )


def _unverified(ref: QuoteRef) -> QuoteCheck:
    return QuoteCheck(
        ref=ref,
        quote=ref.text,
        cited=ref.cited,
        excerpt=None,
        verified=False,
        source_text=None,
        source=None,
        char_start=None,
        char_end=None,
        start=None,
        speaker=None,
    )


def verify_quotes(
    answer_text: str, excerpts: Sequence[Excerpt], speakers: Iterable[str] = ()
) -> list[QuoteCheck]:
    """Check each quote in the answer: cited excerpts first, then all others (re-attribution).

    ``speakers`` are names the answer may attribute quotes to (the excerpts' speakers always
    count). When the answer names a speaker, a match in that speaker's words is preferred; a
    verified quote that the answer gives to someone else carries the span of the wrong name.
    """
    passages: dict[int, Passage] = {}

    def passage(e: Excerpt) -> Passage:
        if e.n not in passages:
            passages[e.n] = Passage(e)
        return passages[e.n]

    names = SpeakerNames([*speakers, *(s for e in excerpts for s in e.chunk.speakers)])
    refs = extract_quotes(answer_text)
    checks: list[QuoteCheck] = []
    for k, ref in enumerate(refs):
        if k >= MAX_QUOTES:  # not checked at all: apply_checks cuts the reply before it
            checks.append(_unverified(ref))
            continue
        quote_norm = normalize_with_offsets(ref.text)[0]
        prev_end = refs[k - 1].end if k else 0
        next_start = refs[k + 1].start if k + 1 < len(refs) else len(answer_text)
        claim = claimed_speaker(answer_text, ref, prev_end, next_start, names)
        cited = [e for n in ref.cited for e in excerpts if e.n == n]
        others = [e for e in excerpts if e.n not in ref.cited]
        found: list[QuoteCheck] = []
        for excerpt in cited + others:
            spans = passage(excerpt).match(quote_norm)
            if spans:
                found.append(_check(ref, passage(excerpt), spans))
                if claim is None or found[-1].speaker in claim[0]:
                    break
        if not found:
            checks.append(_unverified(ref))
            continue
        best = next((c for c in found if claim and c.speaker in claim[0]), found[0])
        if claim and best.speaker and best.speaker not in claim[0]:
            best = replace(best, misnamed=claim[1])
        checks.append(best)
    return checks
