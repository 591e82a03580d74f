"""Podcasting 2.0 JSON transcripts: bodies located in the file, escapes kept, times as numbers."""

from __future__ import annotations

import json

from bot.ingest.parse import parse_transcript
from tests.ingest import assert_exact_slices, expected, fixture_text


def test_sample_parses_to_exact_segments() -> None:
    """Every body is one segment (split at an escaped line break) with its speaker and times."""
    text = fixture_text("podcast.json")
    result = parse_transcript(text)
    assert result.format == "podcast_json"
    assert result.segments == [
        expected(
            text,
            "Welcome back to Open Weights, the show about models you can run yourself.",
            0.0,
            4.25,
            "Jane Doe",
        ),
        expected(text, "Thanks, Jane. Glad to be here.", 4.25, 9.5, "Speaker 1"),
        expected(text, "Let's start with phones.", 9.5, 15.125, "Jane Doe"),
        expected(text, "How small can a useful model get?", 9.5, 15.125, "Jane Doe"),
        expected(text, "[laughter] It\\u2019s smaller than you think.", 15.125, 18.0, None),
    ]


def test_escapes_other_than_line_breaks_are_kept_and_reported() -> None:
    """``\\u2019`` stays as written (the slice must hold) and the warning says how to re-save."""
    result = parse_transcript(fixture_text("podcast.json"))
    assert any("--no-ensure-ascii" in w for w in result.warnings)


def test_generic_label_maps_through_the_manifest_table() -> None:
    """``speakers = {"Speaker 1" = "Sam Park"}`` reaches the parser as a label correction."""
    text = fixture_text("podcast.json")
    result = parse_transcript(
        text, participants=["Jane Doe", "Sam Park"], aliases={"Speaker 1": "Sam Park"}
    )
    assert [s.speaker for s in result.segments][:2] == ["Jane Doe", "Sam Park"]
    assert not any("generic speaker" in w for w in result.warnings)


def test_unmapped_generic_label_is_kept_with_a_warning() -> None:
    """Speaker 1 stays Speaker 1 (a label, not a guess) and the user is told how to name it."""
    result = parse_transcript(fixture_text("podcast.json"))
    assert any('speakers = { "Speaker 1" = "Full Name" }' in w for w in result.warnings)


def test_broken_json_is_refused_with_its_place_not_indexed_as_prose() -> None:
    """A truncated export gives no segments and a warning naming line and column."""
    text = fixture_text("podcast.json")[:300]
    result = parse_transcript(text)
    assert result.format == "podcast_json"
    assert result.segments == []
    assert any("not valid JSON (line" in w for w in result.warnings)


def test_bad_times_are_dropped_not_invented() -> None:
    """Strings, booleans, negatives and a reversed end give no time, and a warning."""
    doc = {
        "segments": [
            {"startTime": "1.0", "endTime": 2, "body": "a"},
            {"startTime": True, "body": "b"},
            {"startTime": 5, "endTime": 3, "body": "c"},
            {"startTime": -1, "body": "d"},
        ]
    }
    text = json.dumps(doc)
    segs = parse_transcript(text).segments
    assert [(s.text, s.start, s.end) for s in segs] == [
        ("a", None, 2.0),
        ("b", None, None),
        ("c", 5.0, None),
        ("d", None, None),
    ]
    assert any("time" in w for w in parse_transcript(text).warnings)


def test_non_object_segments_and_missing_bodies_are_skipped() -> None:
    """Only segment objects with a string body become segments; the rest are counted."""
    text = json.dumps({"segments": [1, None, {"body": 3}, {"speaker": "A"}, {"body": "ok"}]})
    result = parse_transcript(text)
    assert [s.text for s in result.segments] == ["ok"]
    assert any("4 segment(s) without a text body" in w for w in result.warnings)


def test_deeply_nested_json_is_a_warning_not_a_crash() -> None:
    """Nesting past the recursion limit is reported like any other broken JSON."""
    text = '{"segments": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    result = parse_transcript(text)
    assert result.segments == []
    assert any("nested too deeply" in w for w in result.warnings)


def test_unicode_unescaped_bodies_are_clean_text() -> None:
    """A file saved without ASCII escaping has bodies exactly as spoken."""
    doc = {
        "segments": [{"speaker": "Zoë", "startTime": 0, "endTime": 1, "body": "Grüße — «ça va»"}]
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    result = parse_transcript(text)
    assert [s.text for s in result.segments] == ["Grüße — «ça va»"]
    assert not result.warnings
    assert_exact_slices(text, result.segments)


def test_an_absurdly_long_speaker_is_not_a_name() -> None:
    """A 10,000-character "speaker" is ignored with a warning instead of cited on every line."""
    text = json.dumps({"segments": [{"speaker": "A" * 10_000, "body": "hi"}]})
    result = parse_transcript(text)
    assert [(s.text, s.speaker) for s in result.segments] == [("hi", None)]
    assert any("over 100 characters" in w for w in result.warnings)
