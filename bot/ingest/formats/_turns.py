"""Turns that start at a header line (a speaker, a time, or both) and run to the next header.

Otter, Rev, YouTube and Markdown transcripts all put a header before each turn and give only
start times, so they share this: each turn's paragraphs become segments with the header's speaker
and time, and a turn ends when the next timed header starts (a later turn's start is the only end
time these files have). What comes before the first header (a title, "Transcript") was not said
by anyone the file names; it is left out with a warning rather than attributed to nobody.
"""

from __future__ import annotations

from typing import NamedTuple

from bot.ingest.formats._text import paragraphs, segment, trim
from bot.records import Segment


class Head(NamedTuple):
    start: int  # where the header starts: the previous turn's text ends here
    body: int  # where this turn's text starts (after the header)
    speaker: str | None
    t0: float | None


def turn_segments(text: str, heads: list[Head], end: int | None = None) -> list[Segment]:
    """Every turn's paragraphs as segments; a turn's end time is the next header's start time."""
    stop_all = len(text) if end is None else end
    ends: list[float | None] = [None] * len(heads)
    nxt: float | None = None
    for i in range(len(heads) - 1, -1, -1):
        t0 = heads[i].t0
        ends[i] = nxt if (nxt is not None and t0 is not None and nxt >= t0) else None
        if t0 is not None:
            nxt = t0
    out: list[Segment] = []
    for i, head in enumerate(heads):
        stop = heads[i + 1].start if i + 1 < len(heads) else stop_all
        for para in paragraphs(text, head.body, stop):
            seg = segment(
                text, para[0].start, para[-1].end, t0=head.t0, t1=ends[i], speaker=head.speaker
            )
            if seg:
                out.append(seg)
    return out


def backwards(heads: list[Head]) -> list[str]:
    """A warning when header times go backwards (a pasted-together or hand-edited file)."""
    last, first_at, count = -1.0, None, 0
    for h in heads:
        if h.t0 is None:
            continue
        if h.t0 < last:
            count += 1
            first_at = h.start if first_at is None else first_at
        last = h.t0
    if not count:
        return []
    return [f"times go backwards {count} time(s), first at offset {first_at}"]


def preamble(text: str, heads: list[Head], what: str) -> tuple[str | None, list[str]]:
    """(title, warnings) for the text before the first header, which is not indexed."""
    end = heads[0].start if heads else len(text)
    a, b = trim(text, 0, end)
    if a == b:
        return None, []
    nl = text.find("\n", a, b)
    ta, tb = trim(text, a, b if nl < 0 else nl)
    lines = sum(1 for p in paragraphs(text, a, b) for _ in p)
    return text[ta:tb] or None, [
        f"{lines} line(s) before the first {what} left out (not attributed to anyone)"
    ]
