"""Fuzzing the reader, the parsers of the existing formats and the chunker: random bytes, random
cue timings, huge numbers, deep nesting. Nothing raises anything but IngestError, every segment
is an exact slice of the file, and doubling the input at most ~doubles the work."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest import chunk as chunk_module
from bot.ingest.chunk import chunk_segments
from bot.ingest.parse import parse_transcript
from bot.ingest.read import IngestError, read_transcript
from bot.records import Segment
from bot.tokens import encoding
from tests.linearity import cpu_seconds

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def parse_ok(text: str) -> None:
    """The property every parser keeps: a result or an IngestError, exact spans, chunkable."""
    try:
        result = parse_transcript(text)
    except IngestError as exc:
        assert "\n" not in str(exc)
        return
    for seg in result.segments:
        assert seg.text == text[seg.char_start : seg.char_end]
        assert seg.text.strip()
        assert seg.start is None or seg.start >= 0
    chunks = chunk_segments(result.segments, source="f.txt", title="T", max_tokens=64)
    for c in chunks:
        for p in c.pieces:
            assert c.text[p.offset : p.offset + p.length] == text[p.char_start :][: p.length]


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_read_and_parse_or_fail_with_one_line(tmp_path_factory, data) -> None:
    f = tmp_path_factory.mktemp("fuzz") / "f.txt"
    f.write_bytes(data)
    try:
        text = read_transcript(f, max_bytes=1 << 20)
    except IngestError as exc:
        assert "\n" not in str(exc) and str(f) in str(exc)
        return
    parse_ok(text)


@FUZZ
@given(text=st.text(max_size=2000))
def test_random_text_parses(text: str) -> None:
    parse_ok(text)


_NUM = st.one_of(st.integers(0, 99), st.integers(0, 10**500), st.just(-1))
_SEP = st.sampled_from([".", ",", ":", ""])


def _clock(draw: Callable, hours: bool) -> str:
    h, m, s, ms = draw(_NUM), draw(_NUM), draw(_NUM), draw(_NUM)
    return (f"{h}:" if hours else "") + f"{m:02}:{s:02}{draw(_SEP)}{ms:03}"


@st.composite
def cue_files(draw: Callable) -> str:
    kind = draw(st.sampled_from(["vtt", "srt", "whisper", "podcast"]))
    words = st.text(alphabet="abc XYZ:<>[]{}\\-–.\n", max_size=40)
    out = ["WEBVTT\n"] if kind == "vtt" else []
    for i in range(draw(st.integers(1, 12))):
        a, b = _clock(draw, draw(st.booleans())), _clock(draw, draw(st.booleans()))
        arrow = draw(st.sampled_from(["-->", "->", " --> ", "-- >"]))
        body = draw(words)
        if kind == "srt":
            out.append(f"{i + 1}\n{a}{arrow}{b}\n{body}\n")
        elif kind == "vtt":
            out.append(f"{a} {arrow} {b}\n{body}\n")
        elif kind == "whisper":
            out.append(f"[{a}{arrow}{b}]  {body}")
        else:
            out.append(f"Starting point is {a}\n{body}\n")
    return "\n".join(out)


@FUZZ
@given(text=cue_files())
def test_random_cue_timings_and_huge_numbers(text: str) -> None:
    parse_ok(text)


@pytest.mark.parametrize(
    "text",
    [
        "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n" + "<i>" * 20000 + "deep" + "</i>" * 20000,
        "1\n00:00:00,000 --> 00:00:05,000\n" + "{\\an8}" * 20000 + "x\n",
        "[00:00.000 --> 00:04.000]  " + "[" * 50000 + "x" + "]" * 50000 + "\n",
        "\n".join("  " * i + "- point" for i in range(3000)),
        "Ada Lovelace: " + "(" * 50000 + "\n\nCharles Babbage: ok\n\nAL: yes\n",
        "Starting point is 00:00:00\n" + "Starting point is\n" * 20000,
        "A: " * 40000,
    ],
    ids=["vtt-tags", "srt-styles", "whisper-brackets", "nested-bullets", "parens", "markers",
         "labels"],
)  # fmt: skip
def test_deep_nesting_parses(text: str) -> None:
    parse_ok(text)


# --- linear time -----------------------------------------------------------------------------
WORDS = ["alpha", "beta", "gamma", "model", "data", "train", "large", "small", "edge", "open"]


def _unpunctuated(n: int) -> str:
    rng = random.Random(n)
    return " ".join(rng.choice(WORDS) for _ in range(n // 6))


def _tokenizer_work(text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Characters and tokens the chunker hands to the tokenizer for one long segment."""
    enc = encoding()
    work = 0
    real_encode, real_offsets = enc.encode_ordinary, enc.decode_with_offsets

    def encode(s: str) -> list[int]:
        nonlocal work
        work += len(s)
        return real_encode(s)

    def offsets(ids: list[int]) -> tuple[str, list[int]]:
        nonlocal work
        work += len(ids)
        return real_offsets(ids)

    monkeypatch.setattr(enc, "encode_ordinary", encode)
    monkeypatch.setattr(enc, "decode_with_offsets", offsets)
    try:
        seg = Segment(text, 0.0, 1.0, None, 0, len(text))
        chunk_segments([seg], source="f", title="T", max_tokens=192)
    finally:
        monkeypatch.undo()
    return work


