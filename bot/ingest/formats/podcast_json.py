"""Podcasting 2.0 JSON transcripts: ``{"version": …, "segments": [{"speaker", "startTime",
"endTime", "body"}, …]}``, the ``<podcast:transcript type="application/json">`` of a feed.

A segment must be an exact slice of the file, so each body is located where it is written: the
standard library's pure-Python JSON scanner is given a string parser that records where every
string starts and ends. A body is the characters between its quotes. Escaped line breaks
(``\\n``) split it, as a real line break would; any other escape (``\\u2019``, ``\\"``) is kept as
written, because unescaping would change the text and break the slice, and the file gets a warning
saying how to re-save it without them. Hosts that emit one segment per word give one segment per
word: chunks join them, and quotes are verified across them.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.ingest.formats._text import segment
from bot.ingest.formats.names import Names
from bot.ingest.formats.protocol import Format, Sample
from bot.records import ParseResult, Segment

_OPEN = re.compile(r"\A[\s\ufeff]*\{")
_MAX_NAME = 100  # a longer "speaker" is not a name; it would bloat every citation
_SEGMENTS_KEY = re.compile(r'"segments"\s*:')
# One JSON escape; \n \r \t (and their \u forms) are line breaks, anything else is kept raw.
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)", re.DOTALL)
_BREAKS = frozenset(("\\n", "\\r", "\\t", "\\u000a", "\\u000A", "\\u000d", "\\u000D"))


class _Spanned(str):
    """A decoded JSON string that remembers where its characters sit in the file."""

    start: int
    stop: int


def _load(text: str) -> tuple[Any, str | None]:
    """(document, None), or (None, why it is not valid JSON) — never an exception."""

    def parse_string(s: str, end: int, strict: bool = True) -> tuple[str, int]:
        value, stop = json.decoder.scanstring(s, end, strict)
        out = _Spanned(value)
        out.start, out.stop = end, stop - 1
        return out, stop

    decoder = json.JSONDecoder()
    decoder.parse_string = parse_string  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # the C scanner ignores the hook
    try:
        return decoder.decode(text), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except RecursionError:
        return None, "not valid JSON for a transcript (nested too deeply)"
    except ValueError as exc:  # an integer too long to convert
        return None, f"not valid JSON ({exc})"


def detect(sample: Sample) -> float:
    """Certain on a JSON object with a ``segments`` list. A broken one is still claimed (weakly):
    indexing its syntax as prose would be worse than refusing it with the parse error's place."""
    if not _OPEN.match(sample.text) or not _SEGMENTS_KEY.search(sample.text):
        return 0.0
    doc, _ = _load(sample.text)
    if isinstance(doc, dict) and isinstance(doc.get("segments"), list):
        return 1.0
    return 0.6


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    names = Names(participants, aliases)
    doc, error = _load(text)
    if error or not isinstance(doc, dict) or not isinstance(doc.get("segments"), list):
        why = error or 'no "segments" list at the top level'
        return ParseResult(format="podcast_json", segments=[], warnings=[why])
    segments: list[Segment] = []
    skipped = escaped = bad_times = long_names = 0
    for item in doc["segments"]:
        body = item.get("body") if isinstance(item, dict) else None
        if not isinstance(body, _Spanned):
            skipped += 1
            continue
        label = item.get("speaker")
        if isinstance(label, str) and len(label) > _MAX_NAME:
            label, long_names = None, long_names + 1
        speaker = names.speaker(label) if isinstance(label, str) else default_speaker
        t0, t1 = _time(item.get("startTime")), _time(item.get("endTime"))
        if (t0 is None) != ("startTime" not in item) or (t1 is None) != ("endTime" not in item):
            bad_times += 1
        if t0 is not None and t1 is not None and t1 < t0:
            t1, bad_times = None, bad_times + 1
        pos = body.start
        for m in _ESCAPE.finditer(text, body.start, body.stop):
            if m.group() not in _BREAKS:
                escaped += 1
                continue
            if seg := segment(text, pos, m.start(), t0=t0, t1=t1, speaker=speaker):
                segments.append(seg)
            pos = m.end()
        if seg := segment(text, pos, body.stop, t0=t0, t1=t1, speaker=speaker):
            segments.append(seg)
    warnings: list[str] = []
    if skipped:
        warnings.append(f"{skipped} segment(s) without a text body skipped")
    if bad_times:
        warnings.append(f"{bad_times} segment(s) with a missing, negative or reversed time")
    if long_names:
        warnings.append(f"{long_names} speaker value(s) over {_MAX_NAME} characters ignored")
    if escaped:
        warnings.append(
            f'{escaped} JSON escape(s) such as \\u2019 or \\" kept as written in the text; '
            "re-save the file unescaped (python -m json.tool --no-ensure-ascii IN OUT)"
        )
    return ParseResult(format="podcast_json", segments=segments, warnings=warnings)


def _time(value: Any) -> float | None:
    """Seconds from a JSON number; None for anything else (strings, booleans, NaN, negatives)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


FORMAT = Format(
    "podcast_json",
    detect,
    parse,
    layout=(
        'valid JSON: {"version": "1.0.0", "segments": [{"speaker": …, '
        '"startTime": 0.5, "endTime": 2.0, "body": "…"}]}'
    ),
)
