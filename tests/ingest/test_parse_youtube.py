"""YouTube "Show transcript" copy-paste: time line, caption line; no speakers."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import expected, fixture_text


def test_youtube_sample_parses_to_exact_segments() -> None:
    """M:SS, MM:SS and H:MM:SS time lines; each caption ends at the next time."""
    text = fixture_text("youtube.txt")
    result = parse_transcript(text)
    assert result.format == "youtube"
    assert result.segments == [
        expected(text, "hey everyone welcome back to the channel", 0.0, 4.0, None),
        expected(text, "today we're looking at how small language", 4.0, 7.0, None),
        expected(text, "models actually run on a phone", 7.0, 754.0, None),
        expected(text, "and that's the benchmark result", 754.0, 3723.0, None),
        expected(text, "thanks for watching", 3723.0, None, None),
    ]


def test_no_speaker_unless_the_manifest_names_the_one_voice() -> None:
    """Speakers are never guessed; a one-voice video takes the default speaker."""
    text = fixture_text("youtube.txt")
    assert {s.speaker for s in parse_transcript(text).segments} == {None}
    named = parse_transcript(text, default_speaker="Jane Doe").segments
    assert {s.speaker for s in named} == {"Jane Doe"}


def test_screen_reader_time_labels_are_not_speech() -> None:
    """ "2 minutes, 5 seconds" copied after a time line is skipped."""
    text = "0:00\n0 seconds\nhello there\n2:05\n2 minutes, 5 seconds\nand welcome\n"
    segs = parse_transcript(text).segments
    assert segs == [
        expected(text, "hello there", 0.0, 125.0, None),
        expected(text, "and welcome", 125.0, None, None),
    ]
