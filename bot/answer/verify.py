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

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answer.excerpt import Excerpt
from bot.ingest.chunk_types import Chunk

# --- normalisation -------------------------------------------------------------------------

_CHAR_MAP: dict[int, str] = {
    **{ord(c): "'" for c in "‘’‚‛′`´‹›"},
    **{ord(c): '"' for c in "“”„‟″«»"},
    **{cp: "-" for cp in range(0x2010, 0x2016)},  # hyphen, NB hyphen, figure/en/em dash, bar
    0x2212: "-",  # minus sign
    0xFE58: "-",  # small em dash
    0xFE63: "-",  # small hyphen-minus
    0x2026: "...",
}
# Invisible characters that transcripts and models insert or drop at will.
_DROP = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


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

    Quote styles become straight quotes, every dash a hyphen (dash runs one, without spaces
    around it), every whitespace run (NBSP and newlines included) one space, ``…`` three dots,
    and case is folded, because models and transcribers disagree on exactly these and on nothing
    that changes meaning.
    """
    norm, starts, _ = _normalize(text)
    return norm, starts


# --- extraction ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteRef:
    text: str  # the words inside the quotation marks, as the model wrote them
    cited: tuple[int, ...]  # excerpt numbers from the marker; () when there is none
    start: int  # span in the answer: opening quotation mark ...
    end: int  # ... to the end of the marker (or the closing mark when there is none)
    quote_end: int  # just past the closing quotation mark
    marker: tuple[int, int] | None  # span of the marker text, e.g. "[2][3]"


_QUOTE = re.compile(r'[“"„«]([^“”"„«»\n]+)[”"“»]')
_ONE_MARKER = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
_MARKERS = rf"{_ONE_MARKER}(?:[ \t]*{_ONE_MARKER})*"
_MARKER_AFTER = re.compile(rf"(?:[*_]{{1,3}})?[ \t]*,?[ \t]*({_MARKERS})")  # *"..."* [2]
_MARKER_INSIDE = re.compile(rf"[ \t]*({_MARKERS})[ \t]*$")
_MIN_UNMARKED_WORDS = 3


def _numbers(marker: str) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(d) for d in re.findall(r"\d+", marker)))


def extract_quotes(answer_text: str) -> list[QuoteRef]:
    """Every quotation in the answer with its citation marker, in order.

    Short quoted phrases without a marker are scare quotes ("so-called 'open' models") rather
    than claims about what someone said, so they are left alone.
    """
    refs: list[QuoteRef] = []
    for m in _QUOTE.finditer(answer_text):
        text = m.group(1)
        marker: tuple[int, int] | None = None
        end = m.end()
        after = _MARKER_AFTER.match(answer_text, m.end())
        inside = _MARKER_INSIDE.search(text)
        if after:
            marker, end = after.span(1), after.end(1)
        elif inside:  # the model put the marker inside the quotation marks
            marker = (m.start(1) + inside.start(1), m.start(1) + inside.end(1))
            text = text[: inside.start()]
        cited = _numbers(answer_text[marker[0] : marker[1]]) if marker else ()
        if not text.strip() or (marker is None and len(text.split()) < _MIN_UNMARKED_WORDS):
            continue
        refs.append(QuoteRef(text, cited, m.start(), end, m.end(), marker))
    return refs


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

    @property
    def reattributed(self) -> bool:
        return self.verified and self.excerpt not in self.cited


_ELISION = re.compile(r"\s*(?:\[[^\]]*\]|\(\s*\.\.\.\s*\)|\.\s?\.\s?\.[.\s]*)\s*")
_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$")


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


def _find(hay: str, needle: str, pos: int = 0) -> int:
    """First occurrence at or after ``pos`` that does not start or end inside a word."""
    i = hay.find(needle, pos)
    while i != -1:
        j = i + len(needle)
        if not _same_word(hay, i - 1, i) and not _same_word(hay, j - 1, j):
            return i
        i = hay.find(needle, i + 1)
    return -1


def _substantial(fragment: str) -> bool:
    """Long enough that finding it proves something: "we ... it" would match almost anywhere."""
    return len(fragment.split()) >= 2 or len(fragment) >= 6


def _match(quote_norm: str, hay: str) -> list[tuple[int, int]] | None:
    """Normalised spans in ``hay`` that the quote covers: one, or one per elided fragment."""
    whole = _core(quote_norm)
    if whole:
        i = _find(hay, whole)
        if i != -1:
            return [(i, i + len(whole))]
    fragments = [f for f in (_core(p) for p in _ELISION.split(quote_norm)) if f]
    if len(fragments) < 2 or not all(_substantial(f) for f in fragments):
        return None
    spans: list[tuple[int, int]] = []
    pos = 0
    for frag in fragments:
        i = _find(hay, frag, pos)
        if i == -1:
            return None
        spans.append((i, i + len(frag)))
        pos = i + len(frag)
    return spans


_Index = tuple[str, list[int], list[int]]  # normalised text, start and end offsets


def _check(
    ref: QuoteRef, excerpt: Excerpt, spans: list[tuple[int, int]], index: _Index
) -> QuoteCheck:
    chunk: Chunk = excerpt.chunk
    _, starts, ends = index
    raw = [(starts[a], ends[b - 1]) for a, b in spans]
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


def verify_quotes(answer_text: str, excerpts: Sequence[Excerpt]) -> list[QuoteCheck]:
    """Check each quote in the answer: cited excerpts first, then all others (re-attribution)."""
    indexes: dict[int, _Index] = {}

    def index(e: Excerpt) -> _Index:
        if e.n not in indexes:
            indexes[e.n] = _normalize(e.chunk.text)
        return indexes[e.n]

    checks: list[QuoteCheck] = []
    for ref in extract_quotes(answer_text):
        quote_norm = _normalize(ref.text)[0]
        cited = [e for n in ref.cited for e in excerpts if e.n == n]
        others = [e for e in excerpts if e.n not in ref.cited]
        for excerpt in cited + others:
            spans = _match(quote_norm, index(excerpt)[0])
            if spans:
                checks.append(_check(ref, excerpt, spans, index(excerpt)))
                break
        else:
            checks.append(_unverified(ref))
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
    for check in checks:
        ref = check.ref
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
        else:
            others = [s for s in quote_spans if s != (ref.start, ref.end)]
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
