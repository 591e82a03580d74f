"""Transcript text → segments: the one entry point the rest of the bot calls.

The format is read from the content, never from the file name: people rename exports, save
captions as .txt and paste web pages into .md, and the seeds are all ``.txt`` in five formats.
Each format module exports one ``Format(name, detect, parse)``; :data:`FORMATS` orders them from
the most specific signature (a ``WEBVTT`` header, the podcast site's ``Starting point is`` markers,
whisper brackets, SRT timings) to the loosest (speaker labels, one idea per line), and ends with
plain paragraphs, which claim anything, so no readable file is ever refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.ingest.formats import notes, panel, plain, podcast_export, srt, webvtt, whisper
from bot.ingest.formats.names import Names
from bot.ingest.formats.protocol import CLAIM, Format, Sample
from bot.ingest.segment import ParseResult

FORMATS: tuple[Format, ...] = (
    webvtt.FORMAT,
    podcast_export.FORMAT,
    whisper.FORMAT,
    srt.FORMAT,
    panel.FORMAT,
    notes.FORMAT,
    plain.FORMAT,
)
FORMAT_NAMES = tuple(f.name for f in FORMATS)


def detect(sample: Sample) -> Format:
    """The first format in :data:`FORMATS` that claims ``sample`` (plain claims anything)."""
    return next(f for f in FORMATS if f.detect(sample) >= CLAIM)


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
    fmt = detect(Sample(text, Names(participants, aliases)))
    result = fmt.parse(
        text, participants=participants, default_speaker=default_speaker, aliases=aliases
    )
    if not result.segments:
        result.warnings.append(f"no text to index was found (read as {fmt.name})")
    return result
