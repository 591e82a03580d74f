"""The one result every surface renders: an answer with its checked citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["llm", "extractive"]


@dataclass(slots=True)
class Citation:
    n: int  # footnote number as shown to the reader
    source: str  # file name
    title: str
    speaker: str | None
    start: float | None  # seconds: timestamp of the segment where the quote starts
    quote: str  # exactly as it appears in the source file
    verified: bool
    char_start: int | None  # file_text[char_start:char_end] is the quoted passage
    char_end: int | None
    url: str | None = None  # deep link (with a time offset where the host supports one)
    label: str | None = None  # short name of the discussion for footnotes ("No Priors")


@dataclass(slots=True)
class Answer:
    text: str  # markdown-ish text with [n] markers that refer to citations
    mode: Mode
    grounded: bool
    persona: str | None
    citations: list[Citation] = field(default_factory=list)
    notice: str | None = None  # one line for the reader, e.g. that generated answers need an LLM
    dropped_quotes: int = 0  # quotes the model wrote that failed verification and were removed
