"""Shared helpers for the ingest tests: where fixtures and seeds live, and the slice invariant."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.records import Segment

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def fixture_text(name: str) -> str:
    """A fixture decoded byte-for-byte (no newline translation, unlike Path.read_text)."""
    return (FIXTURES / name).read_bytes().decode("utf-8")


def seed_path(prefix: str) -> Path:
    """The seed whose file name starts with ``prefix`` ("000", "004", …)."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def assert_exact_slices(text: str, segments: Iterable[Segment]) -> None:
    """Every segment is an exact, trimmed, non-empty slice of ``text``."""
    for seg in segments:
        assert seg.text == text[seg.char_start : seg.char_end], seg
        assert seg.text and seg.text == seg.text.strip(), seg


def span_of(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """Where ``needle`` occurs in ``text``: the span a segment with that text must have."""
    at = text.index(needle, start)
    return at, at + len(needle)


def expected(
    text: str,
    needle: str,
    start: float | None,
    end: float | None,
    speaker: str | None,
    after: int = 0,
) -> Segment:
    """The segment a parser must produce for ``needle`` (its first occurrence from ``after``)."""
    a, b = span_of(text, needle, after)
    return Segment(text=needle, start=start, end=end, speaker=speaker, char_start=a, char_end=b)
