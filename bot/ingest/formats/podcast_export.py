"""Podcast-site transcript exports: a header, ``Starting point is HH:MM:SS`` blocks, a footer.

The markers are the site's own click targets, placed every few sentences and often mid-sentence,
so one block is one segment and its end is simply the next marker's time. The header (title,
"Episode Date:", show notes) and the comments footer describe the episode but were never said
aloud, so they never become segments; the title and date go to ``ParseResult`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import iso_date, seconds, segment, trim
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

MARKER = re.compile(
    r"^[ \t]*Starting point is (?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?=[ \t]|$)", re.MULTILINE
)
_FOOTER = re.compile(
    r"^[ \t]*(?:There (?:aren't|aren’t|are no) comments yet"
    r"|Click on any sentence in the transcript)",
    re.MULTILINE,
)
_DATE_LINE = re.compile(r"^[ \t]*Episode Date:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    """Segments of ``text``; ``participants``/``aliases`` are unused (no labels to resolve)."""
    markers = list(MARKER.finditer(text))
    warnings: list[str] = []
    segments: list[Segment] = []
    body_end = len(text)
    if markers:
        footer = _FOOTER.search(text, markers[-1].end())
        if footer:
            body_end = footer.start()
    for i, m in enumerate(markers):
        t0 = seconds(m.group(1), m.group(2), m.group(3))
        t1: float | None = None
        block_end = body_end
        if i + 1 < len(markers):
            nxt = markers[i + 1]
            t1, block_end = seconds(nxt.group(1), nxt.group(2), nxt.group(3)), nxt.start()
            if t1 < t0:
                warnings.append(f"time goes backwards at offset {nxt.start()}")
        seg = segment(text, m.end(), block_end, t0=t0, t1=t1, speaker=default_speaker)
        if seg:
            segments.append(seg)
    header_end = markers[0].start() if markers else len(text)
    return ParseResult(
        format="podcast_export",
        segments=segments,
        warnings=warnings,
        title=_title(text, header_end),
        date=_date(text, header_end),
    )


def _title(text: str, header_end: int) -> str | None:
    a, b = trim(text, 0, header_end)
    if a == b:
        return None
    line_end = text.find("\n", a, b)
    a, b = trim(text, a, b if line_end < 0 else line_end)
    return text[a:b] or None


def _date(text: str, header_end: int) -> str | None:
    m = _DATE_LINE.search(text, 0, header_end)
    return iso_date(m.group(1)) if m else None


def detect(sample: Sample) -> float:
    """Certain on a ``Starting point is HH:MM:SS`` marker opening a line: nothing else writes it."""
    return 1.0 if MARKER.search(sample.text) else 0.0


FORMAT = Format(
    "podcast_export",
    detect,
    parse,
    layout='"Starting point is 00:01:02" lines before each block of text',
)
