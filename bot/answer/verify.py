"""Check every quotation in a model's answer against the excerpts it was shown.

A model will happily "quote" words nobody said, or pin a real quote on the wrong excerpt. Readers
trust quotation marks, so each quote is searched for in the excerpts (the cited ones first) and
the answer is rewritten before anyone sees it: misattributed markers are corrected and quotes that
appear nowhere are removed or visibly marked. A verified quote is resolved to the exact span of
the source file, the timestamp of the segment where it starts, and its speaker.

Matching is exact on normalised text (quote styles, dashes, whitespace, case) rather than fuzzy:
a fuzzy threshold would verify a quote with a changed word, which is exactly the failure this
module exists to catch.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.records import Chunk, Excerpt

# --- normalisation -------------------------------------------------------------------------

# Every quotation mark (and the apostrophe) folds to one character: a model may quote a quote
# with other marks than the transcript used ("…" inside “…”), which changes no word.
_QUOTE_CHARS = "'‘’‚‛′`´‹›\"“”„‟″«»「」『』〝〞＂＇"
_CHAR_MAP: dict[int, str] = {
    **{ord(c): "'" for c in _QUOTE_CHARS},
    **{cp: "-" for cp in range(0x2010, 0x2016)},  # hyphen, NB hyphen, figure/en/em dash, bar
    0x2212: "-",  # minus sign
    0xFE58: "-",  # small em dash
    0xFE63: "-",  # small hyphen-minus
    0x2026: "...",
}
# Invisible characters that transcripts and models insert or drop at will (zero-width, bidi
# controls, soft hyphen, tag characters): never part of a word.
_DROP = frozenset(
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
) | frozenset(chr(c) for c in range(0xE0000, 0xE0080))


def _normalize(text: str) -> tuple[str, list[int], list[int]]:
    """Normalised text plus, per normalised char, the start and end offset of its origin."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = text[i:j].translate(_CHAR_MAP)
        for ch in unicodedata.normalize("NFKC", cluster).casefold().translate(_CHAR_MAP):
            if ch in _DROP:
                continue
            if ch.isspace():
                if out and out[-1] in " -":
                    ends[-1] = j  # the collapsed run maps back to all of its characters
                    continue
                ch = " "
            elif ch == "-" and out and out[-1] in " -":
                # "in—or", "in — or" and "in -- or" are one dash: spacing around it is typography.
                if out[-1] == "-":
                    ends[-1] = j
                    continue
                out.pop()
                starts.pop()
                ends.pop()
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(out), starts, ends


