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
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence

from bot.records import Chunk, Piece, Segment
from bot.tokens import count_tokens, encoding

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


def split_long_segment(seg: Segment, max_tokens: int) -> list[Segment]:
    """Split a segment over the budget at sentence ends (then at spaces), keeping exact spans.

    Linear in the segment's length: each sentence is tokenized once and parts are packed from
    those counts (a sum of parts never undercounts the whole, as pieces split after whitespace),
    and each packed part is checked once. Re-tokenizing a growing prefix, as a first version
    did, was quadratic on long unpunctuated text (a 1 MB caption cue took over a minute).
    """
    if count_tokens(seg.text) <= max_tokens:
        return [seg]
    text = seg.text
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    parts: list[tuple[int, int]] = []
    cur, used = 0, 0
    for a, b in itertools.pairwise(bounds):
        if a == b:
            continue
        n = count_tokens(text[a:b])
        if used and used + n > max_tokens:
            parts.append((cur, a))
            cur, used = a, 0
        used += n
    parts.append((cur, len(text)))
    out: list[Segment] = []
    for a, b in parts:
        if count_tokens(text[a:b]) <= max_tokens:
            piece = _exact(seg, a, b)
            if piece:
                out.append(piece)
        else:
            out.extend(_hard_split(seg, a, b, max_tokens))
    return out


def _exact(seg: Segment, a: int, b: int) -> Segment | None:
    """The segment's ``[a, b)`` stretch, whitespace trimmed, as a segment with its file span."""
    while a < b and seg.text[a].isspace():
        a += 1
    while b > a and seg.text[b - 1].isspace():
        b -= 1
    if a == b:
        return None
    return Segment(
        text=seg.text[a:b],
        start=seg.start,
        end=seg.end,
        speaker=seg.speaker,
        char_start=seg.char_start + a,
        char_end=seg.char_start + b,
    )


def _hard_split(seg: Segment, a: int, b: int, max_tokens: int) -> Iterator[Segment]:
    """Last resort for a single sentence over budget: cut at whitespace by token count.

    Works through a window of ``8 × max_tokens`` characters at a time (a token is at least one
    character, so a window always holds a full piece or more), tokenizing only the window: the
    total work is linear in ``b - a`` whatever the text, spaces or none.
    """
    text = seg.text
    enc = encoding()
    window = max(64, 8 * max_tokens)
    pos = a
    while pos < b:
        while pos < b and text[pos].isspace():
            pos += 1
        if pos >= b:
            return
        end = min(b, pos + window)
        chunk = text[pos:end]
        ids = enc.encode_ordinary(chunk)
        if len(ids) <= max_tokens:
            cut = len(chunk)
            if end < b:  # more follows: end at a space in the window's second half if any
                space = chunk.rfind(" ", len(chunk) // 2)
                cut = space if space > 0 else cut
        else:
            _, offsets = enc.decode_with_offsets(ids)
            cut = max(1, offsets[max_tokens])
            space = chunk.rfind(" ", 0, cut + 1)
            if space > cut // 2:
                cut = space
        while cut > 1 and count_tokens(chunk[:cut]) > max_tokens:  # rare BPE edge at the cut
            cut = max(1, cut * 9 // 10)
        piece = _exact(seg, pos, pos + cut)
        if piece:
            yield piece
        pos += cut


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
