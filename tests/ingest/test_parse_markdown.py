"""Markdown transcripts: **Name:** labels or ### Name headings, optional [00:12:34] times."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import expected, fixture_text


def test_bold_label_sample_parses_to_exact_segments() -> None:
    """Labels cut from spans, times before or after, section headings not speech."""
    text = fixture_text("interview.md")
    result = parse_transcript(text)
    assert result.format == "markdown"
    assert result.title == "Open Weights, episode 12: Small models on phones"
    assert result.segments == [
        expected(text, "Welcome back to Open Weights.", 5.0, 12.0, "Jane Doe"),
        expected(
            text,
            "Thanks for having me. Models\nthat fit on a phone are finally *good enough*.",
            12.0,
            None,
            "Sam Park",
        ),
        expected(text, "What did you measure?", None, None, "Jane Doe"),
        expected(text, "Latency, mostly.", None, None, "Sam Park"),
    ]


def test_heading_sample_parses_to_exact_segments() -> None:
    """``### Name [time]`` heads every paragraph until the next heading."""
    text = fixture_text("headings.md")
    result = parse_transcript(
        text, participants=["Jane Doe", "Sam Park"], aliases={"Speaker 2": "Sam Park"}
    )
    assert result.format == "markdown"
    assert result.title == "Interview notes"
    assert result.segments == [
        expected(text, "Welcome back.", 5.0, 12.0, "Jane Doe"),
        expected(text, "Thanks. It has been a busy year.", 12.0, None, "Sam Park"),
        expected(text, "Two launches, in fact.", 12.0, None, "Sam Park"),
    ]


def test_a_one_off_section_heading_is_not_a_speaker() -> None:
    """ "## Background" once is a section; its paragraphs have no speaker, and it is not text."""
    text = (
        "**Jane Doe:** Hi.\n\n## Background\n\nSome context nobody said.\n\n**Sam Park:** Hello.\n"
    )
    segs = parse_transcript(text).segments
    assert [(s.text, s.speaker) for s in segs] == [
        ("Hi.", "Jane Doe"),
        ("Some context nobody said.", None),
        ("Hello.", "Sam Park"),
    ]


def test_recurring_single_name_headings_are_speakers() -> None:
    """ "### Jane" heading three turns is a speaker label even though it is one word."""
    text = "### Jane\n\nOne.\n\n### Omar\n\nTwo.\n\n### Jane\n\nThree.\n\n### Omar\n\nFour.\n"
    segs = parse_transcript(text).segments
    assert [s.speaker for s in segs] == ["Jane", "Omar", "Jane", "Omar"]