def normalize_for_match(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` for quote matching; also map each normalised char to its source offset.

    Every quotation mark and apostrophe becomes ``'``, every dash a hyphen (dash runs one,
    without spaces around it), every whitespace run (NBSP and newlines included) one space,
    ``…`` three dots, and case is folded, because models and transcribers disagree on exactly
    these and on nothing that changes meaning.
    """
    norm, starts, _ = _normalize(text)
    return norm, starts


# --- extraction ----------------------------------------------------------------------------


QuoteKind = Literal["inline", "block"]


@dataclass(frozen=True, slots=True)
class QuoteRef:
    text: str  # the words inside the quotation marks, as the model wrote them
    cited: tuple[int, ...]  # excerpt numbers from the marker; () when there is none
    start: int  # span in the answer: opening quotation mark ...
    end: int  # ... to the end of the marker (or the closing mark when there is none)
    quote_end: int  # just past the closing quotation mark
    marker: tuple[int, int] | None  # span of the marker text, e.g. "[2][3]"
    kind: QuoteKind = "inline"  # "block": a run of "> " lines presented as someone's words
    attribution: tuple[int, int] | None = None  # a block's "— Name [n]" line

    @property
    def multiline(self) -> bool:
        return "\n" in self.text or self.kind == "block"


# Which marks close which openers. Straight quotes pair with themselves; a curly opener pairs with
# its own closer only, so “outer "inner" outer” nests instead of closing at the first ".
_CLOSERS: dict[str, str] = {
    '"': '"',
    "“": "”",
    "„": "“”",
    "«": "»",
    "»": "«",
    "‹": "›",
    "「": "」",
    "『": "』",
    "〝": "〞",
    "'": "'",
    "‘": "’",
    "‚": "‘’",
}
_APOSTROPHES = "'’‘‚"  # also written inside words ("don't", "Emad’s"): context decides
_MARK_RE = re.compile(r"[\"“”„«»‹›「」『』〝〞'‘’‚]|\n[ \t>]*\n|\n")
_OPEN_BEFORE = " \t\n([{—–-:;,/>*_"  # what may precede an opening mark
_MAX_DEPTH = 8
_ONE_MARKER = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
_MARKERS = rf"{_ONE_MARKER}(?:[ \t]*{_ONE_MARKER})*"
_MARKER_AFTER = re.compile(rf"(?:[*_]{{1,3}})?[ \t]*,?[ \t]*({_MARKERS})")  # *"..."* [2]
_MARKER_INSIDE = re.compile(rf"[ \t]*({_MARKERS})[ \t]*$")
_MIN_UNMARKED_WORDS = 3
_BLOCK_LINE = re.compile(r"(?m)^[ \t]*>[^\n]*(?:\n[ \t]*>[^\n]*)*")
_BLOCK_PREFIX = re.compile(r"(?m)^[ \t]*>[ \t]?")
_ATTRIBUTION = re.compile(r"\n[ \t]*>?[ \t]*(?:[-—–―]{1,2}|~)[ \t]*([^\n]*)$")
_INNER_PREFIX = re.compile(r"\n[ \t]*(?:>[ \t]*)+")


def _numbers(marker: str) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(d) for d in re.findall(r"\d+", marker)))


def _can_open(text: str, i: int) -> bool:
    before = text[i - 1] if i else " "
    after = text[i + 1 : i + 2]
    if not after or after.isspace():
        return False
    if text[i] in _APOSTROPHES or text[i] == '"':
        return before in _OPEN_BEFORE or before in _CLOSERS
    return True


def _can_close(text: str, i: int) -> bool:
    if text[i] not in _APOSTROPHES:
        return True
    before = text[i - 1] if i else " "
    after = text[i + 1 : i + 2]
    return not before.isspace() and not (after.isalnum())


def quotation_spans(text: str) -> tuple[list[tuple[int, int]], int | None]:
    """Top-level quotations as (opening mark, just past the closing mark), and where a quotation
    still open at the end of ``text`` starts (None when all are closed).

    One pass over the quotation marks with a small stack, so quotes may contain quotes and run
    over line breaks; a paragraph break ends any quotation left open. Linear in ``text``.
    """
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for m in _MARK_RE.finditer(text):
        ch, i = m.group(), m.start()
        if ch[0] == "\n":
            if len(ch) > 1:  # a paragraph break: whatever is open was never closed
                stack.clear()
            else:  # a single line break ends only apostrophe-like openers
                while stack and stack[-1][0] in _APOSTROPHES and len(stack) > 1:
                    stack.pop()
            continue
        depth = next(
            (k for k in range(len(stack) - 1, -1, -1) if ch in _CLOSERS[stack[k][0]]), None
        )
        if depth is not None and _can_close(text, i):
            opener = stack[depth][1]
            del stack[depth:]
            if not stack:
                spans.append((opener, i + 1))
            continue
        if ch in _CLOSERS and len(stack) < _MAX_DEPTH and _can_open(text, i):
            stack.append((ch, i))
    still_open = next((pos for mark, pos in stack if mark not in _APOSTROPHES), None)
    return spans, still_open


def _inline_ref(answer_text: str, start: int, end: int, closed: bool = True) -> QuoteRef | None:
    words_end = end - 1 if closed else end
    text = _INNER_PREFIX.sub("\n", answer_text[start + 1 : words_end])
    marker: tuple[int, int] | None = None
    ref_end = end
    after = _MARKER_AFTER.match(answer_text, end)
    inside = _MARKER_INSIDE.search(text)
    if after:
        marker, ref_end = after.span(1), after.end(1)
    elif inside:  # the model put the marker inside the quotation marks
        raw_inside = _MARKER_INSIDE.search(answer_text, start + 1, words_end)
        if raw_inside:
            marker = raw_inside.span(1)
        text = text[: inside.start()]
    cited = _numbers(answer_text[marker[0] : marker[1]]) if marker else ()
    if not text.strip() or (marker is None and len(text.split()) < _MIN_UNMARKED_WORDS):
        return None
    return QuoteRef(text, cited, start, ref_end, end, marker)


def _block_ref(answer_text: str, start: int, end: int) -> QuoteRef | None:
    """A run of ``>`` lines: its words (prefixes, a trailing marker and a "— Name" line removed)."""
    block = answer_text[start:end]
    attribution: tuple[int, int] | None = None
    att = _ATTRIBUTION.search(block)
    body_end = end
    if att:
        attribution = (start + att.start(1), start + att.end(1))
        body_end = start + att.start()
    marker_m = re.compile(rf"({_MARKERS})[ \t]*$").search(
        answer_text, start, attribution[1] if attribution else end
    )
    marker = marker_m.span(1) if marker_m else None
    words_end = marker[0] if marker and marker[0] < body_end else body_end
    text = _BLOCK_PREFIX.sub("", answer_text[start:words_end]).strip()
    cited = _numbers(answer_text[marker[0] : marker[1]]) if marker else ()
    if not text or (marker is None and len(text.split()) < _MIN_UNMARKED_WORDS):
        return None
    return QuoteRef(text, cited, start, end, end, marker, "block", attribution)


def extract_quotes(answer_text: str) -> list[QuoteRef]:
    """Everything in the answer presented as someone's words, with its citation marker, in order.

    Quotations in any common style (“…”, "…", '…', ‘…’, «…», „…“, 「…」, 『…』), over line breaks,
    containing other quotations; and ``>`` blockquotes that hold no quotation marks of their own
    (a blockquote whose words are in quotation marks is checked quote by quote). Short quoted
    phrases without a marker are scare quotes ("so-called 'open' models") and are left alone.
    """
    spans, open_at = quotation_spans(answer_text)
    refs = [r for a, b in spans if (r := _inline_ref(answer_text, a, b))]
    if open_at is not None:  # an unclosed quotation is still presented as words: to its line end
        line_end = answer_text.find("\n", open_at)
        end = len(answer_text) if line_end == -1 else line_end
        spans.append((open_at, end))
        unclosed = _inline_ref(answer_text, open_at, end, closed=False)
        if unclosed:
            refs.append(unclosed)
    spans.sort()
    ends = list(itertools.accumulate((b for _, b in spans), max))  # running max: bisectable
    for m in _BLOCK_LINE.finditer(answer_text):
        k = bisect.bisect_left(spans, (m.end(), -1))  # spans starting before the block ends
        if k and ends[k - 1] > m.start():
            continue  # quotation marks inside the block (or around it) already mark the words
        ref = _block_ref(answer_text, m.start(), m.end())
        if ref:
            refs.append(ref)
    return sorted(refs, key=lambda r: r.start)


def open_quote_start(text: str) -> int | None:
    """Where a quotation (or a trailing blockquote) that may still grow starts, for streaming."""
    _, open_at = quotation_spans(text)
    block = None
    for m in _BLOCK_LINE.finditer(text):
        block = m
    if block is not None and block.end() >= len(text.rstrip()):
        return block.start() if open_at is None else min(open_at, block.start())
    return open_at


# --- verification --------------------------------------------------------------------------


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


# Only an ellipsis elides: "...", "…", "(...)", "[...]", "[…]". Any other bracket is an insertion.
_ELISION = re.compile(r"\s*(?:\[\s*\.\.\.\s*\]|\(\s*\.\.\.\s*\)|\.\s?\.\s?\.[.\s]*)\s*")
_INSERTION = re.compile(r"\[[^\]]*\]|\{[^}]*\}")
_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$")
# What an elision may never leave out: dropping it flips or qualifies the meaning.
_NEGATION = frozenset(
    {
        *("not", "never", "no", "nor", "neither", "none", "nobody", "nothing", "nowhere"),
        *("cannot", "without", "but", "however", "although", "though", "yet", "except"),
        *("unless", "instead", "rather"),
    }
)
_GAP_WORD = re.compile(r"[a-z']+")
_MAX_TRIES = 64
# A reply is a few quotes; one with hundreds is an attack on our time, and each quote's rewrite
# reads its sentence. Past this many, the reply is cut: the work stays linear in its length.
MAX_QUOTES = 64  # occurrences of one fragment tried per excerpt: bounded work per quote


def _core(norm_quote: str) -> str:
    """Drop punctuation and spaces at the ends: the model may trim or add a comma or period."""
    return _EDGE_JUNK.sub("", norm_quote)


def _same_word(hay: str, a: int, b: int) -> bool:
    """Whether a cut between ``hay[a]`` and ``hay[b]`` (b = a + 1) falls inside a word.

    "isn't" and "1.4" are single words here, so "t that big" or "over 1" are not quotes of them.
    A hyphen is not a word joint: after dash normalisation "coming — that's" reads "coming-that's".
    """
    if a < 0 or b >= len(hay):
        return False
    x, y = hay[a], hay[b]
    if x.isalnum() and y.isalnum():
        return True
    if x == "'" and y.isalnum():
        return a > 0 and hay[a - 1].isalnum()
    if y == "'" and x.isalnum():
        return b + 1 < len(hay) and hay[b + 1].isalnum()
    if x in ".," and y.isdigit():
        return a > 0 and hay[a - 1].isdigit()
    if y in ".," and x.isdigit():
        return b + 1 < len(hay) and hay[b + 1].isdigit()
    return False


def _occurrences(hay: str, needle: str, pos: int = 0) -> Iterator[int]:
    """Occurrences at or after ``pos`` that do not start or end inside a word (at most a few)."""
    i = hay.find(needle, pos)
    tries = 0
    while i != -1 and tries < _MAX_TRIES:
        j = i + len(needle)
        if not _same_word(hay, i - 1, i) and not _same_word(hay, j - 1, j):
            yield i
        tries += 1
        i = hay.find(needle, i + 1)


def _find(hay: str, needle: str, pos: int = 0) -> int:
    return next(_occurrences(hay, needle, pos), -1)


def _substantial(fragment: str) -> bool:
    """Long enough that finding it proves something: "we ... it" would match almost anywhere."""
    return len(fragment.split()) >= 2 or len(fragment) >= 6


def _negating(gap: str) -> bool:
    return any(w in _NEGATION or w.endswith("n't") for w in _GAP_WORD.findall(gap))


class _Passage:
    """One excerpt, normalised once, with the speaker turn of every normalised character."""

    def __init__(self, excerpt: Excerpt) -> None:
        self.excerpt = excerpt
        chunk = excerpt.chunk
        self.hay, self.starts, self.ends = _normalize(chunk.text)
        # A turn is a run of pieces with the same speaker; unknown speakers are one long turn.
        turn_of_piece: list[int] = []
        turn = 0
        for k, piece in enumerate(chunk.pieces):
            if k and piece.speaker != chunk.pieces[k - 1].speaker:
                turn += 1
            turn_of_piece.append(turn)
        self._offsets = [p.offset for p in chunk.pieces]
        self._turns = turn_of_piece

    def turn(self, norm_index: int) -> int:
        if not self._turns:
            return 0
        raw = self.starts[min(norm_index, len(self.starts) - 1)]
        k = max(0, bisect.bisect_right(self._offsets, raw) - 1)
        piece = self.excerpt.chunk.pieces[k]
        if raw >= piece.offset + piece.length and k + 1 < len(self._turns):
            k += 1  # the newline between two pieces belongs to the next
        return self._turns[k]

    def one_turn(self, a: int, b: int) -> bool:
        return self.turn(a) == self.turn(max(a, b - 1))

    def match(self, quote_norm: str) -> list[tuple[int, int]] | None:
        """Normalised spans the quote covers (one, or one per elided fragment), or None.

        A contiguous quote must lie within one speaker's turn. An elided one passes only when
        every fragment is verbatim, in order, all in one turn, and no left-out stretch holds a
        negation or contrast word. A bracketed insertion ("[the EU]") is never a speaker's words.
        """
        hay = self.hay
        whole = _core(quote_norm)
        if whole:
            for i in _occurrences(hay, whole):
                if self.one_turn(i, i + len(whole)):
                    return [(i, i + len(whole))]
        if _INSERTION.search(_ELISION.sub(" ", quote_norm)):
            return None
        fragments = [f for f in (_core(p) for p in _ELISION.split(quote_norm)) if f]
        if len(fragments) < 2 or not all(_substantial(f) for f in fragments):
            return None
        for first in _occurrences(hay, fragments[0]):
            spans = self._rest(fragments, first)
            if spans:
                return spans
        return None

    def _rest(self, fragments: list[str], first: int) -> list[tuple[int, int]] | None:
        hay = self.hay
        turn = self.turn(first)
        spans = [(first, first + len(fragments[0]))]
        if not self.one_turn(*spans[0]):
            return None
        for frag in fragments[1:]:
            pos = spans[-1][1]
            found = None
            for i in _occurrences(hay, frag, pos):
                if self.turn(i) != turn or _negating(hay[pos:i]):
                    break  # later occurrences only leave out more, or leave the turn
                if self.one_turn(i, i + len(frag)):
                    found = i
                    break
            if found is None:
                return None
            spans.append((found, found + len(frag)))
        return spans


def _check(ref: QuoteRef, passage: _Passage, spans: list[tuple[int, int]]) -> QuoteCheck:
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


# --- attribution ---------------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*[^\W_]|[^\W\d_]")
_NOT_NAMES = frozenset(
    [
        "the",
        "and",
        "van",
        "von",
        "de",
        "der",
        "del",
        "la",
        "le",
        "di",
        "da",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
    ]
)


class _Names:
    """The speakers a reply may name, findable by full name, first name or surname."""

    def __init__(self, speakers: Iterable[str]) -> None:
        self.by_token: dict[str, set[str]] = {}
        for name in dict.fromkeys(s for s in speakers if s):
            tokens = [t for t in _NAME_TOKEN.findall(name) if len(t) >= 2]
            for token in {name, *tokens}:
                key = token.casefold()
                if key not in _NOT_NAMES and (len(token) >= 3 or token == name):
                    self.by_token.setdefault(key, set()).add(name)
        keys = sorted(self.by_token, key=len, reverse=True)
        self._re = (
            re.compile(r"(?<![\w'’])(" + "|".join(map(re.escape, keys)) + r")(?![\w])", re.I)
            if keys
            else None
        )

    def last_in(self, text: str, a: int, b: int) -> tuple[set[str], tuple[int, int]] | None:
        if self._re is None or a >= b:
            return None
        found = None
        named: set[str] = set()
        for m in self._re.finditer(text, a, b):
            found = m
            named |= self.by_token[m.group(1).casefold()]
        if found is None:
            return None
        # Everyone the sentence names counts ("Yann, answering Andrew, said ..."), so a quote is
        # only re-attributed when none of them said it; the last name is the one rewritten.
        return named, found.span(1)

    def first_in(self, text: str, a: int, b: int) -> tuple[set[str], tuple[int, int]] | None:
        if self._re is None or a >= b:
            return None
        m = self._re.search(text, a, b)
        return (self.by_token[m.group(1).casefold()], m.span(1)) if m else None


_CLAUSE_STOP = re.compile(r"[.!?\n]")
_SENTENCE_STOP = re.compile(r"[.!?](?=\s)")
_NAME_REACH = 300  # how far before a quote its speaker's name may stand


def _claimed(
    text: str, ref: QuoteRef, prev_end: int, next_start: int, names: _Names
) -> tuple[set[str], tuple[int, int]] | None:
    """The speaker the answer names for this quote: in a block's "— Name" line, else the last
    name between the previous quote and this one in the same sentence, else a name right after
    it ("…” [2], said Yann)."""
    if ref.attribution:
        found = names.first_in(text, *ref.attribution)
        if found:
            return found
    floor = max(prev_end, ref.start - _NAME_REACH)
    line_start = text.rfind("\n", floor, ref.start) + 1 or floor
    sentence_start = max(
        (m.end() for m in _SENTENCE_STOP.finditer(text, line_start, ref.start)), default=line_start
    )
    before = names.last_in(text, sentence_start, ref.start)
    if before:
        return before
    stop = _CLAUSE_STOP.search(text, ref.end, min(next_start, ref.end + 80))
    return names.first_in(text, ref.end, stop.start() if stop else min(next_start, ref.end + 80))


def verify_quotes(
    answer_text: str, excerpts: Sequence[Excerpt], speakers: Iterable[str] = ()
) -> list[QuoteCheck]:
    """Check each quote in the answer: cited excerpts first, then all others (re-attribution).

    ``speakers`` are names the answer may attribute quotes to (the excerpts' speakers always
    count). When the answer names a speaker, a match in that speaker's words is preferred; a
    verified quote that the answer gives to someone else carries the span of the wrong name.
    """
    passages: dict[int, _Passage] = {}

    def passage(e: Excerpt) -> _Passage:
        if e.n not in passages:
            passages[e.n] = _Passage(e)
        return passages[e.n]

    names = _Names([*speakers, *(s for e in excerpts for s in e.chunk.speakers)])
    refs = extract_quotes(answer_text)
    checks: list[QuoteCheck] = []
    for k, ref in enumerate(refs):
        if k >= MAX_QUOTES:  # not checked at all: apply_checks cuts the reply before it
            checks.append(_unverified(ref))
            continue
        quote_norm = _normalize(ref.text)[0]
        prev_end = refs[k - 1].end if k else 0
        next_start = refs[k + 1].start if k + 1 < len(refs) else len(answer_text)
        claim = _claimed(answer_text, ref, prev_end, next_start, names)
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


# --- rewriting -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    text: str
    tidy: bool = False  # a removal: the join needs spaces and punctuation repaired
    capitalize: bool = False  # the removal took a sentence's opening words


def apply_checks(
    answer_text: str,
    checks: Sequence[QuoteCheck],
    *,
    unverified: Literal["remove", "mark"] = "remove",
) -> str:
    """Rewrite the answer so that every remaining quote marker points where the quote really is.

    Re-attributed quotes get the right ``[n]`` (unmarked verified quotes gain one); unverified
    quotes are removed with the clause that introduces them, or in ``"mark"`` mode keep their
    words but carry ``[unverified]`` in place of any marker, so nothing fabricated still looks
    like a checked citation.
    """
    quote_spans = [(c.ref.start, c.ref.end) for c in checks]
    edits: list[_Edit] = []
    if len(checks) > MAX_QUOTES:  # a reply made of quotations: cut it at the first one too many
        cut = checks[MAX_QUOTES].ref.start
        edits.append(_Edit(cut, len(answer_text), "[…]"))
        checks = checks[:MAX_QUOTES]
    for k, check in enumerate(checks):
        ref = check.ref
        if check.verified and check.misnamed and check.speaker:
            edits.append(_Edit(*check.misnamed, check.speaker))  # the name of who really said it
        if check.verified:
            label = f"[{check.excerpt}]"
            if ref.marker is None:
                edits.append(_Edit(ref.quote_end, ref.quote_end, f" {label}"))
            elif check.excerpt not in ref.cited:
                edits.append(_Edit(*ref.marker, label))
        elif unverified == "mark":
            if ref.marker is None:
                edits.append(_Edit(ref.quote_end, ref.quote_end, " [unverified]"))
            else:
                edits.append(_Edit(*ref.marker, "[unverified]"))
        elif ref.kind == "block":
            edits.append(_block_removal(answer_text, ref))
        else:
            # quotes do not overlap, so only the neighbours can share the clause
            others = quote_spans[max(0, k - 1) : k] + quote_spans[k + 1 : k + 2]
            edits.append(_removal(answer_text, ref, others))

    text = answer_text
    limit = len(text)
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if edit.end > limit:  # overlaps the edit made to its right: that part is already gone
            if not edit.tidy or edit.start >= limit:
                continue
            edit = _Edit(edit.start, limit, "", tidy=True, capitalize=edit.capitalize)
        text = _remove(text, edit) if edit.tidy else _replace(text, edit)
        limit = edit.start
    return text


_SENTENCE_END = ".!?"
_CLAUSE_LEFT = ",;:—–("
_CLAUSE_RIGHT = ",;:—–)"
_LINE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]*)*(?:[-*+•][ \t]+|\d+[.)][ \t]+)?")
_EMPTY_LINE = re.compile(r"[ \t]*(?:>[ \t]*)*(?:[-*+•]|\d+[.)])?[ \t]*")


def _ends_sentence(text: str, i: int) -> bool:
    """``text[i]`` closes a sentence (so not the point in "1.5" or "e.g.x")."""
    nxt = text[i + 1 : i + 2]
    return text[i] in _SENTENCE_END and (not nxt or nxt.isspace() or nxt in "\"”')*_")


def _after_prefix(text: str, pos: int) -> int:
    """Skip a line's list bullet or blockquote marker: removing a sentence keeps the bullet."""
    m = _LINE_PREFIX.match(text, pos)
    return m.end() if m else pos


def _sentence_start(text: str, i: int) -> int:
    """Offset just after the sentence boundary at or before ``i``."""
    while i >= 0:
        if text[i] == "\n":
            return _after_prefix(text, i + 1)
        if _ends_sentence(text, i):
            return i + 1
        i -= 1
    return _after_prefix(text, 0)


_NEW_SENTENCE = re.compile(r"[ \t]+[A-Z]")
_CONJ_AFTER = re.compile(r"[ \t]+(?:and|or|but)[ \t]+", re.I)
_CONJ_BEFORE = re.compile(r"[ \t]+(?:and|or|but)[ \t]*$", re.I)


def _minimal(text: str, ref: QuoteRef) -> _Edit:
    """Just the quote and marker, plus a conjunction that would be left joining nothing."""
    start, end = ref.start, ref.end
    after = _CONJ_AFTER.match(text, end)
    before = _CONJ_BEFORE.search(text, 0, start)
    if after:
        end = after.end()
    elif before:
        start = before.start()
    return _Edit(start, end, "", tidy=True)


def _removal(text: str, ref: QuoteRef, others: Sequence[tuple[int, int]]) -> _Edit:
    """The span to delete for an unverified quote: its clause, its sentence, or just itself.

    Removing only the quoted words would leave "Emad said ." behind; removing the clause that
    introduces them keeps the surrounding text readable. Whenever that clause would take another
    quote or citation with it, only the quote and its marker go.
    """
    minimal = _minimal(text, ref)

    # Left: what introduces the quote.
    left_kind, left = "sentence", _sentence_start(text, ref.start - 1)
    i = ref.start - 1
    while i >= left:
        ch = text[i]
        if ch == ":":  # "He put it bluntly:" only introduces the quote, so it goes too
            break
        if ch in _CLAUSE_LEFT:
            left_kind, left = "clause", i
            break
        if ch == "]":  # another claim's marker: keep it
            left_kind, left = "soft", i + 1
            break
        i -= 1

    # Right: what follows the marker.
    right_kind, right = "sentence", len(text)
    if ref.text.rstrip()[-1:] in _SENTENCE_END or (  # the quote itself ends the sentence,
        ref.marker and _NEW_SENTENCE.match(text, ref.end)  # or the model forgot the period
    ):
        right = ref.end
    j = ref.end
    while j < right:
        ch = text[j]
        if ch == "\n" or _ends_sentence(text, j):
            right = j
            break
        if ch in _CLAUSE_RIGHT:
            right_kind, right = "clause", j
            break
        if ch == "[":
            right_kind, right = "soft", j
            break
        j += 1

    if any(a < right and b > left for a, b in others):
        return minimal
    if re.search(_ONE_MARKER, text[left : ref.start]) or re.search(
        _ONE_MARKER, text[ref.end : right]
    ):
        return minimal  # the clause carries other citations; keep them
    if left_kind == "sentence":
        start = left
        while start < ref.start and text[start] in " \t":
            start += 1
        if right_kind == "sentence":
            end = right + 1 if right < len(text) and text[right] in _SENTENCE_END else right
            return _Edit(start, end, "", tidy=True)
        end = right + 1 if right_kind == "clause" else right
        return _Edit(start, end, "", tidy=True, capitalize=True)
    if text[left] == "(" and right < len(text) and text[right] == ")":
        return _Edit(left, right + 1, "", tidy=True)
    return _Edit(left, right, "", tidy=True)


def _block_removal(text: str, ref: QuoteRef) -> _Edit:
    """A blockquote goes whole, with its line break, so no empty "> " line is left behind."""
    end = ref.end + 1 if text[ref.end : ref.end + 1] == "\n" else ref.end
    return _Edit(ref.start, end, "")


def _replace(text: str, edit: _Edit) -> str:
    return text[: edit.start] + edit.text + text[edit.end :]


def _remove(text: str, edit: _Edit) -> str:
    """Delete ``edit``'s span and repair the seam: spaces, doubled punctuation, emptied lines."""
    before = text[: edit.start].rstrip(" \t")
    after = text[edit.end :].lstrip(" \t")
    if before[-1:] in (",", ";", ":") and (not after or after[0] in ".!?,;:)\n"):
        before = before[:-1].rstrip(" \t")
    at_sentence_start = (
        not before
        or before[-1] in ".!?\n"
        or _EMPTY_LINE.fullmatch(before[before.rfind("\n") + 1 :])
    )
    if at_sentence_start and after[:1] in (",", ";", ":"):
        after = after[1:].lstrip(" \t")
    if (edit.capitalize or at_sentence_start) and after[:1].islower():
        after = after[0].upper() + after[1:]
    open_seam = not before or before.endswith(("\n", "(")) or not after
    seam = "" if open_seam or after[0] in ".,;:!?)\n" else " "
    joined = before + seam + after

    # The removal never crosses a newline, so a line it left empty (or bullet-only) was emptied
    # by it and goes too, along with the paragraph break it would otherwise double.
    pos = len(before)
    line_start = joined.rfind("\n", 0, pos) + 1
    line_end = joined.find("\n", pos)
    line_end = len(joined) if line_end == -1 else line_end
    if not _EMPTY_LINE.fullmatch(joined[line_start:line_end]):
        return joined
    head, tail = joined[:line_start], joined[line_end + 1 :]
    if not tail:
        return head.rstrip("\n")
    if not head or head.endswith("\n\n"):
        tail = tail.lstrip("\n")
    return head + tail
