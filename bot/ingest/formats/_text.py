"""Offset-keeping helpers shared by the parsers.

Parsers never copy or rewrite text: they find ``(start, end)`` offsets into the decoded file and
let :func:`segment` cut the slice. That is what keeps ``seg.text == text[seg.char_start:
seg.char_end]`` true for every format, including files with CRLF endings or NBSP padding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import NamedTuple

from bot.ingest.read import IngestError
from bot.records import Segment

# Only real line breaks: str.splitlines() would also split on U+2028, \x0b, \x1c… and shift lines.
_NEWLINE = re.compile(r"\r\n|\r|\n")
# Characters trimmed from both ends of a span besides str.isspace() ones (NBSP is already
# isspace()): a stray BOM or zero-width space at a line start is not spoken text.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


class Line(NamedTuple):
    start: int  # offset of the first character
    end: int  # offset just past the last character, line break excluded


def iter_lines(text: str, start: int = 0, end: int | None = None) -> Iterator[Line]:
    """Lines of ``text[start:end]`` as offsets into ``text``."""
    stop = len(text) if end is None else end
    pos = start
    for m in _NEWLINE.finditer(text, start, stop):
        yield Line(pos, m.start())
        pos = m.end()
    if pos < stop:
        yield Line(pos, stop)


def is_blank(text: str, line: Line) -> bool:
    a, b = trim(text, line.start, line.end)
    return a == b


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``[start, end)`` past surrounding whitespace (NBSP included) and invisible marks."""
    while start < end and (text[start].isspace() or text[start] in _INVISIBLE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _INVISIBLE):
        end -= 1
    return start, end


def paragraphs(text: str, start: int = 0, end: int | None = None) -> Iterator[list[Line]]:
    """Runs of non-blank lines separated by blank ones."""
    block: list[Line] = []
    for line in iter_lines(text, start, end):
        if is_blank(text, line):
            if block:
                yield block
                block = []
        else:
            block.append(line)
    if block:
        yield block


def segment(
    text: str,
    start: int,
    end: int,
    *,
    t0: float | None = None,
    t1: float | None = None,
    speaker: str | None = None,
) -> Segment | None:
    """The trimmed slice as a Segment, or None when nothing but whitespace is left."""
    a, b = trim(text, start, end)
    if a == b:
        return None
    return Segment(text=text[a:b], start=t0, end=t1, speaker=speaker, char_start=a, char_end=b)


# A clock field longer than this is not a timestamp (99999 hours is over 11 years of audio).
_MAX_CLOCK_DIGITS = 5


def seconds(hours: str | None, minutes: str, secs: str, frac: str | None = None) -> float:
    """Clock fields → seconds, via integer milliseconds so 01:17:48.560 is exactly 4668.56.

    An absurd field (a 400-digit hour) raises ``IngestError`` naming it, so the file fails alone
    with one line instead of an OverflowError aborting the batch.
    """
    for name, field in (("hour", hours), ("minute", minutes), ("second", secs)):
        if field and len(field) > _MAX_CLOCK_DIGITS:
            raise IngestError(
                f"timestamp with a {len(field)}-digit {name} field ({field[:12]}…) is out of range"
            )
    ms = int(((frac or "") + "000")[:3])
    total_ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(secs)) * 1000 + ms
    return total_ms / 1000


_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%B %d %Y")
DATE_PATTERN = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? \d{4}"
    r"|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]* \d{4})\b"
)


def iso_date(raw: str) -> str | None:
    """A header's written date as ISO yyyy-mm-dd; None when it is not a full, real date."""
    cleaned = re.sub(r"\s+", " ", raw.replace(".", "")).strip()
    for fmt in _DATE_FORMATS:
        try:
            parsed: date = datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
        return parsed.isoformat()
    return None


# A clock as people type it: "0:03", "12:34", "1:02:03", "00:01:12" (hours optional, no fraction).
CLOCK = r"(?:(\d{1,2}):)?(\d{1,2}):([0-5]\d)"


def clock_seconds(m: re.Match[str], first: int = 1) -> float:
    """Seconds from the three ``CLOCK`` groups starting at group ``first``."""
    hours, minutes, secs = m.group(first, first + 1, first + 2)
    return seconds(hours, minutes, secs)
