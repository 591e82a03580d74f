"""Web-page panel transcripts: ``Full Name:`` then initials, header and page chrome around."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from bot.records import ParseResult
from tests.ingest import assert_exact_slices, fixture_text, span_of

PANEL = (
    "Nicholas Thompson",
    "Yann LeCun",
    "Kai-Fu Lee",
    "Daphne Koller",
    "Andrew Ng",
    "Aidan Gomez",
)
ALIASES = {"Nick Thompson": "Nicholas Thompson"}


def _parse(text: str | None = None) -> ParseResult:
    return parse_transcript(
        fixture_text("panel.txt") if text is None else text, participants=PANEL, aliases=ALIASES
    )


def _said(result: ParseResult, start: str) -> tuple[str | None, str]:
    seg = next(s for s in result.segments if s.text.startswith(start))
    return seg.speaker, seg.text


def test_detected_as_panel() -> None:
    """Labelled paragraphs are recognised as a panel from the content."""
    assert _parse().format == "panel"


def test_full_name_label_resolves_through_aliases() -> None:
    """``Nick Thompson:`` becomes the manifest's Nicholas Thompson, label cut from the span."""
    assert _said(_parse(), "Hello, everybody.")[0] == "Nicholas Thompson"


def test_without_aliases_the_label_is_kept_as_written() -> None:
    """No alias → the file's own spelling, never a guess at the manifest's."""
    result = parse_transcript(fixture_text("panel.txt"))
    assert _said(result, "Hello, everybody.")[0] == "Nick Thompson"
    assert _said(result, "Andrew, what do you think?")[0] == "Nick Thompson"


def test_initials_map_to_full_names() -> None:
    """``KFL:``, ``NT:``, ``YL:``, ``DK:``, ``AG:`` resolve to the people they abbreviate."""
    result = _parse()
    assert _said(result, "They will hold, but")[0] == "Kai-Fu Lee"
    assert _said(result, "Andrew, what do you think?")[0] == "Nicholas Thompson"
    assert _said(result, "A machine can.")[0] == "Yann LeCun"
    assert _said(result, "So I'm gonna, since you asked")[0] == "Daphne Koller"
    assert _said(result, "Yeah, I think it's access.")[0] == "Aidan Gomez"


def test_initials_resolve_from_participants_when_no_full_label_precedes() -> None:
    """``AN:`` maps to Andrew Ng from the participants alone."""
    text = "Intro line\n\nAN: Training matters.\n\nKFL: Competition matters.\n\nAN: Agreed.\n"
    result = parse_transcript(text, participants=PANEL)
    assert [s.speaker for s in result.segments] == ["Andrew Ng", "Kai-Fu Lee", "Andrew Ng"]


def test_unlabelled_paragraph_continues_the_previous_speaker() -> None:
    """A paragraph without a label is the last labelled speaker going on."""
    assert _said(_parse(), "We are very late to the game")[0] == "Kai-Fu Lee"
    assert _said(_parse(), "We have an incredible group here.")[0] == "Nicholas Thompson"


def test_sentence_with_a_colon_is_not_a_label() -> None:
    """A sentence like "So the question is: your pen…" stays inside Yann's text."""
    speaker, text = _said(_parse(), "A machine can.")
    assert speaker == "Yann LeCun"
    assert "So the question is: your pen" in text


def test_header_is_not_discussion() -> None:
    """Title, intro paragraph and "Transcript:" come before the first label: no segments."""
    result = _parse()
    joined = "\n".join(s.text for s in result.segments)
    assert "In Davos, I sat down" not in joined
    assert "Transcript:" not in joined
    assert result.title == "WEF Panel - The Expanding Universe of Generative Models"


def test_page_chrome_after_the_discussion_is_dropped() -> None:
    """Commenters, job titles, "11mo", "Like", "Reply" and page links never become segments."""
    joined = "\n".join(s.text for s in _parse().segments)
    for chrome in (
        "Sam Toolan",
        "Ecology & economy",
        "11mo",
        "Great discussion",
        "Leonard Donnelly",
        "To view or add a comment",
        "More articles by",
        "Others also viewed",
        "Explore topics",
    ):
        assert chrome not in joined
    assert not any(s.text in {"Like", "Reply"} for s in _parse().segments)


def test_last_real_paragraph_is_kept() -> None:
    """The moderator's closing line, right before the chrome, is a segment."""
    speaker, text = _said(_parse(), "All right, amazing panel.")
    assert speaker == "Nicholas Thompson"
    assert text.endswith("You're all great.Thanks.")


def test_nbsp_padding_is_outside_spans() -> None:
    """Lines end in NBSP + space; spans stop at the last real character."""
    text = fixture_text("panel.txt")
    result = _parse(text)
    seg = next(s for s in result.segments if s.text == "Beautiful.")
    assert (seg.char_start, seg.char_end) == span_of(text, "Beautiful.")
    assert not any(s.text[-1].isspace() or s.text[0].isspace() for s in result.segments)
    assert_exact_slices(text, result.segments)


def test_unknown_initials_are_a_turn_without_a_speaker() -> None:
    """Initials nobody matches end the previous turn, keep their label, and name no one."""
    text = "Jane Doe: Welcome.\n\nQZ: Who am I?\n\nJD: Back to me.\n"
    segs = parse_transcript(text).segments
    assert [(s.speaker, s.text) for s in segs] == [
        ("Jane Doe", "Welcome."),
        (None, "QZ: Who am I?"),
        ("Jane Doe", "Back to me."),
    ]


def test_label_inside_a_paragraph_starts_a_new_turn() -> None:
    """Speaker lines without blank lines between them are still separate turns."""
    text = "Jane Doe: Hi.\nJohn Roe: Hello.\nJane Doe: Bye.\n"
    segs = parse_transcript(text).segments
    assert [(s.speaker, s.text) for s in segs] == [
        ("Jane Doe", "Hi."),
        ("John Roe", "Hello."),
        ("Jane Doe", "Bye."),
    ]
