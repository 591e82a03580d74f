"""SubRip subtitles: numbered cues, comma timings, optional name labels."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import assert_exact_slices, fixture_text, span_of


def test_comma_timings_become_seconds() -> None:
    """``01:02:03,004 --> 01:02:04,500`` is 3723.004 → 3724.5 seconds."""
    segs = parse_transcript(fixture_text("dialogue.srt")).segments
    assert (segs[0].start, segs[0].end) == (1.0, 3.2)
    assert (segs[-1].start, segs[-1].end) == (3723.004, 3724.5)


def test_cue_numbers_and_timing_lines_are_not_text() -> None:
    """Index lines and ``-->`` lines never appear in segments."""
    texts = [s.text for s in parse_transcript(fixture_text("dialogue.srt")).segments]
    assert not any("-->" in t or t.isdigit() for t in texts)


def test_name_label_gives_speaker_and_is_cut_from_the_span() -> None:
    """``Daphne Koller: Biology…`` → speaker Daphne Koller, text without the label."""
    text = fixture_text("dialogue.srt")
    first = parse_transcript(text).segments[0]
    assert first.speaker == "Daphne Koller"
    assert (first.char_start, first.char_end) == span_of(text, "Biology is the next frontier.")


def test_label_speaker_does_not_carry_into_the_next_cue() -> None:
    """A label names the speaker of its own cue only; the next cue is unattributed."""
    second = parse_transcript(fixture_text("dialogue.srt")).segments[1]
    assert second.text == "Applause continues"
    assert second.speaker is None


def test_word_before_a_colon_that_is_not_a_name_stays_in_the_text() -> None:
    """``Note: this is not a name.`` is not a speaker label."""
    segs = parse_transcript(fixture_text("dialogue.srt")).segments
    note = next(s for s in segs if "not a name" in s.text)
    assert note.text == "Note: this is not a name."
    assert note.speaker is None


def test_italic_tags_and_dialogue_dash_are_outside_the_spans() -> None:
    """``<i>…</i>`` markup and a leading ``- `` are not part of the spoken text."""
    texts = [s.text for s in parse_transcript(fixture_text("dialogue.srt")).segments]
    assert "Applause continues" in texts
    assert "Second line of the same cue." in texts


def test_crlf_srt_keeps_exact_slices() -> None:
    """The fixture is CRLF; every segment is still an exact slice without a carriage return."""
    text = fixture_text("dialogue.srt")
    assert "\r\n" in text
    segs = parse_transcript(text).segments
    assert_exact_slices(text, segs)
    assert not any("\r" in s.text for s in segs)


def test_participant_first_name_label_resolves_to_full_name() -> None:
    """``Daphne: …`` resolves to the participant Daphne Koller."""
    text = "1\n00:00:01,000 --> 00:00:02,000\nDaphne: Short answer.\n"
    seg = parse_transcript(text, participants=["Daphne Koller"]).segments[0]
    assert (seg.speaker, seg.text) == ("Daphne Koller", "Short answer.")
