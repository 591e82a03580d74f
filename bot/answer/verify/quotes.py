"""Find everything a reply presents as someone's words: quotations and blockquotes, with markers.

The scanner knows nothing of excerpts: it reads the reply alone, in one linear pass, so the same
code serves the finished reply and a reply still streaming (``open_quote_start``). What it
returns, a ``QuoteRef``, is what verification checks and the rewrite edits.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from typing import Literal

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
ONE_MARKER = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
_MARKERS = rf"{ONE_MARKER}(?:[ \t]*{ONE_MARKER})*"
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
