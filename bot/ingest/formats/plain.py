"""Fallback for text no other parser recognises: one segment per blank-line-separated paragraph.

Refusing an unknown file would leave the user with nothing to search; indexing paragraphs keeps
every word quotable, and the warning tells the ingest report that no times or speakers came out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.ingest.formats._text import paragraphs, segment
from bot.ingest.formats.protocol import CLAIM, Format, Sample
from bot.records import ParseResult, Segment

WARNING = "unrecognised transcript format; indexed as plain paragraphs"


def parse(
    text: str,
    *,
    participants: Sequence[str] = (),
    default_speaker: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    """Segments of ``text``; ``participants``/``aliases`` are unused (no labels to resolve)."""
    segments: list[Segment] = []
    for para in paragraphs(text):
        seg = segment(text, para[0].start, para[-1].end, speaker=default_speaker)
        if seg:
            segments.append(seg)
    return ParseResult(format="plain", segments=segments, warnings=[WARNING])


def detect(sample: Sample) -> float:
    """The fallback: claims whatever reaches it, so no readable file is refused."""
    return CLAIM


FORMAT = Format("plain", detect, parse)
