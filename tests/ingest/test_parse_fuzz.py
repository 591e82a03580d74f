"""Every format's parser on hostile input: never an exception, exact slices, linear time.

Fuzzing goes three ways: arbitrary text, random bytes through ``read_transcript`` (whose
``IngestError`` is the one allowed outcome besides a parse), and a "token soup" built from every
format's syntax, which reaches the branches arbitrary text never hits. Linearity is a
doubled-input ratio of CPU time on inputs built to make a careless regex or a nested loop
backtrack; a linear parser doubles, a quadratic one quadruples.
"""

from __future__ import annotations

import tempfile
import time
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest.formats.protocol import Format, Sample
from bot.ingest.parse import FORMATS, parse_transcript
from bot.ingest.read import IngestError, read_transcript
from tests.ingest import assert_exact_slices

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every CI run; raise max_examples to explore
)
TOKENS = [
    *("\n", "\n\n", "\r\n", " ", "  ", "\t", "\u00a0", "\ufeff", "\u200b", "\x00", "\x1b[31m"),
    *("WEBVTT", "-->", " --> ", "00:00:01.000", "00:00:01,000", "[00:01.000 --> 00:02.000]"),
    *("Starting point is 00:01:02", "0:00", "12:34", "1:02:03", "[00:12:34]", "(00:01:02):"),
    *("Jane Doe", "Speaker 1", "Unknown Speaker", "KFL", ":", ": ", "**", "### ", "# ", "##"),
    *("<v Jane Doe>", "</v>", "<i>", "{", "}", "[", "]", '"segments": [', '"body": "', '"', "\\"),
    *('{"speaker": "A", "startTime": 1, "endTime": 2, "body": "x\\n y"}', ",", "- ", "•"),
    *("hello", "World.", "é", "中", "\u202e", "Transcribed by https://otter.ai", "2 seconds"),
]
SOUP = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
IDS = [f.name for f in FORMATS]


def _check(fmt: Format, text: str) -> None:
    result = fmt.parse(text)
    assert result.format == fmt.name
    assert_exact_slices(text, result.segments)
    spans = sorted((s.char_start, s.char_end) for s in result.segments)
    assert all(a[1] <= b[0] for a, b in pairwise(spans)), "segments overlap"
    assert 0.0 <= fmt.detect(Sample(text)) <= 1.0


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@FUZZ
@given(text=st.text())
def test_arbitrary_text(fmt: Format, text: str) -> None:
    _check(fmt, text)


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@FUZZ
@given(text=SOUP)
def test_token_soup(fmt: Format, text: str) -> None:
    _check(fmt, text)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_parsed_or_refused_in_one_line(data: bytes) -> None:
    """Through the real reader: a one-line IngestError or a result with exact slices."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.txt"
        path.write_bytes(data)
        try:
            text = read_transcript(path, max_bytes=1 << 20)
        except IngestError as exc:
            assert "\n" not in str(exc)
            return
    result = parse_transcript(text)
    assert_exact_slices(text, result.segments)


# Inputs that make a backtracking regex or a rescanning loop blow up: near-miss headers,
# one huge line of syntax characters, deep JSON, thousands of unclosed labels.
HOSTILE = {
    "near-miss headers": lambda n: "Jane Jane Jane Jane Jane Jane Jane Jane 0:0\n" * n,
    "one long line": lambda n: "Aa (" * (8 * n),
    "bold markers": lambda n: "**" * (8 * n) + "\n",
    "heading words": lambda n: "### " + "Word " * (8 * n) + "\n",
    "unclosed brackets": lambda n: "[00:00" * (8 * n),
    "time lines": lambda n: "0:00\nx\n" * n,
    "cue labels": lambda n: "00:00.000 --> 00:01.000\nA: b c: d\n\n" * n,
    "json bodies": lambda n: (
        '{"segments": ['
        + '{"speaker": "A B", "startTime": 1, "body": "x\\n\\u2019y"},' * n
        + "{}]}"
    ),
    "json one long string": lambda n: '{"segments": [{"body": "' + "a\\\\" * (8 * n) + '"}]}',
    "labels without text": lambda n: "Jane Doe:\n" * n,
}


def _cpu(fn, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        fn(text)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_parsing_time_grows_linearly(case: str) -> None:
    """Doubling a hostile input at most ~doubles the work (ratio under 3; quadratic gives 4)."""
    make = HOSTILE[case]
    n = 2000
    small = make(n)
    while _cpu(parse_transcript, small) < 0.02 and n < 64_000:  # big enough to measure
        n *= 2
        small = make(n)
    ratio = _cpu(parse_transcript, make(2 * n)) / max(_cpu(parse_transcript, small), 1e-6)
    assert ratio < 3.0, f"{case}: doubling the input multiplied the time by {ratio:.1f}"


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_each_parser_survives_the_hostile_inputs(fmt: Format, case: str) -> None:
    """Each parser, not only the one detection picks, copes with every hostile shape."""
    _check(fmt, HOSTILE[case](500))
