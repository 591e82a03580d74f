"""Who the reply says said a quote: the speaker named next to it, if any.

Attribution is a claim of its own, separate from the words: a real quote pinned on the wrong
panellist misleads as much as an invented one. Finding the claimed name is prose-reading work
(sentences, "— Name" lines, first names and surnames), kept apart from the exact matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.answer.verify.quotes import QuoteRef

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


class SpeakerNames:
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


def claimed_speaker(
    text: str, ref: QuoteRef, prev_end: int, next_start: int, names: SpeakerNames
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
