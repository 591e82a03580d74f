"""What a chunk carries so that any stretch of its text can be traced back to the file.

A chunk's ``text`` is its segments' texts joined by newlines. Each ``Piece`` records where one
segment's text sits in ``chunk.text`` and in the source file, with that segment's timestamp and
speaker, so a quote found anywhere in the chunk resolves to an exact file span, the timestamp of the
segment where it starts, and who said it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


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
