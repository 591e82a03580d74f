"""Search one excerpt for a quote: verbatim, within one speaker's turn, elisions held to rules.

The rules of what counts as a match live here: which occurrences are whole words, what an
ellipsis may leave out (never a negation), and that a quote may not run across two speakers.
Matching is exact on normalised text rather than fuzzy: a fuzzy threshold would verify a quote
with a changed word, which is exactly the failure verification exists to catch.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from bot.answer.verify.normalize import normalize_with_offsets
from bot.records import Excerpt

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
_MAX_TRIES = 64  # occurrences of one fragment tried per excerpt: bounded work per quote


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


def _substantial(fragment: str) -> bool:
    """Long enough that finding it proves something: "we ... it" would match almost anywhere."""
    return len(fragment.split()) >= 2 or len(fragment) >= 6


def _negating(gap: str) -> bool:
    return any(w in _NEGATION or w.endswith("n't") for w in _GAP_WORD.findall(gap))


class Passage:
    """One excerpt, normalised once, with the speaker turn of every normalised character."""

    def __init__(self, excerpt: Excerpt) -> None:
        self.excerpt = excerpt
        chunk = excerpt.chunk
        self.hay, self.starts, self.ends = normalize_with_offsets(chunk.text)
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
