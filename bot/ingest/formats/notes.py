"""Listener notes: one idea per line, bullets typed however the keyboard felt (-, –, —, •).

Notes paraphrase; they are not a recording, so there are no times. A line only gets a speaker
when it opens with a label naming someone the manifest lists ("Aarthi: …"), because in notes a
leading "Word:" is just as often a heading ("Guest: Cristobal Valenzuela…", "Eg: …"). A bare
label line ("Sriram:") is a heading over the next lines, not something said, and the notes do
not say where its section ends, so it gives no segment and attributes nothing further.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import iter_lines, segment, trim
from bot.ingest.formats.names import LABEL, Names
from bot.ingest.segment import ParseResult, Segment

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
