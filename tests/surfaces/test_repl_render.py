"""The REPL shows every quote in full, wrapped to the terminal, whatever the terminal's width."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.records import Answer, Citation
from bot.surfaces.repl import render

QUOTE = (
    "I think that the primary thing that we can really do is make sure that these models are "
    "available to everyone, because otherwise a handful of companies decide what the world sees"
)


def _answer(quote: str) -> Answer:
    cite = Citation(
        n=1, source="003.txt", title="Stella Biderman (EleutherAI) on Gradient Dissent",
        speaker="Stella Biderman", start=61.0, quote=quote, verified=True, char_start=0,
        char_end=len(quote), url=None, label="Gradient Dissent",
    )  # fmt: skip
    text = f"- **Stella Biderman** said: “{quote}” [1]"
    return Answer(text, "extractive", True, None, [cite], "Offline mode: closest passages.")


def _shown(answer: Answer, width: int) -> str:
    # The same settings as the shared console (soft_wrap=True), at a fixed width.
    console = Console(width=width, record=True, soft_wrap=True, color_system=None)
    render(answer, console)
    return console.export_text()


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+", text)


@settings(max_examples=30, deadline=None)
@given(width=st.integers(min_value=20, max_value=160))
def test_every_word_of_the_quote_is_shown_in_order(width):
    shown = _shown(_answer(QUOTE), width)
    words = _words(shown)
    want = _words(QUOTE)
    i = 0
    for w in words:
        if i < len(want) and w == want[i]:
            i += 1
    assert i == len(want), f"quote cut at width {width}: {shown!r}"
    assert all(len(line) <= width for line in shown.splitlines()), "a line overflows"
