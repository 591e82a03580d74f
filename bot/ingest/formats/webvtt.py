"""WebVTT captions: cues with ``[HH:]MM:SS.mmm --> …`` timings and ``<v Speaker>`` voice tags.

Meeting recordings (Zoom cloud recordings, Teams transcripts) write ``Display Name: text`` inside
each cue instead; when at least half the cues open that way, every short label is the speaker
for the rest of its cue, whatever its shape ("Jane", "iPhone"). In ordinary captions a label only
counts when it is person-shaped or known to the manifest, as in SRT.

Each cue becomes one segment per run of tag-free text (see ``_cues``), each with the cue's times
and the voice in force there; ``<v.class Name>`` works like ``<v Name>``. Character
references are left as written (``&amp;`` stays ``&amp;``): unescaping would change the text and
break the slice; it is rare in speech captions and still readable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.ingest.formats._cues import cue_segments
from bot.ingest.formats._text import Line, paragraphs, seconds, trim
from bot.ingest.formats.names import LABEL, Names
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

_TS = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
TIMING = re.compile(rf"[ \t]*{_TS}[ \t]+-->[ \t]+{_TS}(?=[ \t]|$)")
_TAG = re.compile(r"<[^>\n]*>")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_SKIP_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
HEADER = re.compile(r"\A[\ufeff \t\r\n]*WEBVTT(?:[ \t\r\n]|\Z)")
_COMMA_TIMING = re.compile(r"[ \t]*(?:\d+:)?\d{1,2}:\d{2},\d{1,3}[ \t]*-->")


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    names = Names(participants, aliases)
    cues: list[tuple[float, float, Sequence[Line]]] = []
    warnings: list[str] = []
    bad = 0
    for n, block in enumerate(paragraphs(text)):
        a, b = trim(text, block[0].start, block[0].end)
        header = n == 0 and text.startswith("WEBVTT", a)
        if not header and _SKIP_BLOCK.match(text, a, b):
            continue
        # A cue is [identifier] timing payload…; the header block only holds a cue when a
        # careless writer left out the blank line after "WEBVTT".
        found = _timing(text, block if header else block[:2])
        if found is None:
            bad += 0 if header else 1
            continue
        at, m = found
        if block[at + 1 :]:
            t0, t1 = seconds(*m.group(1, 2, 3, 4)), seconds(*m.group(5, 6, 7, 8))
            cues.append((t0, t1, block[at + 1 :]))
    # Zoom and Teams write "Display Name: text" in (nearly) every cue instead of <v Name>.
    labelled = sum(1 for _, _, payload in cues if LABEL.match(text, *trim(text, *payload[0])))
    meeting = labelled >= 2 and labelled >= len(cues) / 2
    segments: list[Segment] = []
    for t0, t1, payload in cues:
        segments.extend(
            cue_segments(
                text,
                payload,
                t0,
                t1,
                names=names,
                speaker=default_speaker,
                tag=_TAG,
                voice=_VOICE,
                labels=True,
                any_label=meeting,
            )
        )
    if bad:
        warnings.append(f"{bad} block(s) without a cue timing line skipped")
    return ParseResult(format="webvtt", segments=segments, warnings=warnings)


def _timing(text: str, lines: Sequence[Line]) -> tuple[int, re.Match[str]] | None:
    for i, line in enumerate(lines):
        m = TIMING.match(text, line.start, line.end)
        if m:
            return i, m
    return None


def detect(sample: Sample) -> float:
    """Certain on the ``WEBVTT`` header; without it, cue timings on ~1/4 of the lines (1/8 claims).

    WebVTT timestamps never use a comma, so headerless cues with ``00:00:01,000`` timings are left
    to SubRip.
    """
    if HEADER.match(sample.text):
        return 1.0
    lines = sample.lines
    if not lines or sample.matching(_COMMA_TIMING):
        return 0.0
    return min(1.0, 4 * len(sample.matching(TIMING)) / len(lines))


FORMAT = Format(
    "webvtt",
    detect,
    parse,
    layout=(
        'a "WEBVTT" first line, then cues "00:00:01.000 --> 00:00:04.000" followed by their text'
    ),
)
