"""Segments → token-bounded chunks that keep every segment's span, time and speaker.

Chunks are cut on segment boundaries so a citation can always name the segment a quote starts in.
Two refinements, both chosen with ``panelist eval retrieval`` (see docs/retrieval.md):
- a segment longer than the budget (a panel monologue) is split at sentence ends first;
- a chunk that is already more than half full closes early at a change of speaker, so most chunks
  hold one voice, which is what persona answers and speaker filters need.
Overlap repeats the last ``overlap`` segments of a chunk at the start of the next one, so a passage
cut at a boundary is still retrievable whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence

from bot.ingest.chunk_types import Chunk, Piece
from bot.ingest.segment import Segment
from bot.tokens import count_tokens

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


def split_long_segment(seg: Segment, max_tokens: int) -> list[Segment]:
    """Split a segment over the budget at sentence ends (then at spaces), keeping exact spans."""
    if count_tokens(seg.text) <= max_tokens:
        return [seg]
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(seg.text)] + [len(seg.text)]
    parts: list[tuple[int, int]] = []
    cur = 0
    for i in range(1, len(bounds)):
        candidate = seg.text[cur : bounds[i]]
        if count_tokens(candidate) > max_tokens and bounds[i - 1] > cur:
            parts.append((cur, bounds[i - 1]))
            cur = bounds[i - 1]
    parts.append((cur, len(seg.text)))
    out: list[Segment] = []
    for a, b in parts:
        out.extend(_hard_split(seg, a, b, max_tokens))
    return out


def _hard_split(seg: Segment, a: int, b: int, max_tokens: int) -> Iterator[Segment]:
    """Last resort for a single sentence over budget: cut at whitespace by token count."""
    text = seg.text[a:b]
    while text.strip():
        lead = len(text) - len(text.lstrip())
        a += lead
        text = text.lstrip()
        if count_tokens(text) <= max_tokens:
            cut = len(text)
        else:
            approx = max(1, len(text) * max_tokens // max(count_tokens(text), 1))
            space = text.rfind(" ", 0, approx)
            cut = space if space > 0 else approx
        piece = text[:cut].rstrip()
        if piece:
            yield Segment(
                text=piece,
                start=seg.start,
                end=seg.end,
                speaker=seg.speaker,
                char_start=seg.char_start + a,
                char_end=seg.char_start + a + len(piece),
            )
        a += cut
        text = text[cut:]


def chunk_id(source: str, segments: Sequence[Segment], context: str = "") -> str:
    """Stable id: the same file content always yields the same ids (idempotent re-ingest)."""
    h = hashlib.sha1(f"{source}\x00{context}\x00".encode())
    for s in segments:
        h.update(f"{s.char_start}:{s.char_end}:{s.speaker or ''}:{s.text}\x00".encode())
    return f"{source}#{h.hexdigest()[:16]}"


def build_chunk(source: str, title: str, segments: Sequence[Segment], context: str = "") -> Chunk:
    pieces: list[Piece] = []
    offset = 0
    for s in segments:
        pieces.append(Piece(offset, s.char_start, len(s.text), s.start, s.end, s.speaker))
        offset += len(s.text) + 1
    text = "\n".join(s.text for s in segments)
    return Chunk(
        id=chunk_id(source, segments, context),
        source=source,
        title=title,
        text=text,
        pieces=tuple(pieces),
        context=context,
    )


def chunk_segments(
    segments: Iterable[Segment],
    *,
    source: str,
    title: str,
    max_tokens: int = 160,
    overlap: int = 1,
    context: str = "",
) -> list[Chunk]:
    units = [part for seg in segments for part in split_long_segment(seg, max_tokens)]
    sizes = [count_tokens(u.text) + 1 for u in units]
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, used = i, 0
        while j < len(units) and (j == i or used + sizes[j] <= max_tokens):
            if (
                j > i
                and used > max_tokens // 2
                and units[j].speaker != units[j - 1].speaker
                and units[j].speaker is not None
            ):
                break
            used += sizes[j]
            j += 1
        part = units[i:j]
        speakers = list(dict.fromkeys(u.speaker for u in part if u.speaker))
        ctx = context + (f" — speaking: {', '.join(speakers)}" if speakers else "")
        chunks.append(build_chunk(source, title, part, ctx))
        if j >= len(units):
            break
        i = max(i + 1, j - overlap)
    return chunks
