"""SubRip (.srt) subtitles: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, text lines.

Subtitles name a speaker only now and then ("JOHN: …", "Jane Doe: …"), and only at a change of
voice, so a label sets the speaker for the rest of that cue and no further: carrying it into later
cues would guess. Markup (``<i>``, ``<font …>``, ``{\\an8}``) is handled as in WebVTT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._cues import cue_segments
from bot.ingest.formats._text import Line, paragraphs, seconds, trim
from bot.ingest.formats.names import Names
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

# Comma is the SubRip standard; a dot appears in files converted by hand or by sloppy tools.
_TS = r"(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})"
TIMING = re.compile(rf"[ \t]*{_TS}[ \t]*-->[ \t]*{_TS}")
_INDEX = re.compile(r"[ \t]*\d+[ \t]*")
# A line that tries to be a timing line and fails (one-dash arrow, missing milliseconds): it
# opens a cue all the same, which is skipped with a warning; its text is never indexed as speech.
_BROKEN_TIMING = re.compile(r"[ \t]*\d[\d:,.]*[ \t]*-{1,2}>|.*-->")
_TAG = re.compile(r"<[^>\n]*>|\{\\[^}\n]*\}")


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    names = Names(participants, aliases)
    segments: list[Segment] = []
    broken: list[int] = []
    lines_before, counted_to = 1, 0
    for cue in _cues(text):
        m = TIMING.match(text, cue[0].start, cue[0].end)
        if m is None:
            lines_before += text.count("\n", counted_to, cue[0].start)  # cues come in order
            counted_to = cue[0].start
            broken.append(lines_before)
            continue
        t0, t1 = seconds(*m.group(1, 2, 3, 4)), seconds(*m.group(5, 6, 7, 8))
        segments.extend(
            cue_segments(
                text,
                cue[1:],
                t0,
                t1,
                names=names,
                speaker=default_speaker,
                tag=_TAG,
                labels=True,
            )
        )
    warnings = []
    if broken:
        where = ", ".join(str(n) for n in broken[:5]) + (", …" if len(broken) > 5 else "")
        warnings.append(f"{len(broken)} cue(s) with a malformed timing line skipped (line {where})")
    return ParseResult(format="srt", segments=segments, warnings=warnings)


def _cues(text: str) -> list[list[Line]]:
    """Each cue as [timing line, payload lines…], index lines dropped.

    Cues are found by their timing lines rather than by blank lines, since hand-edited files
    often lose the blank line between cues; a number line right before a timing line is the
    next cue's index, not text.
    """
    lines = [line for para in paragraphs(text) for line in para]
    cues: list[list[Line]] = []
    for i, line in enumerate(lines):
        if TIMING.match(text, line.start, line.end) or _BROKEN_TIMING.match(
            text, line.start, line.end
        ):
            if cues and len(cues[-1]) > 1 and _INDEX.fullmatch(text, *trim(text, *lines[i - 1])):
                cues[-1].pop()
            cues.append([line])
        elif cues:
            cues[-1].append(line)
    return cues


def detect(sample: Sample) -> float:
    """SubRip timings on ~1/4 of the lines (index, timing, text, blank); 1/8 claims.

    Only comma-millisecond timings are SubRip's own: a file whose timings all use dots is WebVTT
    cues without the header, which the WebVTT format claims.
    """
    lines = sample.lines
    timings = sample.matching(TIMING)
    if not lines or not any("," in t for t in timings):
        return 0.0
    return min(1.0, 4 * len(timings) / len(lines))


FORMAT = Format(
    "srt",
    detect,
    parse,
    layout='numbered cues with "00:00:01,000 --> 00:00:04,000" timing lines',
)
