"""Detection confusion: every sample, fixture and seed is read as exactly its own format.

Each format's detector is also run on every other format's sample: none but its own may claim
it, so a file is never read one way because of the order the formats happen to be tried in. The
two last-resort readings are the exception: notes (one idea per line) and plain paragraphs claim
most line-shaped text by design, which is why they come last in the order.
"""

from __future__ import annotations

import pytest

from bot.ingest.formats.names import Names
from bot.ingest.formats.protocol import CLAIM, Sample
from bot.ingest.manifest import load_manifest
from bot.ingest.parse import FORMAT_NAMES, FORMATS, detect_format, parse_transcript
from bot.ingest.read import read_transcript
from tests.ingest import SEEDS, fixture_text, seed_path

FIXTURES = {
    "podcast.json": "podcast_json",
    "otter.txt": "otter",
    "descript.txt": "otter",
    "rev.txt": "rev",
    "youtube.txt": "youtube",
    "zoom.vtt": "webvtt",
    "teams.vtt": "webvtt",
    "interview.md": "markdown",
    "headings.md": "markdown",
    "captions.vtt": "webvtt",
    "dialogue.srt": "srt",
    "essay.txt": "plain",
    "notes.txt": "notes",
    "panel.txt": "panel",
    "podcast_export.txt": "podcast_export",
    "whisper_hour.txt": "whisper",
    "whisper_turns.txt": "whisper",
}
SEED_FORMATS = {
    "000": "podcast_export",
    "001": "notes",
    "002": "whisper",
    "003": "whisper",
    "004": "panel",
}


def _seed(prefix: str) -> tuple[str, Names]:
    path = seed_path(prefix)
    meta = load_manifest(SEEDS)[path.name]
    return read_transcript(path, max_bytes=10 << 20), Names(meta.participants, meta.name_map)


def _cases() -> list[tuple[str, str, Names]]:
    cases = [(fixture_text(name), fmt, Names()) for name, fmt in FIXTURES.items()]
    for prefix, fmt in SEED_FORMATS.items():
        text, names = _seed(prefix)
        cases.append((text, fmt, names))
    return cases


LAST_RESORT = {"notes", "plain"}
IDS = [*FIXTURES, *(f"seed {p}" for p in SEED_FORMATS)]


def test_every_format_has_a_sample_here() -> None:
    """Adding a format without a confusion sample fails this test."""
    assert set(FORMAT_NAMES) == set(FIXTURES.values())


@pytest.mark.parametrize(("text", "fmt", "names"), _cases(), ids=IDS)
def test_detected_as_its_own_format(text: str, fmt: str, names: Names) -> None:
    """The whole pipeline reads the file as its format, with full confidence."""
    result = parse_transcript(text, participants=names.participants)
    assert detect_format(text, participants=names.participants) == fmt
    assert result.format == fmt
    if fmt != "plain":
        assert result.confidence is not None and result.confidence >= 0.8
        assert not any("format uncertain" in w for w in result.warnings)


@pytest.mark.parametrize(("text", "fmt", "names"), _cases(), ids=IDS)
def test_no_other_format_claims_it(text: str, fmt: str, names: Names) -> None:
    """Order-independent: no other detector (last resorts aside) scores a claim on this file."""
    sample = Sample(text, names)
    claims = {f.name for f in FORMATS if f.name not in LAST_RESORT and f.detect(sample) >= CLAIM}
    assert claims <= {fmt}


def test_plain_prose_with_a_near_miss_names_the_closest_format() -> None:
    """One Rev label in many paragraphs: read as plain, with a warning saying what Rev needs."""
    text = (
        "Jane Doe (00:00:01):\nHello.\n\nSome prose.\n\nMore prose here.\n\n"
        "Still more prose.\n\nAnd an ending.\n"
    )
    result = parse_transcript(text)
    assert result.format == "plain"
    (hint,) = [w for w in result.warnings if "format uncertain" in w]
    assert "closest is rev" in hint and "Name (00:01:02):" in hint


def test_a_weak_claim_is_reported_as_uncertain() -> None:
    """Half the paragraphs labelled the Rev way: read as Rev, with a warning."""
    text = "A B (00:01):\nOne.\n\nLoose paragraph.\n\nC D (00:05):\nTwo.\n\nAnother loose one.\n"
    result = parse_transcript(text)
    assert result.format == "rev"
    assert any("format uncertain: read as rev" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("text", "closest"),
    [
        ("Jane Doe  0:03\nHello there.\n\nSome prose.\n\nMore.\n\nAnd more.\n", "otter"),
        ("0:00\nhello there\n\nSome prose.\n\nMore prose.\n\nAnd more.\n", "youtube"),
    ],
)
def test_a_single_header_is_named_as_the_closest_format(text: str, closest: str) -> None:
    """One header is not enough to claim a file, but the warning still points at the format."""
    result = parse_transcript(text)
    assert result.format == "plain"
    assert any(f"closest is {closest}" in w for w in result.warnings)
