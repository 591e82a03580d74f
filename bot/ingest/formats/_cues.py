"""Caption cue payloads (WebVTT and SRT) → segments of tag-free text.

Markup sits inside the words (``<i>``, ``<c.loud>``, ``{\\an8}``, karaoke ``<00:00:01.000>``), and a
segment must be an exact slice of the file, so a payload becomes one segment per stretch of text
between tags. Lines are split too: a line break in a caption is usually a change of speaker or a
dialogue dash, and joining lines buys nothing because chunks join segments with newlines anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.ingest.formats._text import Line, segment, trim
from bot.ingest.formats.names import LABEL, Names, looks_like_person
from bot.records import Segment

# "- Hi." / "– Hello." in subtitles: a dialogue dash marks a new voice; it is not speech.
_DIALOGUE_DASH = re.compile(r"[-–—][ \t\u00a0]+")


def cue_segments(
    text: str,
    payload: Sequence[Line],
    t0: float,
    t1: float,
    *,
    names: Names,
    speaker: str | None,
    tag: re.Pattern[str],
    voice: re.Pattern[str] | None = None,
    labels: bool = False,
    any_label: bool = False,
) -> list[Segment]:
    """Segments of one cue; ``voice`` tags (WebVTT ``<v Name>``) and ``labels`` (SRT "Name: …")
    set the speaker for the rest of the cue. ``</v>`` hands back to the cue's own speaker.
    ``any_label`` takes every short label as a name (meeting captions, where the tool writes the
    display name before every cue), not only person-shaped ones."""
    out: list[Segment] = []
    current = speaker
    for line in payload:
        pos, line_start = line.start, True
        for m in [*tag.finditer(text, line.start, line.end), None]:
            run_end = m.start() if m else line.end
            a, b = trim(text, pos, run_end)
            if a < b and line_start:
                line_start = False
                dash = _DIALOGUE_DASH.match(text, a, b)
                a = dash.end() if dash else a
                if labels and (found := _label(text, a, b, names, any_label=any_label)):
                    a, current = found
            seg = segment(text, a, b, t0=t0, t1=t1, speaker=current)
            if seg:
                out.append(seg)
            if m is None:
                break
            v = voice.fullmatch(text, m.start(), m.end()) if voice else None
            if v and v.group(1).strip():
                current = names.canonical(v.group(1))
            elif voice and text.startswith("</v", m.start()):
                current = speaker
            pos = m.end()
    return out


def _label(
    text: str, a: int, b: int, names: Names, *, any_label: bool = False
) -> tuple[int, str] | None:
    """(text start, speaker) when a run opens with a name label, judged as in panels (or, with
    ``any_label``, any label of at most five words)."""
    m = LABEL.match(text, a, b)
    if not m:
        return None
    raw = m.group(1)
    named = looks_like_person(raw) or (any_label and len(raw.split()) <= 5)
    who = names.resolve(raw) or (names.canonical(raw) if named else None)
    return (m.end(), who) if who else None
