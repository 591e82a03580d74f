"""Markdown transcripts: ``**Name:**`` labels opening a paragraph, or ``### Name`` headings over
a speaker's paragraphs, with optional ``[00:12:34]`` times before or after the name.

A bold label with a colon is a speaker label by construction. A heading is one only when it reads
like one: it carries a time, names someone the manifest knows, is shaped like a person's name, is a
generic "Speaker 1", or recurs (a speaker's name heads many turns; a section title such as
"## Introduction" heads one). Other headings are section titles: not speech, so they give no
segment, and the paragraphs under them have no speaker until the next label. Emphasis and links
inside the text are kept as written, since a segment is an exact slice of the file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import CLOCK, clock_seconds, iter_lines, paragraphs
from bot.ingest.formats._turns import Head, backwards, preamble, turn_segments
from bot.ingest.formats.names import GENERIC, Names, looks_like_person
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult

_TIME = rf"\[{CLOCK}(?:\.\d{{1,3}})?\]"
_NAME = r"[^\W\d_][^*:\n\r\[\]#]{0,60}?"
# [00:00:05] **Jane Doe:** text   |   **Jane Doe**: [00:00:05] text
BOLD = re.compile(
    rf"[ \t]*(?:{_TIME}[ \t]*)?\*\*[ \t]*({_NAME})[ \t]*(?::\*\*|\*\*[ \t]*:)"
    rf"(?:[ \t]*{_TIME})?"
)
# ### Jane Doe   |   ### [00:12:34] Jane Doe   |   ## Jane Doe [00:12:34]
HEADING = re.compile(
    rf"[ \t]{{0,3}}#{{1,6}}[ \t]+(?:{_TIME}[ \t]*)?({_NAME})[ \t]*(?:{_TIME})?[ \t]*#*[ \t]*$"
)


def _time(m: re.Match[str], first: int, second: int) -> float | None:
    for at in (first, second):
        if m.group(at + 1) is not None:
            return clock_seconds(m, at)
    return None


_ATX = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")


def _scan(text: str, names: Names) -> tuple[list[Head], set[int]]:
    """Every head in file order, and the starts of those that are section titles, not speakers."""
    bold: list[tuple[int, re.Match[str]]] = []
    headings: list[tuple[int, int, re.Match[str]]] = []
    for line in iter_lines(text):
        m = BOLD.match(text, line.start, line.end)
        if m:
            bold.append((line.start, m))
            continue
        h = HEADING.match(text, line.start, line.end)
        if h:
            headings.append((line.start, line.end, h))
    seen = Counter(" ".join(h.group(4).split()).casefold() for _, _, h in headings)
    heads: list[Head] = []
    sections: set[int] = set()
    for start, m in bold:
        heads.append(Head(start, m.end(), names.speaker(m.group(4)), _time(m, 1, 5)))
    for start, end, h in headings:
        raw = h.group(4).strip()
        t0 = _time(h, 1, 5)
        speaker_like = (
            t0 is not None
            or names.resolve(raw) is not None
            or looks_like_person(raw)
            or GENERIC.fullmatch(raw) is not None
            or seen[" ".join(raw.split()).casefold()] >= 2
        )
        if speaker_like:
            heads.append(Head(start, end, names.speaker(raw), t0))
        else:
            sections.add(start)
            heads.append(Head(start, end, None, None))
    heads.sort(key=lambda h: h.start)
    return heads, sections


def detect(sample: Sample) -> float:
    """Share of the content paragraphs (section headings aside) that sit under a speaker label:
    all of them is certain, half claims. Needs two labels, so headings alone never claim."""
    text = sample.text
    heads, sections = _scan(text, sample.names)
    if len(heads) - len(sections) < 2:
        return 0.0
    at = 0
    under_speaker = False
    labelled = total = 0
    for para in paragraphs(text):
        while at < len(heads) and heads[at].start <= para[-1].start:
            under_speaker = heads[at].start not in sections
            at += 1
        if _ATX.match(text, para[0].start, para[0].end) and not under_speaker:
            continue  # a section title (or any heading that is not a speaker's)
        total += 1
        labelled += under_speaker
    return labelled / total if total else 0.0


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    heads, sections = _scan(text, Names(participants, aliases))
    first_speaker = next((h for h in heads if h.start not in sections), None)
    title, warnings = preamble(text, heads, "speaker label")
    if title is None and heads and heads[0] is not first_speaker:
        title = text[heads[0].start : heads[0].body]  # "# Episode 12" heading the document
    title = title.lstrip("#").strip() or None if title else None
    return ParseResult(
        format="markdown",
        segments=turn_segments(text, heads),
        warnings=[*warnings, *backwards(heads)],
        title=title,
    )


FORMAT = Format(
    "markdown",
    detect,
    parse,
    layout='each turn opens with "**Name:**" or a "### Name" heading, optionally with "[00:12:34]"',
)
