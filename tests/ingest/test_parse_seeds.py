"""The five real seed transcripts, parsed with their manifest entries."""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import pytest

from bot.ingest.manifest import load_manifest
from bot.ingest.parse import detect_format, parse_transcript
from bot.ingest.read import read_transcript
from bot.records import ParseResult
from tests.ingest import SEEDS, assert_exact_slices, seed_path

EXPECTED_FORMAT = {
    "000": "podcast_export",
    "001": "notes",
    "002": "whisper",
    "003": "whisper",
    "004": "panel",
}


@cache
def _seed(prefix: str) -> tuple[str, ParseResult]:
    path = seed_path(prefix)
    text = read_transcript(path, max_bytes=10 * 1024 * 1024)
    meta = load_manifest(SEEDS)[path.name]
    result = parse_transcript(
        text,
        participants=meta.participants,
        default_speaker=meta.default_speaker,
        aliases=meta.aliases,
    )
    return text, result


@pytest.mark.parametrize("prefix", sorted(EXPECTED_FORMAT))
def test_format_is_detected_from_content(prefix: str) -> None:
    """Every seed is a .txt, yet each is read as its real format."""
    text, result = _seed(prefix)
    assert detect_format(text) == EXPECTED_FORMAT[prefix]
    assert result.format == EXPECTED_FORMAT[prefix]


@pytest.mark.parametrize("prefix", sorted(EXPECTED_FORMAT))
def test_every_segment_is_an_exact_slice_of_the_file(prefix: str) -> None:
    """The citation invariant holds for every segment of every seed."""
    text, result = _seed(prefix)
    assert result.segments
    assert_exact_slices(text, result.segments)


@pytest.mark.parametrize("prefix", sorted(EXPECTED_FORMAT))
def test_segments_are_in_file_order_and_do_not_overlap(prefix: str) -> None:
    """Segments follow the file and never share characters."""
    _, result = _seed(prefix)
    spans = [(s.char_start, s.char_end) for s in result.segments]
    assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_podcast_export_has_one_segment_per_marker_and_no_header() -> None:
    """000: as many segments as "Starting point is" markers; header text never indexed."""
    text, result = _seed("000")
    assert len(result.segments) == text.count("\nStarting point is ")
    assert not any("Episode Date" in s.text or "comments yet" in s.text for s in result.segments)
    assert result.date == "2023-02-16"


def test_podcast_export_times_chain_marker_to_marker() -> None:
    """000: each segment ends where the next one starts; the last has no end."""
    _, result = _seed("000")
    segs = result.segments
    assert all(a.end == b.start for a, b in pairwise(segs))
    assert segs[-1].end is None


def test_whisper_hour_switch_keeps_times_monotonic() -> None:
    """002: starts never go backwards across the MM:SS → HH:MM:SS switch."""
    _, result = _seed("002")
    starts = [s.start for s in result.segments if s.start is not None]
    assert len(starts) == len(result.segments)
    assert starts == sorted(starts)
    assert max(starts) > 3600


def test_whisper_known_line_after_the_hour() -> None:
    """002: the line stamped 01:17:48.560 starts at 4668.56 s."""
    _, result = _seed("002")
    seg = next(s for s in result.segments if s.text.startswith("right now and yeah, I am not good"))
    assert seg.start == 4668.56


def test_one_speaker_recording_is_attributed_to_its_default_speaker() -> None:
    """002: the manifest's default speaker covers every line."""
    _, result = _seed("002")
    assert {s.speaker for s in result.segments} == {"Emad Mostaque"}


def test_turn_marked_lines_are_split_and_unattributed() -> None:
    """003: one segment per ``>>``-separated utterance, none with a speaker or a sound tag."""
    text, result = _seed("003")
    utterances = [
        part
        for line in text.splitlines()
        if "-->" in line
        for part in line.split("]", 1)[1].split(">>")
        if part.strip() and part.strip() != "[MUSIC]"
    ]
    assert [s.text for s in result.segments] == [u.strip() for u in utterances]
    assert sum(">>" in line for line in text.splitlines()) > 0
    assert {s.speaker for s in result.segments} == {None}


def test_panel_initials_map_to_full_names() -> None:
    """004: every segment is attributed to one of the six panellists by full name."""
    _, result = _seed("004")
    assert {s.speaker for s in result.segments} == {
        "Nicholas Thompson",
        "Yann LeCun",
        "Kai-Fu Lee",
        "Daphne Koller",
        "Andrew Ng",
        "Aidan Gomez",
    }


def test_panel_chrome_is_absent_and_the_closing_line_is_kept() -> None:
    """004: no comment or button text is indexed; "You're all great" is the last segment."""
    _, result = _seed("004")
    for seg in result.segments:
        assert seg.text not in {"Like", "Reply", "11mo"}
        assert "Leonard Donnelly" not in seg.text
        assert "sign in" not in seg.text
    assert "You're all great" in result.segments[-1].text
    assert result.segments[-1].speaker == "Nicholas Thompson"


def test_panel_labels_are_cut_from_spans() -> None:
    """004: no segment still starts with a speaker label."""
    _, result = _seed("004")
    labels = ("NT:", "KFL:", "YL:", "DK:", "AN:", "AG:", "Nick Thompson:", "Yann LeCun:")
    assert not any(s.text.startswith(labels) for s in result.segments)


def test_notes_bullets_excluded_and_guest_is_not_a_speaker() -> None:
    """001: no segment starts with a bullet; the "Guest:" line has no speaker."""
    _, result = _seed("001")
    assert not any(s.text[0] in "-–—" for s in result.segments)
    guest = next(s for s in result.segments if s.text.startswith("Guest:"))
    assert guest.speaker is None


def test_notes_speakers_come_only_from_participant_labels() -> None:
    """001: the only speakers are participants named by a "Name:" label."""
    _, result = _seed("001")
    speakers = {s.speaker for s in result.segments} - {None}
    assert speakers == {"Aarthi Ramamurthy", "Elad Gil"}
