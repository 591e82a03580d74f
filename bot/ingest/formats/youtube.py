"""YouTube's "Show transcript" panel, copied and pasted: a time line (``0:00``, ``12:34``,
``1:02:03``), then the caption text, and so on.

The panel names no speakers, so only the manifest's default speaker (a one-voice video) applies.
Some browsers copy the panel's spoken-time labels too ("2 minutes, 5 seconds"); those lines are
for screen readers, not speech, and are skipped. A caption runs until the next time line, which
is also its end time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import CLOCK, clock_seconds, iter_lines, trim
from bot.ingest.formats._turns import Head, backwards, preamble, turn_segments
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult

TIME_LINE = re.compile(rf"[ \t]*{CLOCK}[ \t]*$")
_UNIT = r"\d{1,3} (?:hours?|minutes?|seconds?)"
_SPOKEN_TIME = re.compile(rf"[ \t]*{_UNIT}(?:,? {_UNIT}){{0,2}}[ \t]*$")


def detect(sample: Sample) -> float:
    """Time-only lines as a share of the lines: one in two is certain, one in four claims."""
    lines = sample.lines
    times = len(sample.matching(TIME_LINE))
    if not lines:
        return 0.0
    score = min(1.0, 2 * times / len(lines))
    return score if times >= 2 else min(0.4, score)  # one time line only hints at the format


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    heads: list[Head] = []
    for line in iter_lines(text):
        m = TIME_LINE.match(text, line.start, line.end)
        if m:
            heads.append(Head(line.start, line.end, default_speaker, clock_seconds(m)))
        elif heads and heads[-1].body == line.start - _gap(text, line.start):
            a, b = trim(text, line.start, line.end)
            if _SPOKEN_TIME.fullmatch(text, a, b):  # the screen-reader label right after a time
                heads[-1] = heads[-1]._replace(body=line.end)
    title, warnings = preamble(text, heads, "time line")
    return ParseResult(
        format="youtube",
        segments=turn_segments(text, heads),
        warnings=[*warnings, *backwards(heads)],
        title=title,
    )


def _gap(text: str, start: int) -> int:
    """Length of the line break just before ``start`` (1 or 2 characters)."""
    return 2 if text.startswith("\r\n", start - 2) else 1


FORMAT = Format(
    "youtube",
    detect,
    parse,
    layout='a line holding only a time ("0:00", "12:34", "1:02:03") before each caption line',
)
