"""Whisper-style ASR output: ``[MM:SS.mmm --> MM:SS.mmm]  text``, one line per utterance.

Whisper writes ``MM:SS`` until the hour and ``HH:MM:SS`` after it, so each bracket is read on its
own rather than assuming one clock width per file. Some exports mark a change of speaker with
``>>`` in the middle of a line; the line is split there so no segment mixes two voices. Each part
keeps the whole line's times, because the file gives no finer timing and a slightly wide range is
better than an invented one. Who speaks after ``>>`` is unknown, so those parts have no speaker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import Line, iter_lines, seconds, segment, trim
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?"
LINE = re.compile(rf"[ \t]*\[{_TS}[ \t]*-->[ \t]*{_TS}\]")
_TURN = re.compile(r">>")
# A whole utterance that is only a sound description: "[MUSIC]", "(applause)", "♪♪".
_NON_SPEECH = re.compile(r"\[[A-Za-z][A-Za-z _-]*\]|\([A-Za-z][A-Za-z _-]*\)|[♪♫\s]+")


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    """Segments of ``text``; ``participants``/``aliases`` are unused (no labels to resolve)."""
    segments: list[Segment] = []
    untimed = 0
    backwards: list[int] = []
    last_start = -1.0
    turn_marks = 0
    for line in iter_lines(text):
        m = LINE.match(text, line.start, line.end)
        if not m:
            seg = segment(text, line.start, line.end, speaker=default_speaker)
            if seg and not _NON_SPEECH.fullmatch(seg.text):
                untimed += 1
                segments.append(seg)
            continue
        t0 = seconds(*m.group(1, 2, 3, 4))
        t1 = seconds(*m.group(5, 6, 7, 8))
        if t0 < last_start:
            backwards.append(line.start)
        last_start = t0
        turn_marks += text.count(">>", m.end(), line.end)
        segments.extend(_turns(text, Line(m.end(), line.end), t0, t1, default_speaker))
    warnings = []
    if untimed:
        warnings.append(f"{untimed} line(s) without a [start --> end] timestamp kept without times")
    if backwards:
        warnings.append(
            f"timestamps go backwards {len(backwards)} time(s), first at offset {backwards[0]}"
        )
    if turn_marks and default_speaker:
        warnings.append(
            f"{turn_marks} '>>' speaker change(s) in a file whose manifest names one "
            f"default_speaker ({default_speaker}); every part is attributed to them"
        )
    return ParseResult(format="whisper", segments=segments, warnings=warnings)


def _turns(
    text: str, body: Line, t0: float, t1: float, default_speaker: str | None
) -> list[Segment]:
    """The line's text cut at every ``>>``; empty parts and sound tags dropped."""
    cuts = [body.start]
    for m in _TURN.finditer(text, body.start, body.end):
        cuts.extend((m.start(), m.end()))
    cuts.append(body.end)
    out: list[Segment] = []
    # A line with a turn mark: parts before the first mark continue whoever spoke before, parts
    # after it are someone new; either way the file does not say who, so only the default applies.
    for a, b in zip(cuts[::2], cuts[1::2], strict=True):
        a, b = trim(text, a, b)
        if a == b or _NON_SPEECH.fullmatch(text, a, b):
            continue
        seg = segment(text, a, b, t0=t0, t1=t1, speaker=default_speaker)
        if seg:
            out.append(seg)
    return out


def detect(sample: Sample) -> float:
    """Share of the non-blank lines that open with a ``[start --> end]`` bracket; half claims."""
    lines = sample.lines
    return len(sample.matching(LINE)) / len(lines) if lines else 0.0


FORMAT = Format(
    "whisper",
    detect,
    parse,
    layout='every line starts with "[00:01.000 --> 00:04.000]"',
)
