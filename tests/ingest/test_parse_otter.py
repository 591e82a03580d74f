"""Otter.ai / Descript exports: "Name  0:03" lines, then the paragraph."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import expected, fixture_text


def test_otter_sample_parses_to_exact_segments() -> None:
    """Speakers and times from each header; ends chain to the next header; footer dropped."""
    text = fixture_text("otter.txt")
    result = parse_transcript(text)
    assert result.format == "otter"
    assert result.segments == [
        expected(
            text,
            "Welcome back to Open Weights. Today I'm joined by Sam Park, who trains small "
            "models for phones.",
            3.0,
            11.0,
            "Jane Doe",
        ),
        expected(
            text,
            "Thanks for having me. The short version is that a two billion parameter model\n"
            "now runs comfortably on a mid-range handset.",
            11.0,
            24.0,
            "Sam Park",
        ),
        expected(text, "Sorry, can you hear me now?", 24.0, 760.0, None),
        expected(text, "We met at 10:30 the day the weights came out.", 760.0, 3723.0, "Speaker 3"),
        expected(text, "That's all for today.", 3723.0, None, "Jane Doe"),
    ]


def test_descript_single_space_and_hours_clock() -> None:
    """``Jane Doe 00:01:12``: one space and an HH:MM:SS clock read the same way."""
    text = fixture_text("descript.txt")
    result = parse_transcript(text)
    assert result.format == "otter"
    assert result.segments == [
        expected(
            text,
            "So the question everyone asks is whether the quality holds up.",
            1.0,
            72.0,
            "Jane Doe",
        ),
        expected(text, "It holds up for summarising. For code, not yet.", 72.0, None, "Sam Park"),
    ]


def test_manifest_aliases_and_speakers_table_apply() -> None:
    """An ASR spelling goes through aliases, a generic label through the speakers table."""
    text = fixture_text("otter.txt")
    result = parse_transcript(
        text,
        participants=["Jane Doe", "Samuel Park", "Lee Chen"],
        aliases={"Sam Park": "Samuel Park", "Speaker 3": "Lee Chen"},
    )
    assert [s.speaker for s in result.segments] == [
        "Jane Doe",
        "Samuel Park",
        None,
        "Lee Chen",
        "Jane Doe",
    ]


def test_sentence_ending_in_a_time_is_not_a_header() -> None:
    """A lower-case line ending with a clock stays text of the current turn."""
    text = "Jane Doe  0:01\nHello.\n\nSam Park  0:05\nand we met at 10:30\n"
    segs = parse_transcript(text).segments
    assert [(s.text, s.speaker) for s in segs] == [
        ("Hello.", "Jane Doe"),
        ("and we met at 10:30", "Sam Park"),
    ]


def test_title_before_the_first_header_is_not_speech() -> None:
    """A title line is reported, not indexed or attributed."""
    text = "Weekly sync\n\nJane Doe  0:01\nHello.\n\nSam Park  0:05\nHi.\n"
    result = parse_transcript(text)
    assert result.title == "Weekly sync"
    assert [s.text for s in result.segments] == ["Hello.", "Hi."]
    assert any("before the first speaker line" in w for w in result.warnings)


def test_a_long_capitalised_line_ending_in_a_time_is_not_a_header() -> None:
    """Six long capitalised words and a clock are a sentence, not a speaker."""
    long_name = " ".join(["Supercalifragilisticexpialidocious"] * 3)
    text = f"Jane Doe  0:01\nHello.\n\nSam Park  0:05\n{long_name} 10:30\n"
    segs = parse_transcript(text).segments
    assert segs[-1].speaker == "Sam Park"
    assert segs[-1].text == f"{long_name} 10:30"
