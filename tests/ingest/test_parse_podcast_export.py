"""Podcast-site exports: header, ``Starting point is HH:MM:SS`` blocks, comments footer."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import assert_exact_slices, fixture_text

MARKER_TIMES = (0.0, 51.0, 83.0)  # 00:00:00, 00:00:51, 00:01:23 in the fixture


def test_one_segment_per_marker_with_start_and_next_marker_as_end() -> None:
    """Each block runs from its marker's time to the next marker's; the last has no end."""
    result = parse_transcript(fixture_text("podcast_export.txt"))
    assert [(s.start, s.end) for s in result.segments] == [
        (MARKER_TIMES[0], MARKER_TIMES[1]),
        (MARKER_TIMES[1], MARKER_TIMES[2]),
        (MARKER_TIMES[2], None),
    ]


def test_marker_text_is_not_part_of_the_segment() -> None:
    """The span runs from the text after ``Starting point is 00:00:00`` to the line's end."""
    text = fixture_text("podcast_export.txt")
    first = parse_transcript(text).segments[0]
    marker = "Starting point is 00:00:00 "
    expected_start = text.index(marker) + len(marker)
    expected_end = text.index("\nStarting point is 00:00:51")
    assert (first.char_start, first.char_end) == (expected_start, expected_end)
    assert first.text.startswith("What if the route to AGI")


def test_header_and_footer_are_not_segments() -> None:
    """Title, episode date, show notes and the comments footer were never said aloud."""
    result = parse_transcript(fixture_text("podcast_export.txt"))
    joined = "\n".join(s.text for s in result.segments)
    for chrome in ("Episode Date", "Show Notes", "Discussion (0)", "There aren't comments yet"):
        assert chrome not in joined


def test_last_block_ends_before_the_footer() -> None:
    """The final block's span stops at its last sentence, not at the end of the file."""
    result = parse_transcript(fixture_text("podcast_export.txt"))
    assert result.segments[-1].text.endswith("Amad, welcome to no priors.")


def test_title_and_iso_date_come_from_the_header() -> None:
    """The first header line is the title and "February 16, 2023" becomes 2023-02-16."""
    result = parse_transcript(fixture_text("podcast_export.txt"))
    assert result.title is not None and result.title.startswith("No Priors:")
    assert result.date == "2023-02-16"


def test_speakers_are_unknown_without_a_default() -> None:
    """The export labels nobody, so no speaker is invented."""
    result = parse_transcript(fixture_text("podcast_export.txt"))
    assert {s.speaker for s in result.segments} == {None}


def test_block_continuing_over_several_lines_is_one_exact_segment() -> None:
    """Text wrapped onto following lines stays in its marker's segment, as an exact slice."""
    text = (
        "Starting point is 00:00:05 First line of the block\n"
        "continues here.\n"
        "Starting point is 00:01:00 Next block.\r\n"
    )
    result = parse_transcript(text)
    assert result.format == "podcast_export"
    assert result.segments[0].text == "First line of the block\ncontinues here."
    assert (result.segments[0].start, result.segments[0].end) == (5.0, 60.0)
    assert_exact_slices(text, result.segments)
