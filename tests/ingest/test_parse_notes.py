"""Listener notes: one idea per line, mixed bullets, occasional ``Name:`` attributions."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from bot.records import ParseResult
from tests.ingest import assert_exact_slices, fixture_text, span_of

HOSTS = ("Aarthi Ramamurthy", "Sriram Krishnan", "Elad Gil", "Sarah Guo")


def _parse(**kwargs: str) -> ParseResult:
    return parse_transcript(fixture_text("notes.txt"), participants=HOSTS, **kwargs)


def test_detected_as_notes_even_with_first_name_labels() -> None:
    """A few "Aarthi:" lines among one-idea lines do not make the notes a panel."""
    assert _parse().format == "notes"


def test_one_segment_per_line_without_times() -> None:
    """Each non-empty line is one segment and notes carry no times."""
    result = _parse()
    assert [s.text for s in result.segments][:2] == [
        "Guest: Cristobal Valenzuela, founder of RunwayML",
        "From Chile",
    ]
    assert {(s.start, s.end) for s in result.segments} == {(None, None)}


def test_bullet_markers_are_outside_the_span() -> None:
    """``-``, ``–`` and ``—`` bullets, with or without a space, are not part of the text."""
    text = fixture_text("notes.txt")
    result = _parse()
    seg = next(s for s in result.segments if s.text.startswith("trained a model"))
    expected = span_of(text, "trained a model to recognize backgrounds")
    assert (seg.char_start, seg.char_end) == expected
    assert any(s.text.startswith("first feature was very slow") for s in result.segments)
    assert not any(s.text[0] in "-–—" for s in result.segments)


def test_bullet_alone_gives_no_segment() -> None:
    """A line holding only "–" has nothing to index."""
    assert all(s.text.strip("–-— ") for s in _parse().segments)


def test_participant_label_sets_speaker_of_that_line_only() -> None:
    """``Aarthi: …`` is Aarthi's; the next line has no speaker again."""
    segs = _parse().segments
    i = next(i for i, s in enumerate(segs) if s.text == "“Your own personal Jarvis”")
    assert segs[i].speaker == "Aarthi Ramamurthy"
    assert segs[i + 1].speaker is None


def test_heading_words_are_not_speakers() -> None:
    """``Guest:`` is not a person: the line keeps its label text and has no speaker."""
    guest = _parse().segments[0]
    assert guest.speaker is None
    assert guest.text.startswith("Guest:")


def test_bare_name_heading_is_not_a_segment() -> None:
    """``Sriram:`` alone is a heading, not something said; it attributes nothing."""
    segs = _parse().segments
    assert not any(s.text.startswith("Sriram") for s in segs)
    assert "Sriram Krishnan" not in {s.speaker for s in segs}


def test_label_not_matching_participants_gives_no_speaker() -> None:
    """Without participants, ``Elad:`` is not known to be anyone and stays text."""
    segs = parse_transcript(fixture_text("notes.txt")).segments
    elad = next(s for s in segs if "cryptography" in s.text)
    assert elad.speaker is None


def test_default_speaker_fills_unlabelled_lines_but_not_labelled_ones() -> None:
    """default_speaker never replaces a participant label."""
    segs = _parse(default_speaker="Sarah Guo").segments
    assert segs[1].speaker == "Sarah Guo"
    assert next(s for s in segs if "cryptography" in s.text).speaker == "Elad Gil"


def test_notes_are_exact_slices() -> None:
    """Curly quotes and dashes do not disturb the slice invariant."""
    text = fixture_text("notes.txt")
    assert_exact_slices(text, _parse().segments)
