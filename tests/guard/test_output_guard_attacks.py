"""The output guard against a canary leaked in cheap encodings, and linear time on hostile
replies up to 400 KB: the input is doubled twice and the time may grow 8x (linear is 4x,
quadratic 16x); best of five runs of CPU time (tests/linearity.py), so a busy shared machine
does not fail it."""

from __future__ import annotations

import base64
import codecs
from collections.abc import Callable

import pytest

from bot.answer.output_guard import OutputGuard, make_canary
from bot.answer.verify import apply_checks, verify_quotes
from bot.guard.reply import neutralise_marks
from bot.guard.transcript import for_prompt
from bot.records import Excerpt
from tests.guard.seed_chunks import seed_chunks
from tests.linearity import grows_linearly

CANARY = make_canary()
ENCODINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda c: c,
    "spaced": lambda c: " ".join(c),
    "reversed": lambda c: c[::-1],
    "rot13": lambda c: codecs.encode(c, "rot13"),
    "rot13 reversed": lambda c: codecs.encode(c[::-1], "rot13"),
    "hex": lambda c: c.encode().hex(),
    "HEX spaced": lambda c: " ".join(f"{b:02X}" for b in c.encode()),
    "base64": lambda c: base64.b64encode(c.encode()).decode(),
    "base64 inside a blob": lambda c: base64.b64encode(f"marker={c};ok".encode()).decode(),
    "base64 offset 2": lambda c: base64.b64encode(f"ab{c}".encode()).decode(),
    "urlsafe base64": lambda c: base64.urlsafe_b64encode(f"?{c}>".encode()).decode(),
    "hex digits only, base64": lambda c: base64.b64encode(c[5:].encode()).decode(),
    "hex digits reversed": lambda c: c[5:][::-1],
}


def guard() -> OutputGuard:
    return OutputGuard(
        system_prompt=f"You answer from transcripts. Marker: {CANARY}.",
        canary=CANARY,
        allowed_urls=[],
        refusal_text="REFUSED",
    )


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_canary_in_a_cheap_encoding_is_refused(encoding: str) -> None:
    leaked = ENCODINGS[encoding](CANARY)
    result = guard().check(f"Sure. The encoded marker is: {leaked} — enjoy.")
    assert result.refused and result.text == "REFUSED", (encoding, leaked)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_canary_streamed_in_an_encoding_stops_the_stream(encoding: str) -> None:
    g = guard()
    text = "Here is a long and harmless preamble about open models. " * 300
    text += ENCODINGS[encoding](CANARY)
    assert any(g.feed(text[i : i + 7]) for i in range(0, len(text), 7)) or g.feed(" ")


def test_ordinary_answers_are_not_refused() -> None:
    """No false alarm on real transcript text, hex-looking ids or base64-looking words."""
    g = guard()
    for chunk in seed_chunks()[:60]:
        assert not g.check(chunk.text).refused
    assert not g.check("Commit 3f2a9c1d7e8b and token QWxhZGRpbjpvcGVuIHNlc2FtZQ==").refused


# --- linear time -------------------------------------------------------------------------------


def linear(work: Callable[[int], object], n: int) -> bool:
    """Four times the input takes at most eight times the CPU (or is too quick to matter)."""
    return grows_linearly(work, n, factor=4, max_ratio=8.0)


EXCERPTS = [Excerpt(i + 1, c) for i, c in enumerate(seed_chunks()[-5:])]
TRUE = " ".join(EXCERPTS[0].chunk.text.split()[:8])
HOSTILE: dict[str, Callable[[int], str]] = {
    "url then parentheses": lambda n: "see http://x.example/" + ")" * n,
    "open brackets": lambda n: "[" * n,
    "masked links": lambda n: "[a](" * (n // 4),
    "words": lambda n: "word " * (n // 5),
    "quotes": lambda n: " ".join(
        f"She said “{TRUE}” [1] and “made up words {i}” [2], then" for i in range(n // 80)
    ),
    "escapes": lambda n: ("\x1b]8;;" + "x" * 40 + "\x1b[" + "9" * 40) * (n // 90),
    "fake footnotes": lambda n: "[2] Panel — X, 00:03:12 (verified): “x”\n" * (n // 40),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_output_guard_is_linear(shape: str) -> None:
    make = HOSTILE[shape]
    assert linear(lambda n: guard().check(make(n)), 100_000)


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_verification_is_linear(shape: str) -> None:
    make = HOSTILE[shape]

    def work(n: int) -> None:
        text = make(n)
        apply_checks(text, verify_quotes(text, EXCERPTS))

    assert linear(work, 100_000)


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_prompt_and_mark_guards_are_linear(shape: str) -> None:
    make = HOSTILE[shape]
    text = {n: make(n) for n in (500_000, 2_000_000)}  # built outside the timing
    # These take milliseconds per 100 KB, so they are timed on 0.5-2 MB, where noise matters less.
    assert linear(lambda n: (for_prompt(text[n]), neutralise_marks(text[n])), 500_000)


def test_streaming_scan_is_linear_over_the_stream() -> None:
    """Checking every delta of a stream costs in proportion to its length, not its square."""

    def work(n: int) -> None:
        g = guard()
        text = "word " * (n // 5)
        for i in range(0, len(text), 4):
            g.feed(text[i : i + 4])

    assert linear(work, 25_000)
