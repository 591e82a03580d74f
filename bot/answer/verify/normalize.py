"""Fold a quote and a transcript to one spelling, and map every folded character back.

Models and transcribers disagree on quotation marks, dashes, spacing and case, and on nothing
that changes a word; matching compares the folded texts exactly. The offset map is why this is
its own step: a match in folded text must still name the exact span of the original file.
"""

from __future__ import annotations

import unicodedata

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


def normalize_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
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
    norm, starts, _ = normalize_with_offsets(text)
    return norm, starts
