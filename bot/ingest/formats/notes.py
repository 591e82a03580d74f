"""Listener notes: one idea per line, bullets typed however the keyboard felt (-, –, —, •).

Notes paraphrase; they are not a recording, so there are no times. A line only gets a speaker
when it opens with a label naming someone the manifest lists ("Aarthi: …"), because in notes a
leading "Word:" is just as often a heading ("Guest: Cristobal Valenzuela…", "Eg: …"). A bare
label line ("Sriram:") is a heading over the next lines, not something said, and the notes do
not say where its section ends, so it gives no segment and attributes nothing further.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import iter_lines, segment, trim
from bot.ingest.formats.names import LABEL, Names
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

# A run of dash/bullet characters, or a list number ("1." / "2)") followed by a space.
BULLET = re.compile(r"[-–—―•·‣◦▪*+]+[ \t\u00a0]*|\d{1,3}[.)][ \t\u00a0]+")


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    names = Names(participants, aliases)
    segments: list[Segment] = []
    for line in iter_lines(text):
        a, b = trim(text, line.start, line.end)
        bullet = BULLET.match(text, a, b)
        if bullet:
            a = bullet.end()
        speaker = default_speaker
        label = LABEL.match(text, a, b)
        if label and (who := names.resolve(label.group(1))):
            speaker, a = who, label.end()
        seg = segment(text, a, b, speaker=speaker)
        if seg:
            segments.append(seg)
    return ParseResult(format="notes", segments=segments)


_NOTE_START = re.compile(r"[\"“‘'(\[A-Z0-9]|[-–—•·*+]")


def detect(sample: Sample) -> float:
    """Short lines, hardly any blank ones, each opening like a new idea (capital or bullet).

    Hard-wrapped prose fails the "opens like a new idea" test (half its lines start mid-sentence,
    in lower case), and prose with blank lines between paragraphs fails the blank-line test.
    """
    lines = sample.lines
    if len(lines) < 3:
        return 0.0
    bullets = sum(1 for line in lines if BULLET.match(line))
    new_idea = sum(1 for line in lines if _NOTE_START.match(line))
    claimed = (
        sample.blank_lines <= len(lines) / 10
        and new_idea >= 0.8 * len(lines)
        and statistics.median(len(line) for line in lines) <= 300
    ) or (bullets >= 3 and bullets >= len(lines) / 5)
    return 1.0 if claimed else 0.0


FORMAT = Format(
    "notes",
    detect,
    parse,
    layout="one short line per idea, bullets or capitalised lines, hardly any blank lines",
)
