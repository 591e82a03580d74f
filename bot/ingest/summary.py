"""What a parse found, in the few numbers a person checks first: format, speakers, times, count.

Ingest reports it per file and ``panelist inspect`` shows it before indexing anything, so a file
that lost its speakers or times (read as plain paragraphs, a label the manifest does not map) is
seen at once rather than discovered in a citation later.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.records import ParseResult


@dataclass(frozen=True, slots=True)
class ParseSummary:
    format: str
    confidence: float | None  # the format's detect score: 0.5 claims, 1 is certain
    segments: int
    speakers: tuple[str, ...]  # in order of first appearance; labels only, never guessed
    start: float | None  # earliest time in the file (seconds), None when it has no times
    end: float | None  # latest end (or start) time
    warnings: tuple[str, ...]


def summarize(result: ParseResult) -> ParseSummary:
    speakers = dict.fromkeys(s.speaker for s in result.segments if s.speaker)
    starts = [s.start for s in result.segments if s.start is not None]
    ends = [t for s in result.segments for t in (s.start, s.end) if t is not None]
    return ParseSummary(
        format=result.format,
        confidence=result.confidence,
        segments=len(result.segments),
        speakers=tuple(speakers),
        start=min(starts) if starts else None,
        end=max(ends) if ends else None,
        warnings=tuple(result.warnings),
    )
