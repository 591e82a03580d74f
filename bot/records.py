"""The records that flow through the pipeline, in the order the data meets them.

One home for the plain data every stage passes on (segment → chunk → hit → excerpt → answer with
citations) so that any layer can name them without importing another layer's machinery. Nothing
here imports from the pipeline; these are values, not services.

Invariant every parser keeps, and tests check: ``segment.text == file_text[char_start:char_end]``
where ``file_text`` is the file decoded as UTF-8 (Python ``str`` offsets). A chunk's ``text`` is its
segments' texts joined by newlines; each ``Piece`` records where one segment's text sits in
``chunk.text`` and in the source file, with that segment's timestamp and speaker, so a quote found
anywhere in the chunk resolves to an exact file span, the timestamp where it starts, and who said
it. Citations rely on both to point a reader at the exact place in the original file.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["llm", "extractive"]


def speaker_key(name: str) -> str:
    """How speaker names compare everywhere (filters, personas, the vector store's metadata)."""
    return " ".join(name.casefold().split())


# --- ingest: what a parser produces ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    start: float | None  # seconds from the start of the recording, None when the file has no times
    end: float | None
    speaker: str | None  # full display name; None when the file does not say (never guessed)
    char_start: int
    char_end: int


@dataclass(slots=True)
class ParseResult:
    format: str  # the Format.name that read it (bot.ingest.parse.FORMAT_NAMES)
    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)
    # Facts some formats carry in a header (podcast exports, web-page panels). The manifest wins
    # over these; they only fill in for files the manifest does not describe.
    title: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd, only when the header states a full date
    confidence: float | None = None  # the format's detect score (0.5 claims, 1 is certain)


# --- chunks: what is indexed -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Piece:
    offset: int  # where this segment's text starts in chunk.text
    char_start: int  # where it starts in the source file
    length: int
    start: float | None  # the segment's timestamps, seconds
    end: float | None
    speaker: str | None


@dataclass(frozen=True, slots=True)
class Chunk:
    id: str
    source: str  # file name, e.g. "003_45c6a50c9d8a6def.txt"
    title: str
    text: str
    pieces: tuple[Piece, ...]
    flags: tuple[str, ...] = field(default=())  # e.g. ("instruction_like",): kept and quotable
    # Which discussion and who is in it, e.g. "No Priors with Emad Mostaque, Sarah Guo". Indexed
    # (embedded and BM25) with the text so "what did Yann say on the Davos panel" finds the right
    # passages, but never quoted: it is not in the file.
    context: str = ""

    @property
    def index_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text

    @property
    def char_start(self) -> int:
        return self.pieces[0].char_start

    @property
    def char_end(self) -> int:
        last = self.pieces[-1]
        return last.char_start + last.length

    @property
    def start(self) -> float | None:
        return next((p.start for p in self.pieces if p.start is not None), None)

    @property
    def end(self) -> float | None:
        for p in reversed(self.pieces):
            if p.end is not None or p.start is not None:
                return p.end if p.end is not None else p.start
        return None

    @property
    def speakers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in self.pieces:
            if p.speaker:
                seen.setdefault(p.speaker, None)
        return tuple(seen)

    def piece_at(self, offset: int) -> Piece:
        """Piece holding ``offset`` of chunk.text (a newline maps to the next piece)."""
        offsets = [p.offset for p in self.pieces]
        i = max(0, bisect.bisect_right(offsets, offset) - 1)
        piece = self.pieces[i]
        if offset >= piece.offset + piece.length and i + 1 < len(self.pieces):
            piece = self.pieces[i + 1]
        return piece

    def file_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``chunk.text[start:end]`` to ``(char_start, char_end)`` in the source file."""
        first = self.piece_at(start)
        last = self.piece_at(max(start, end - 1))
        fs = first.char_start + min(max(start - first.offset, 0), first.length)
        fe = last.char_start + min(max(end - last.offset, 0), last.length)
        return fs, max(fs, fe)


# --- retrieval and prompting -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float  # reciprocal-rank-fusion score (or the single retriever's score), higher is better
    dense_rank: int | None = None  # 1-based rank in each retriever, None when it did not return it
    lexical_rank: int | None = None
    similarity: float | None = None  # cosine similarity of the dense match, when there was one


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A retrieved chunk as numbered in the prompt; the model cites it as ``[n]``."""

    n: int  # 1-based number shown to the model and used in its [n] markers
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation, as follow-ups and the prompt see it."""

    question: str
    answer: str


@dataclass(slots=True)
class BuiltPrompt:
    """Messages for the model, with what eval needs to score a reply against them."""

    messages: list[dict[str, str]]
    system: str
    canary: str
    excerpts: list[Excerpt]  # the ones that fit the budget, numbered as the model sees them
    tokens: int


@dataclass(frozen=True, slots=True)
class Trace:
    """How an answer was made: what retrieval returned and the prompt the model was given
    (None in extractive mode or when nothing relevant was found). Eval and bench read it."""

    hits: tuple[Hit, ...] = ()
    prompt: BuiltPrompt | None = None


# --- the result every surface renders --------------------------------------------------------
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
    trace: Trace | None = field(default=None, repr=False, compare=False)
