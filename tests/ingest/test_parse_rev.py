"""Rev transcripts: "Speaker Name (00:01:02):" then the turn."""

from __future__ import annotations

from bot.ingest.parse import parse_transcript
from tests.ingest import expected, fixture_text


def test_rev_sample_parses_to_exact_segments() -> None:
    """Text on the label's line or below it; generic and titled names kept as labelled."""
    text = fixture_text("rev.txt")
    result = parse_transcript(text)
    assert result.format == "rev"
    assert result.segments == [
        expected(
            text,
            "Good morning, everyone, and welcome to the quarterly research review.",
            2.0,
            9.0,
            "Speaker 1",
        ),
        expected(
            text,
            "Thank you. I'll start with the evaluation results, because they surprised us.",
            9.0,
            75.0,
            "Dr. Maria Lopez",
        ),
        expected(text, "Before we move on, how big was the test set?", 75.0, 3723.0, "Speaker 1"),
        expected(
            text,
            "About four thousand questions, drawn from support tickets.\n"
            "None of them were seen in training.",
            3723.0,
            None,
            "Dr. Maria Lopez",
        ),
    ]


def test_speakers_table_names_the_generic_label() -> None:
    """``Speaker 1`` → the manifest's name; the Dr. label resolves through an alias."""
    text = fixture_text("rev.txt")
    segs = parse_transcript(
        text,
        participants=["Ravi Shah", "Maria Lopez"],
        aliases={"Speaker 1": "Ravi Shah", "Dr. Maria Lopez": "Maria Lopez"},
    ).segments
    assert [s.speaker for s in segs] == ["Ravi Shah", "Maria Lopez", "Ravi Shah", "Maria Lopez"]


def test_minutes_only_clock_and_crlf() -> None:
    """``(00:05)`` is read as minutes:seconds, and CRLF files keep exact slices."""
    text = "Jane Doe (00:05):\r\nHello there.\r\n\r\nSam Park (01:10):\r\nHi.\r\n"
    segs = parse_transcript(text).segments
    assert segs == [
        expected(text, "Hello there.", 5.0, 70.0, "Jane Doe"),
        expected(text, "Hi.", 70.0, None, "Sam Park"),
    ]


def test_times_going_backwards_are_reported_and_not_used_as_ends() -> None:
    """A pasted-together file: the backwards time gives no end and a warning."""
    text = "A B (00:10):\nOne.\n\nC D (00:05):\nTwo.\n"
    result = parse_transcript(text)
    assert [(s.start, s.end) for s in result.segments] == [(10.0, None), (5.0, None)]
    assert any("backwards" in w for w in result.warnings)
