"""Transcript text → segments: the one entry point the rest of the bot calls.

The format is read from the content, never from the file name: people rename exports, save
captions as .txt and paste web pages into .md, and the seeds are all ``.txt`` in five formats.
Detection goes from the most specific signature (a ``WEBVTT`` header, the podcast site's
``Starting point is`` markers, whisper brackets, SRT timings) to the loosest (speaker labels, one
idea per line), and falls back to plain paragraphs so no readable file is ever refused.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence

from bot.ingest.formats import notes, panel, plain, podcast_export, srt, webvtt, whisper
from bot.ingest.formats._text import is_blank, iter_lines, trim
from bot.ingest.formats.names import LABEL, Names, is_initials, looks_like_person
from bot.ingest.segment import ParseResult

FORMATS = ("podcast_export", "whisper", "panel", "notes", "webvtt", "srt", "plain")
_WEBVTT_HEADER = re.compile(r"\A[\ufeff \t\r\n]*WEBVTT(?:[ \t\r\n]|\Z)")
_NOTE_START = re.compile(r"[\"“‘'(\[A-Z0-9]|[-–—•·*+]")


def detect_format(
    text: str, *, participants: Sequence[str] = (), aliases: Mapping[str, str] | None = None
) -> str:
    """Name of the format ``text`` is written in: one of :data:`FORMATS`.

    ``participants``/``aliases`` only help recognise a panel whose labels are bare first names
    ("Yann: …"), which look like any other "Word:" without knowing who is on the panel.
    """
    if _WEBVTT_HEADER.match(text):
        return "webvtt"
    if podcast_export.MARKER.search(text):  # "Starting point is 00:00:00" opening a line
        return "podcast_export"
    lines = [text[a:b] for a, b in (trim(text, *ln) for ln in iter_lines(text)) if a < b]
    if not lines:
        return "plain"

    def matching(pattern: re.Pattern[str]) -> list[str]:
        return [line for line in lines if pattern.match(line)]

    if len(matching(whisper.LINE)) >= max(1, len(lines) / 2):
        return "whisper"
    srt_timings = matching(srt.TIMING)
    # A cue is at least three lines (index, timing, text), so timings are ~1/4 of the lines.
    if len(srt_timings) >= max(1, len(lines) / 8) and any("," in t for t in srt_timings):
        return "srt"
    if len(matching(webvtt.TIMING)) >= max(1, len(lines) / 8):
        return "webvtt"  # cues without the WEBVTT header; the cue syntax is what matters
    if _is_panel(text, lines, Names(participants, aliases)):
        return "panel"
    if _is_notes(text, lines):
        return "notes"
    return "plain"


def _is_panel(text: str, lines: list[str], names: Names) -> bool:
    """Several different speakers' labels opening a good share of the lines.

    Full names ("Kai-Fu Lee:"), initials ("KFL:") and manifest spellings always count. A bare
    first name ("Aarthi:") counts only when the text is laid out in blank-line-separated
    paragraphs, because listener notes attribute the odd line that way too, one idea per line.
    """
    paragraphed = _blank_lines(text) >= len(lines) / 3
    labels: list[str] = []
    for line in lines:
        m = LABEL.match(line)
        if not m:
            continue
        raw = m.group(1)
        strong = (is_initials(raw) and len(raw) >= 2) or looks_like_person(raw)
        if strong or (names.resolve(raw) and (" " in raw.strip() or paragraphed)):
            labels.append(raw)
    return len(labels) >= 3 and len(set(labels)) >= 2 and len(labels) >= len(lines) / 5


def _blank_lines(text: str) -> int:
    return sum(1 for line in iter_lines(text) if is_blank(text, line))


def _is_notes(text: str, lines: list[str]) -> bool:
    """Short lines, hardly any blank ones, each opening like a new idea (capital or bullet).

    Hard-wrapped prose fails the "opens like a new idea" test (half its lines start mid-sentence,
    in lower case), and prose with blank lines between paragraphs fails the blank-line test.
    """
    if len(lines) < 3:
        return False
    blank = _blank_lines(text)
    bullets = sum(1 for line in lines if notes.BULLET.match(line))
    new_idea = sum(1 for line in lines if _NOTE_START.match(line))
    return (
        blank <= len(lines) / 10
        and new_idea >= 0.8 * len(lines)
        and statistics.median(len(line) for line in lines) <= 300
    ) or (bullets >= 3 and bullets >= len(lines) / 5)


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
    fmt = detect_format(text, participants=participants, aliases=aliases)
    if fmt == "podcast_export":
        result = podcast_export.parse(text, default_speaker=default_speaker)
    elif fmt == "whisper":
        result = whisper.parse(text, default_speaker=default_speaker)
    elif fmt == "plain":
        result = plain.parse(text, default_speaker=default_speaker)
    else:
        parser = {"panel": panel, "notes": notes, "webvtt": webvtt, "srt": srt}[fmt].parse
        result = parser(
            text, participants=participants, default_speaker=default_speaker, aliases=aliases
        )
    if not result.segments:
        result.warnings.append(f"no text to index was found (read as {fmt})")
    return result
