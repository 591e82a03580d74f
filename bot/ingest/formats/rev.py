"""Rev transcripts: ``Speaker Name (00:01:02):`` opening each turn, the text on the same line or
the lines after it, until the next such label.

The ``(time):`` after a name is Rev's signature and nothing else writes it, so any label shape is
taken, generic ones included ("Speaker 1 (00:00):"); the manifest's ``speakers`` table maps those
to real names. Rev writes both ``(MM:SS)`` and ``(HH:MM:SS)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import CLOCK, clock_seconds, paragraphs
from bot.ingest.formats._turns import Head, backwards, preamble, turn_segments
from bot.ingest.formats.names import Names
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult

HEADER = re.compile(rf"[ \t]*([^\W\d_][^():\n\r]{{0,60}}?)[ \t]*\([ \t]*{CLOCK}[ \t]*\)[ \t]*:")


def _heads(text: str, names: Names) -> list[Head]:
    heads: list[Head] = []
    for para in paragraphs(text):
        for line in para:
            m = HEADER.match(text, line.start, line.end)
            if m:
                heads.append(
                    Head(line.start, m.end(), names.speaker(m.group(1)), clock_seconds(m, 2))
                )
    return heads


def detect(sample: Sample) -> float:
    """Share of paragraphs that open with ``Name (00:01:02):``; half claims."""
    text = sample.text
    opened = paras = 0
    for para in paragraphs(text):
        paras += 1
        opened += HEADER.match(text, para[0].start, para[0].end) is not None
    return opened / paras if paras else 0.0


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    heads = _heads(text, Names(participants, aliases))
    title, warnings = preamble(text, heads, "speaker label")
    return ParseResult(
        format="rev",
        segments=turn_segments(text, heads),
        warnings=[*warnings, *backwards(heads)],
        title=title,
    )


FORMAT = Format(
    "rev",
    detect,
    parse,
    layout='each turn opens with "Speaker Name (00:01:02):"',
)
