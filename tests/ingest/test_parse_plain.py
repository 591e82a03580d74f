"""The plain-paragraph fallback for text no parser recognises."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import assert_exact_slices, fixture_text, span_of

WARNING = "unrecognised transcript format; indexed as plain paragraphs"


def test_unrecognised_text_is_indexed_as_paragraphs_with_a_warning() -> None:
    """Prose gives one segment per blank-line-separated paragraph and the fixed warning."""
    result = parse_transcript(fixture_text("essay.txt"))
    assert result.format == "plain"
    assert len(result.segments) == 3
    assert WARNING in result.warnings


def test_wrapped_paragraph_is_one_segment_spanning_its_lines() -> None:
    """Lines of one paragraph stay together, line breaks included."""
    text = fixture_text("essay.txt")
    first = parse_transcript(text).segments[0]
    assert first.text.startswith("This is an essay")
    assert first.text.endswith("marked it up.")
    assert "\n" in first.text


def test_indentation_and_trailing_spaces_are_outside_the_span() -> None:
    """An indented paragraph's span starts at its first word and ends at its last."""
    text = fixture_text("essay.txt")
    last = parse_transcript(text).segments[-1]
    assert (last.char_start, last.char_end) == span_of(
        text, "An indented third paragraph, with trailing spaces."
    )


def test_no_times_and_no_speaker_unless_a_default_is_given() -> None:
    """Plain text carries no times; a speaker appears only from default_speaker."""
    text = fixture_text("essay.txt")
    bare = parse_transcript(text).segments
    named = parse_transcript(text, default_speaker="Ada Lovelace").segments
    assert {(s.start, s.end, s.speaker) for s in bare} == {(None, None, None)}
    assert {s.speaker for s in named} == {"Ada Lovelace"}


def test_paragraphs_are_exact_slices() -> None:
    """Every paragraph segment is an exact slice of the file."""
    text = fixture_text("essay.txt")
    assert_exact_slices(text, parse_transcript(text).segments)
