"""WebVTT captions: cues, voice tags, inline markup."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from bot.records import Segment
from tests.ingest import assert_exact_slices, expected, fixture_text, span_of

PANEL = ("Nicholas Thompson", "Yann LeCun", "Daphne Koller")


def _segments(
    participants: tuple[str, ...] = (),
    default_speaker: str | None = None,
    aliases: dict[str, str] | None = None,
) -> list[Segment]:
    return parse_transcript(
        fixture_text("captions.vtt"),
        participants=participants,
        default_speaker=default_speaker,
        aliases=aliases,
    ).segments


def test_cue_times_are_read_with_and_without_hours() -> None:
    """``00:01.000 --> 00:04.500`` and ``00:59:58.000 --> 01:00:02.125`` both give seconds."""
    segs = _segments()
    assert (segs[0].start, segs[0].end) == (1.0, 4.5)
    yes = next(s for s in segs if s.text == "Yes.")
    assert (yes.start, yes.end) == (3598.0, 3602.125)


def test_header_note_and_style_blocks_are_not_segments() -> None:
    """Only cue payloads are speech; the header metadata, NOTE and STYLE text are not."""
    joined = " ".join(s.text for s in _segments())
    for noise in ("WEBVTT", "Kind:", "hand-edited", "two lines", "::cue", "intro"):
        assert noise not in joined


def test_cue_settings_are_not_text() -> None:
    """``align:start position:10%`` after the timing belongs to the cue, not the payload."""
    assert not any("align:" in s.text for s in _segments())


def test_voice_tag_gives_the_speaker() -> None:
    """``<v Yann LeCun>`` attributes the following text to Yann LeCun."""
    assert _segments()[0].speaker == "Yann LeCun"
    assert _segments()[0].text == "Open research moves faster."


def test_voice_tag_with_class_is_resolved_through_aliases() -> None:
    """``<v.moderator Nick Thompson>`` is a voice; the alias maps it to the full name."""
    segs = _segments(participants=PANEL, aliases={"Nick Thompson": "Nicholas Thompson"})
    question = next(s for s in segs if s.text == "So you favour")
    assert question.speaker == "Nicholas Thompson"


def test_inline_tags_split_text_into_exact_runs() -> None:
    """``So you favour <i>maximal</i> open source?`` gives three tag-free segments."""
    text = fixture_text("captions.vtt")
    runs = [s for s in parse_transcript(text).segments if s.start == 4.5]
    assert [s.text for s in runs] == ["So you favour", "maximal", "open source?"]
    assert (runs[1].char_start, runs[1].char_end) == span_of(text, "maximal")
    assert_exact_slices(text, runs)


def test_two_voices_in_one_cue_keep_their_own_speakers() -> None:
    """After ``</v>`` a second ``<v …>`` switches speaker inside the same cue."""
    segs = _segments()
    assert next(s for s in segs if s.text == "Yes.").speaker == "Yann LeCun"
    assert next(s for s in segs if s.text == "Not entirely.").speaker == "Daphne Koller"


def test_voice_continues_onto_the_next_payload_line_without_closing_tag() -> None:
    """An unclosed ``<v Daphne Koller>`` still covers the cue's second line."""
    line = next(s for s in _segments() if s.text.startswith("Data "))
    assert line.speaker == "Daphne Koller"


def test_character_references_are_left_as_written() -> None:
    """``&amp;`` is not unescaped, so the text remains an exact slice of the file."""
    assert any(s.text == "Data &amp; compute matter." for s in _segments())


def test_class_and_timestamp_tags_are_dropped_and_no_voice_means_no_speaker() -> None:
    """``<c.loud>`` and ``<00:01:00.500>`` are markup; a cue without a voice has no speaker."""
    last = [s for s in _segments() if s.start == 3602.125]
    assert [s.text for s in last] == ["No voice", "here"]
    assert {s.speaker for s in last} == {None}


def test_no_segment_contains_markup() -> None:
    """No angle-bracket tag survives into segment text."""
    assert not any("<" in s.text or ">" in s.text for s in _segments())


def test_default_speaker_fills_cues_without_a_voice_only() -> None:
    """default_speaker never overrides a ``<v>`` tag."""
    segs = _segments(default_speaker="Narrator")
    assert next(s for s in segs if s.text == "No voice").speaker == "Narrator"
    assert segs[0].speaker == "Yann LeCun"


def test_crlf_captions_parse_to_exact_slices() -> None:
    """A CRLF-saved caption file yields the same texts, each an exact slice."""
    text = fixture_text("captions.vtt").replace("\n", "\r\n")
    result = parse_transcript(text)
    assert result.format == "webvtt"
    assert [s.text for s in result.segments] == [s.text for s in _segments()]
    assert_exact_slices(text, result.segments)


def test_zoom_name_labels_inside_cues_give_the_speaker() -> None:
    """Zoom writes "Name: text" in every cue; one-word display names count there too."""
    text = fixture_text("zoom.vtt")
    result = parse_transcript(text)
    assert result.format == "webvtt"
    assert result.segments == [
        expected(
            text, "Okay, I think everyone is here. Let us get started.", 1.25, 4.1, "Jane Doe"
        ),
        expected(text, "Thanks Jane. I will share my screen in a second.", 4.5, 9.0, "Sam"),
        expected(text, "Sounds good.", 9.2, 12.75, "Jane Doe"),
    ]


def test_zoom_labels_go_through_manifest_aliases() -> None:
    """A display name ("Sam") maps to the participant's full name."""
    text = fixture_text("zoom.vtt")
    segs = parse_transcript(
        text, participants=["Jane Doe", "Sam Park"], aliases={"Sam": "Sam Park"}
    ).segments
    assert [s.speaker for s in segs] == ["Jane Doe", "Sam Park", "Jane Doe"]


def test_teams_voice_tags_with_guid_cue_ids() -> None:
    """Teams transcripts: GUID cue identifiers and <v Name> voices."""
    text = fixture_text("teams.vtt")
    assert parse_transcript(text).segments == [
        expected(text, "Morning, everyone.", 3.12, 6.48, "Jane Doe"),
        expected(text, "Morning. Can you see my slides?", 6.9, 10.02, "Sam Park"),
    ]


def test_a_lone_colon_word_in_captions_is_not_a_speaker() -> None:
    """Outside meeting files, "Note: …" in one cue of many stays text."""
    text = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\nNote: the mic was off.\n\n"
        "00:02.000 --> 00:03.000\nWe are back.\n\n00:03.000 --> 00:04.000\nGood.\n"
    )
    segs = parse_transcript(text).segments
    assert (segs[0].text, segs[0].speaker) == ("Note: the mic was off.", None)
