"""Otter.ai and Descript text exports: a speaker and a start time on a line of their own, then the
paragraph they said (``Jane Doe  0:03`` / ``Jane Doe 00:01:12``).

The header line is the only place a speaker is named, and a whole line of "name, then a clock"
reads the same as a sentence that ends with a time ("We met at 10:30"), so a header must look like
a name: at most six words, the first and last capitalised (or a number, as in "Speaker 2"). Otter
writes "Unknown Speaker" for voices it could not tell apart; their turns get no speaker. The
"Transcribed by https://otter.ai" line at the end of a free export was not said by anyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import CLOCK, clock_seconds, iter_lines, trim
from bot.ingest.formats._turns import Head, backwards, preamble, turn_segments
from bot.ingest.formats.names import Names
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult

_WORD = r"[^\W\d_][\w'’.\-]*"
_NAME = rf"[^\W\d_a-z][\w'’.\-]*(?:[ \t]+{_WORD}){{0,5}}?(?:[ \t]+\d{{1,3}})?"
HEADER = re.compile(rf"[ \t]*({_NAME})[ \t]+{CLOCK}[ \t]*$")
_MAX_NAME = 80  # a "name" longer than this is a sentence that happens to end in a time
_FOOTER = re.compile(r"[ \t]*Transcribed by https?://otter\.ai\S*[ \t]*$", re.IGNORECASE)


def _header(text: str, start: int, end: int) -> re.Match[str] | None:
    m = HEADER.match(text, start, end)
    if m is None:
        return None
    name = m.group(1)
    last = name.split()[-1]
    return m if len(name) <= _MAX_NAME and (last[0].isupper() or last.isdigit()) else None


def _heads(text: str, names: Names) -> tuple[list[Head], int]:
    heads: list[Head] = []
    end = len(text)
    for line in iter_lines(text):
        a, b = trim(text, line.start, line.end)
        if a == b:
            continue
        if _FOOTER.match(text, a, b):
            end = line.start
            break
        m = _header(text, a, b)
        if m:
            heads.append(Head(line.start, line.end, names.speaker(m.group(1)), clock_seconds(m, 2)))
    return heads, end


def detect(sample: Sample) -> float:
    """Share of paragraphs that open with a ``Name  0:03`` header; a header before every
    paragraph is certain, half of them claims; a single header is only a hint."""
    text = sample.text
    opened = paras = headers = 0
    previous_blank = True
    for line in iter_lines(text):
        a, b = trim(text, line.start, line.end)
        if a == b:
            previous_blank = True
            continue
        if _FOOTER.match(text, a, b):
            break
        is_head = _header(text, a, b) is not None
        headers += is_head
        if previous_blank:
            paras += 1
            opened += is_head
        previous_blank = False
    if not paras:
        return 0.0
    # One header is not a layout yet, but it makes Otter the closest format to name.
    return opened / paras if headers >= 2 else min(0.4, opened / paras)


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    heads, end = _heads(text, Names(participants, aliases))
    title, warnings = preamble(text, heads, "speaker line")
    return ParseResult(
        format="otter",
        segments=turn_segments(text, heads, end),
        warnings=[*warnings, *backwards(heads)],
        title=title,
    )


FORMAT = Format(
    "otter",
    detect,
    parse,
    layout=(
        'each paragraph opens with a line holding only the speaker and a time ("Jane Doe  0:03")'
    ),
)
