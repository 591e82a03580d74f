"""Edited panel transcripts copied from a web page: ``Full Name: text`` paragraphs.

Such pages introduce a speaker by full name once and by initials afterwards ("Kai-Fu Lee:" then
"KFL:"), so initials are learned from the full-name labels the file itself uses, then from the
manifest's participants. A paragraph without a label is the previous speaker going on.

A copied page also carries what surrounds the article: a title and intro before the discussion,
and comments, "Like"/"Reply" buttons and "More articles by…" after it. None of that was said on
stage, so everything before the first speaker label and from the first piece of page chrome after
the last speaker label on is left out. Quoting a commenter as a panellist would be a worse error
than losing a stray line, but nothing is dropped silently: a chrome line inside the discussion (a
stray "Like" pasted mid-transcript) drops only itself, and every cut is reported as a warning with
its line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from bot.ingest.formats._text import DATE_PATTERN, Line, iso_date, paragraphs, segment, trim
from bot.ingest.formats.names import LABEL, Names, is_initials, looks_like_person
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

# Lines that only exist on the web page around the transcript (LinkedIn-style article chrome).
_CHROME = re.compile(
    r"\d{1,2}(?:s|m|h|d|w|mo|y|yr)"  # a comment's age: "11mo", "3d"
    r"|Like|Reply|Like\s+Reply|Comment|Share|Report this (?:article|comment)"
    r"|To view or add a comment, sign in|Sign in to view more content|Insights from the community"
    r"|More articles by .+|Others also viewed|Explore topics|See more comments|\d+ Comments?",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…:\"'”’)\]]$")


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    names = Names(participants, aliases)
    candidates = [_candidate(text, line) for para in paragraphs(text) for line in para]
    raw_labels = [text[c[0] : c[1]] for c in candidates if c]
    full_labels = [
        raw
        for raw in raw_labels
        if not is_initials(raw) and (names.resolve(raw) or looks_like_person(raw))
    ]
    initials, clashes = names.initials_map(full_labels)
    warnings = [f"initials {c} fit more than one person; left unresolved" for c in clashes]
    turns = _turns(text, names, initials)
    first = next((i for i, t in enumerate(turns) if t.speaker is not None), None)
    if first is None:
        return ParseResult(format="panel", segments=[], warnings=[*warnings, "no speaker labels"])
    last = max(i for i, t in enumerate(turns) if t.label is not None)
    stop = _chrome_start(text, turns, max(first, last))
    lines = _LineNumbers(text)
    if first:
        warnings.append(
            f"left out lines 1-{lines.at(turns[first - 1].end)} before the first speaker label "
            "(title and introduction)"
        )
    if stop < len(turns):
        warnings.append(
            f"left out lines {lines.at(turns[stop].start)}-{lines.at(turns[-1].end)} after the "
            f"discussion as page chrome ({len(turns) - stop} blocks: comments, buttons)"
        )
    segments: list[Segment] = []
    speaker = default_speaker
    unknown: set[str] = set()
    chrome_inside: list[int] = []
    for turn in turns[first:stop]:
        if turn.label is None and _CHROME.fullmatch(text, *trim(text, turn.start, turn.end)):
            chrome_inside.append(turn.start)
            continue
        if turn.label is not None:
            speaker = turn.speaker
            if speaker is None:
                unknown.add(turn.label)
        seg = segment(text, turn.body, turn.end, speaker=speaker)
        if seg:
            segments.append(seg)
    if unknown:
        warnings.append(f"unknown speaker initials {', '.join(sorted(unknown))}: no speaker given")
    if chrome_inside:
        where = ", ".join(str(_LineNumbers(text).at(p)) for p in chrome_inside[:5])
        more = ", …" if len(chrome_inside) > 5 else ""
        warnings.append(
            f"dropped {len(chrome_inside)} page-chrome line(s) (Like/Reply/…) inside the "
            f"discussion: line {where}{more}"
        )
    head = trim(text, 0, turns[first].start)
    return ParseResult(
        format="panel",
        segments=segments,
        warnings=warnings,
        title=_first_line(text, *head),
        date=_date(text[head[0] : head[1]]),
    )


class _Turn(NamedTuple):
    start: int  # where the block starts, label included
    body: int  # where the spoken text starts (after the label, if any)
    end: int
    label: str | None  # the label as written, when the block opens with one
    speaker: str | None  # who the label names; None for initials nobody in the file matches


def _turns(text: str, names: Names, initials: Mapping[str, str]) -> list[_Turn]:
    """Paragraphs, also cut before a line that opens with a label (a turn inside a paragraph)."""
    out: list[_Turn] = []
    for para in paragraphs(text):
        start, body, label, speaker = para[0].start, para[0].start, None, None
        for i, line in enumerate(para):
            found = _judge(text, line, names, initials)
            if found is None:
                continue
            if i:
                out.append(_Turn(start, body, trim(text, start, line.start)[1], label, speaker))
            start, (body, label, speaker) = line.start, found
        out.append(_Turn(start, body, para[-1].end, label, speaker))
    return out


def _candidate(text: str, line: Line) -> tuple[int, int] | None:
    """Offsets of a ``Label:`` candidate opening the line (not yet judged a speaker)."""
    a, _ = trim(text, line.start, line.end)
    m = LABEL.match(text, a, line.end)
    return (m.start(1), m.end(1)) if m else None


def _judge(
    text: str, line: Line, names: Names, initials: Mapping[str, str]
) -> tuple[int, str, str | None] | None:
    """(body start, label, speaker) when the line opens with a speaker label, else None.

    A label is a name the manifest knows, initials, or something shaped like a person's name;
    "So the question is: …" is none of these. Initials nobody matches are still a change of
    speaker, but with no one to name, so their label stays in the text rather than vanish.
    """
    cand = _candidate(text, line)
    if cand is None:
        return None
    raw = text[cand[0] : cand[1]]
    colon = text.index(":", cand[1]) + 1
    if is_initials(raw):
        if len(raw) < 2:
            return None
        who = initials.get(raw) or names.resolve(raw)
        return (colon, raw, who) if who else (cand[0], raw, None)
    who = names.resolve(raw)
    if who is None and looks_like_person(raw):
        who = names.canonical(raw)
    return (colon, raw, who) if who else None


def _chrome_start(text: str, turns: list[_Turn], first: int) -> int:
    """Index of the first block of page chrome after the discussion (len(turns) if none).

    A comment on the page reads "Name", "Headline", "11mo", "comment", "Like", "Reply": the age
    is the first line that is surely chrome, so the one or two short unpunctuated lines just
    before it (the commenter's name and job title) are cut with it.
    """
    for i in range(first + 1, len(turns)):
        a, b = trim(text, turns[i].start, turns[i].end)
        if turns[i].label is None and _CHROME.fullmatch(text, a, b):
            j = i
            while j > max(first + 1, i - 2) and _is_byline(text, turns[j - 1]):
                j -= 1
            return j
    return len(turns)


class _LineNumbers:
    """1-based line numbers of increasing offsets, counted incrementally (linear overall)."""

    def __init__(self, text: str) -> None:
        self._text, self._pos, self._line = text, 0, 1

    def at(self, offset: int) -> int:
        if offset < self._pos:
            self._pos, self._line = 0, 1
        self._line += self._text.count("\n", self._pos, offset)
        self._pos = offset
        return self._line


def _is_byline(text: str, turn: _Turn) -> bool:
    a, b = trim(text, turn.start, turn.end)
    return turn.label is None and b - a <= 300 and not _SENTENCE_END.search(text, a, b)


def _first_line(text: str, start: int, end: int) -> str | None:
    if start == end:
        return None
    nl = text.find("\n", start, end)
    a, b = trim(text, start, end if nl < 0 else nl)
    return text[a:b] or None


def _date(header: str) -> str | None:
    m = DATE_PATTERN.search(header)
    return iso_date(m.group(1)) if m else None


def detect(sample: Sample) -> float:
    """Several different speakers' labels opening a good share of the lines.

    Full names ("Kai-Fu Lee:"), initials ("KFL:") and manifest spellings always count. A bare
    first name ("Aarthi:") counts only when the text is laid out in blank-line-separated
    paragraphs, because listener notes attribute the odd line that way too, one idea per line.
    """
    lines = sample.lines
    paragraphed = sample.blank_lines >= len(lines) / 3
    labels: list[str] = []
    for line in lines:
        m = LABEL.match(line)
        if not m:
            continue
        raw = m.group(1)
        strong = (is_initials(raw) and len(raw) >= 2) or looks_like_person(raw)
        if strong or (sample.names.resolve(raw) and (" " in raw.strip() or paragraphed)):
            labels.append(raw)
    claimed = len(labels) >= 3 and len(set(labels)) >= 2 and len(labels) >= len(lines) / 5
    return 1.0 if claimed else 0.0


FORMAT = Format(
    "panel",
    detect,
    parse,
    layout='paragraphs opening with "Full Name:" (or initials such as "KFL:") labels',
)