@pytest.mark.parametrize(
    "make",
    [_unpunctuated, lambda n: "x" * n, lambda n: "Short one. " * (n // 11), lambda n: "!" * n],
    ids=["unpunctuated-words", "no-spaces", "many-sentences", "punctuation-run"],
)
def test_chunking_work_is_linear(make: Callable[[int], str], monkeypatch) -> None:
    """A 1 MB caption cue without a full stop took 68 s: re-tokenizing a growing prefix."""
    assert chunk_module.encoding is encoding
    small = _tokenizer_work(make(100_000), monkeypatch)
    large = _tokenizer_work(make(200_000), monkeypatch)
    assert large / small <= 2.5, (small, large)


def _vtt_one_cue(n: int) -> str:
    return "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n" + _unpunctuated(n) + "\n"


def _srt(n: int) -> str:
    cue = "{i}\n00:00:{s:02},000 --> 00:00:{s:02},500\n<i>Some words here</i> and more\n\n"
    return "".join(cue.format(i=i, s=i % 60) for i in range(n // 60))


def _whisper(n: int) -> str:
    line = "[00:{s:02}.000 --> 00:{s:02}.500]  Small models will win on the edge.\n"
    return "".join(line.format(s=i % 60) for i in range(n // 60))


def _panel(n: int) -> str:
    block = (
        "Ada Lovelace: Engines could compose music.\n\nLike\n\nCB: The engine needs funding.\n\n"
    )
    return block * (n // len(block))


def _notes(n: int) -> str:
    return "- A point about models\n" * (n // 23)


def _podcast(n: int) -> str:
    return "Episode\n" + "Starting point is 00:00:01\nSome text said here.\n" * (n // 45)


@pytest.mark.parametrize(
    "make",
    [_vtt_one_cue, _srt, _whisper, _panel, _notes, _podcast, _unpunctuated],
    ids=["vtt-one-cue", "srt", "whisper", "panel", "notes", "podcast", "plain"],
)
def test_parse_and_chunk_time_is_linear(make: Callable[[int], str]) -> None:
    """Doubled input, best of three CPU-time runs each: at most 2.5× (quadratic would be 4×)."""

    def run(text: str) -> Callable[[], object]:
        def go() -> object:
            result = parse_transcript(text)
            return chunk_segments(result.segments, source="f", title="T", max_tokens=192)

        return go

    small, large = make(150_000), make(300_000)
    run(small)()  # warm caches (tokenizer, regexes)
    ratio = cpu_seconds(run(large), runs=3) / max(cpu_seconds(run(small), runs=3), 1e-3)
    assert ratio <= 2.5, ratio


def test_a_lone_like_mid_panel_drops_only_itself_and_says_so() -> None:
    """A stray "Like" paragraph used to end the discussion there, silently."""
    text = (
        "Ada Lovelace: Engines could compose music.\n\nLike\n\n"
        "Charles Babbage: The difference engine needs funding.\n\n"
        "AL: Provided the science of harmony.\n\nCB: And more after that.\n\n"
        "Jane Commenter\n\nHead of Things\n\n11mo\n\nGreat panel!\n\nLike\nReply\n"
    )
    result = parse_transcript(text)
    said = [s.text for s in result.segments]
    assert said == [
        "Engines could compose music.",
        "The difference engine needs funding.",
        "Provided the science of harmony.",
        "And more after that.",
    ]
    assert any("dropped 1 page-chrome" in w and "line 3" in w for w in result.warnings)
    assert any("left out lines 11-20" in w for w in result.warnings), result.warnings


def test_ingest_of_the_reader_never_opens_a_fifo(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "p.vtt"
    os.mkfifo(fifo)
    caught: list[BaseException] = []
    t = threading.Thread(
        target=lambda: caught.extend(_raises(lambda: read_transcript(fifo, max_bytes=1000))),
        daemon=True,
    )
    t.start()
    t.join(10)
    assert not t.is_alive() and isinstance(caught[0], IngestError) and "FIFO" in str(caught[0])


def _raises(fn: Callable[[], object]) -> list[BaseException]:
    try:
        fn()
    except BaseException as exc:
        return [exc]
    return []
