"""The unit every parser produces: one utterance (or line, or paragraph) of a transcript.

Invariant every parser keeps, and tests check: ``segment.text == file_text[char_start:char_end]``
where ``file_text`` is the file decoded as UTF-8 (Python ``str`` offsets). Citations rely on it to
point a reader at the exact place in the original file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    start: float | None  # seconds from the start of the recording, None when the file has no times
    end: float | None
    speaker: str | None  # full display name; None when the file does not say (never guessed)
    char_start: int
    char_end: int


@dataclass(slots=True)
class ParseResult:
    format: str  # the Format.name that read it (bot.ingest.parse.FORMAT_NAMES)
    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)
    # Facts some formats carry in a header (podcast exports, web-page panels). The manifest wins
    # over these; they only fill in for files the manifest does not describe.
    title: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd, only when the header states a full date
    confidence: float | None = None  # the format's detect score (0.5 claims, 1 is certain)
