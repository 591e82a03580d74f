"""Format detection from content alone, and the public parse entry point's contract."""

from __future__ import annotations

import pytest

from bot.ingest.parse import FORMAT_NAMES, detect_format, parse_transcript
from tests.ingest import fixture_text


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("captions.vtt", "webvtt"),
        ("dialogue.srt", "srt"),
        ("essay.txt", "plain"),
        ("notes.txt", "notes"),
        ("panel.txt", "panel"),
        ("podcast_export.txt", "podcast_export"),
        ("whisper_hour.txt", "whisper"),
        ("whisper_turns.txt", "whisper"),
    ],
)
def test_each_fixture_is_detected_as_its_format(fixture: str, expected: str) -> None:
    """Detection looks at the text, whatever the file is called."""
    assert detect_format(fixture_text(fixture)) == expected


def test_vtt_header_after_a_bom_and_blank_lines_is_still_webvtt() -> None:
    """A BOM or leading blank lines before ``WEBVTT`` do not hide the header."""
    assert detect_format("\ufeff\n\nWEBVTT\n\n00:01.000 --> 00:02.000\nHi\n") == "webvtt"


def test_cues_without_a_webvtt_header_are_still_captions() -> None:
    """Dot-millisecond cue timings with no header are read as WebVTT cues, not prose."""
    text = "1\n00:00:01.000 --> 00:00:02.000\nHello.\n\n2\n00:00:02.000 --> 00:00:03.000\nBye.\n"
    result = parse_transcript(text)
    assert result.format == "webvtt"
    assert [s.text for s in result.segments] == ["Hello.", "Bye."]


def test_first_name_labels_need_participants_to_count_as_a_panel() -> None:
    """Paragraphs labelled "Yann: …" are a panel once the manifest says who Yann is."""
    text = "Yann: Open wins.\n\nDaphne: Data wins.\n\nYann: Both, then.\n\nDaphne: Agreed.\n"
    assert detect_format(text) != "panel"
    assert detect_format(text, participants=["Yann LeCun", "Daphne Koller"]) == "panel"


def test_hard_wrapped_prose_is_not_notes() -> None:
    """Lines that start mid-sentence are wrapped prose, not one idea per line."""
    text = (
        "The panel agreed that open models\n"
        "would matter more than most people\n"
        "expect, though they differed on\n"
        "how quickly and for whom.\n"
    )
    assert detect_format(text) == "plain"


def test_empty_text_is_plain_with_no_segments() -> None:
    """Nothing to parse gives no segments and a warning, not an exception."""
    result = parse_transcript("")
    assert result.format in FORMAT_NAMES
    assert result.segments == []
    assert result.warnings


def test_every_result_format_is_a_known_name() -> None:
    """parse_transcript only reports the documented format names."""
    for name in ("captions.vtt", "dialogue.srt", "essay.txt", "notes.txt", "panel.txt"):
        assert parse_transcript(fixture_text(name)).format in FORMAT_NAMES
