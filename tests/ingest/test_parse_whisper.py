"""Whisper-style ``[start --> end]  text`` transcripts."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import assert_exact_slices, fixture_text, span_of


def test_mm_ss_brackets_give_seconds_with_millisecond_precision() -> None:
    """``[00:08.680 --> 00:14.240]`` is read as 8.68 → 14.24 seconds."""
    text = fixture_text("whisper_hour.txt")
    seg = parse_transcript(text).segments[1]
    assert (seg.start, seg.end) == (8.68, 14.24)
    assert seg.text.startswith("And as we go into version 3")


def test_clock_switch_to_hours_keeps_times_increasing() -> None:
    """The MM:SS → HH:MM:SS switch after an hour does not send times back to zero."""
    result = parse_transcript(fixture_text("whisper_hour.txt"))
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts)
    crossing = next(s for s in result.segments if s.text.startswith("I wish that we could"))
    assert (crossing.start, crossing.end) == (3598.32, 3603.36)


def test_hour_timestamp_is_exact() -> None:
    """``[01:17:48.560 --> …]`` starts at exactly 4668.56 s."""
    result = parse_transcript(fixture_text("whisper_hour.txt"))
    seg = next(s for s in result.segments if s.text.startswith("right now and yeah"))
    assert seg.start == 4668.56
    assert seg.end == 4673.78


def test_segment_text_excludes_bracket_and_indent() -> None:
    """The span starts at the first spoken character, after the timestamp and spaces."""
    text = fixture_text("whisper_hour.txt")
    seg = parse_transcript(text).segments[3]
    assert (seg.char_start, seg.char_end) == span_of(text, "data for that?")


def test_turn_marks_split_a_line_into_separate_segments() -> None:
    """Each ``>>`` starts a new segment; both parts keep the line's times and no speaker."""
    text = fixture_text("whisper_turns.txt")
    result = parse_transcript(text)
    first = next(s for s in result.segments if s.text == "Interesting. Was there a second thing?")
    second = next(s for s in result.segments if s.text == "Yeah. So the other thing that we're")
    assert (first.start, first.end) == (second.start, second.end) == (2903.44, 2911.28)
    assert first.speaker is None and second.speaker is None
    assert first.char_end < second.char_start


def test_text_before_first_turn_mark_is_its_own_segment() -> None:
    """A line continuing the previous turn then changing speaker gives two segments."""
    result = parse_transcript(fixture_text("whisper_turns.txt"))
    texts = [s.text for s in result.segments]
    assert "or answering a question fully." in texts
    assert "I'm sorry, how could this help with that?" in texts


def test_no_segment_contains_a_turn_mark() -> None:
    """The ``>>`` marks themselves are never part of the spoken text."""
    result = parse_transcript(fixture_text("whisper_turns.txt"))
    assert not any(">>" in s.text for s in result.segments)


def test_music_tag_alone_is_not_a_segment() -> None:
    """``[MUSIC]`` on its own line describes sound, not speech."""
    result = parse_transcript(fixture_text("whisper_turns.txt"))
    assert not any("MUSIC" in s.text for s in result.segments)
    assert result.segments[0].start == 2.0


def test_default_speaker_applies_to_every_line() -> None:
    """A one-speaker recording attributes every line to the manifest's default speaker."""
    result = parse_transcript(fixture_text("whisper_hour.txt"), default_speaker="Emad Mostaque")
    assert {s.speaker for s in result.segments} == {"Emad Mostaque"}


def test_turn_marks_with_a_default_speaker_are_warned_about() -> None:
    """A ``>>`` in a file said to have one speaker is reported, not silently trusted."""
    result = parse_transcript(fixture_text("whisper_turns.txt"), default_speaker="Someone")
    assert any(">>" in w for w in result.warnings)


def test_crlf_file_keeps_exact_slices_without_carriage_returns() -> None:
    """CRLF line endings stay in the text and never leak into a segment."""
    text = fixture_text("whisper_turns.txt").replace("\n", "\r\n")
    result = parse_transcript(text)
    assert result.format == "whisper"
    assert_exact_slices(text, result.segments)
    assert not any("\r" in s.text for s in result.segments)


def test_untimed_line_is_kept_and_reported() -> None:
    """A stray line without brackets is still indexed (no times) and flagged in warnings."""
    text = "[00:01.000 --> 00:02.000]  Hello there.\nstray words\n[00:02.000 --> 00:03.000]  Bye.\n"
    result = parse_transcript(text)
    stray = next(s for s in result.segments if s.text == "stray words")
    assert stray.start is None and stray.end is None
    assert result.warnings
