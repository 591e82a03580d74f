"""Transcript text → segments: the one entry point the rest of the bot calls.

The format is read from the content, never from the file name: people rename exports, save
captions as .txt and paste web pages into .md, and the seeds are all ``.txt`` in five formats.
Each format module exports one ``Format(name, detect, parse)``; :data:`FORMATS` orders them from
the most specific signature (a JSON document, a ``WEBVTT`` header, the podcast site's ``Starting
point is`` markers, whisper brackets, SRT timings, Rev's ``Name (00:01:02):``) through header-line
layouts (Otter, YouTube, Markdown) to the loosest (speaker labels, one idea per line), and ends with
plain paragraphs, which claim anything, so no readable file is ever refused. A file that only
partly fits the format it is read as, or fits none, gets a warning naming the closest format and
the layout it expects, so the user knows what to fix instead of silently losing speakers and times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.ingest.formats import (
    markdown,
    notes,
    otter,
    panel,
    plain,
    podcast_export,
    podcast_json,
    rev,
    srt,
    webvtt,
    whisper,
    youtube,
)
from bot.ingest.formats.names import GENERIC, Names
from bot.ingest.formats.protocol import CLAIM, SURE, Format, Sample
from bot.records import ParseResult

FORMATS: tuple[Format, ...] = (
    podcast_json.FORMAT,
    webvtt.FORMAT,
    podcast_export.FORMAT,
    whisper.FORMAT,
    srt.FORMAT,
    rev.FORMAT,
    otter.FORMAT,
    youtube.FORMAT,
    markdown.FORMAT,
    panel.FORMAT,
    notes.FORMAT,
    plain.FORMAT,
)
FORMAT_NAMES = tuple(f.name for f in FORMATS)


def detect(sample: Sample) -> Format:
    """The first format in :data:`FORMATS` that claims ``sample`` (plain claims anything)."""
    return _detect(sample)[0]


def _detect(sample: Sample) -> tuple[Format, float, dict[str, float]]:
    """(winner, its score, the score of every format tried before it)."""
    tried: dict[str, float] = {}
    for fmt in FORMATS:
        score = fmt.detect(sample)
        if score >= CLAIM:
            return fmt, score, tried
        tried[fmt.name] = score
    raise AssertionError("the plain format claims every file")  # pragma: no cover


def detect_format(
    text: str, *, participants: Sequence[str] = (), aliases: Mapping[str, str] | None = None
) -> str:
    """Name of the format ``text`` is written in: one of :data:`FORMAT_NAMES`.

    ``participants``/``aliases`` only help recognise a panel whose labels are bare first names
    ("Yann: …"), which look like any other "Word:" without knowing who is on the panel.
    """
    return detect(Sample(text, Names(participants, aliases))).name


def parse_transcript(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    """Segments of ``text`` (the file as decoded by ``read_transcript``), format detected.

    ``participants`` are the manifest's correct full names and ``aliases`` maps the spellings a
    file uses ("Imad Mastak", "NT") to them; labels in the file are resolved through both.
    ``default_speaker`` is used only where the file names nobody (one-speaker files), never over
    a label the file gives. Every segment satisfies
    ``segment.text == text[segment.char_start:segment.char_end]``.
    """
    fmt, score, tried = _detect(Sample(text, Names(participants, aliases)))
    result = fmt.parse(
        text, participants=participants, default_speaker=default_speaker, aliases=aliases
    )
    result.confidence = round(score, 3)
    result.warnings.extend(_uncertain(fmt, score, tried))
    generic = sorted(
        {s.speaker for s in result.segments if s.speaker and GENERIC.fullmatch(s.speaker)}
    )
    if generic:
        result.warnings.append(
            f"generic speaker label(s) {', '.join(generic)} kept as written; name them in the "
            f'manifest entry: speakers = {{ "{generic[0]}" = "Full Name" }}'
        )
    if not result.segments:
        result.warnings.append(f"no text to index was found (read as {fmt.name})")
    return result


def _uncertain(fmt: Format, score: float, tried: dict[str, float]) -> list[str]:
    """A warning when the winner only partly fits, or when plain won but something came close."""
    if fmt is not plain.FORMAT:
        if score >= SURE:
            return []
        return [
            f"format uncertain: read as {fmt.name}, but only {score:.0%} of the file fits it; "
            f"expected {fmt.layout}"
        ]
    name, best = max(tried.items(), key=lambda kv: kv[1], default=("", 0.0))
    if best <= 0:
        return []
    layout = next(f.layout for f in FORMATS if f.name == name)
    return [
        f"format uncertain: closest is {name} ({best:.0%} fit, {CLAIM:.0%} needed); "
        f"to be read as {name} it needs {layout}"
    ]
