"""Sentences of a chunk, and chunks widened to whole sentences.

A chunk ends where its token budget runs out, which for Whisper is mid-sentence: quoting its
last line gives "…we can really do is". The offline answerer quotes sentences, so it reads each
passage widened by the neighbouring segments up to the nearest sentence ends. The same split
runs at ingest, so each sentence's vector is computed once and cached (bot/index/sentences.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from bot.records import Chunk, Piece

SENT_END = re.compile(r"[.!?…][\"'”’)]*(?=\s|$)")
MAX_WORDS = 70  # longer ASR run-ons are cut at a comma so quotes stay readable
MIN_WORDS = 5
MAX_WIDEN_PIECES = 4  # how many segments a chunk may borrow on each side


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Sentence spans in chunk text. A newline ends a sentence where segments are whole units
    (untimed notes and panel paragraphs) or the speaker changes; timed ASR lines run on."""
    text = chunk.text
    cuts = {m.end() for m in SENT_END.finditer(text)}
    for a, b in pairwise(chunk.pieces):
        if a.start is None or a.speaker != b.speaker:
            cuts.add(a.offset + a.length)
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*sorted(cuts), len(text)]:
        seg = text[prev:cut]
        lead = len(seg) - len(seg.lstrip())
        s, e = prev + lead, prev + len(seg.rstrip())
        if e > s:
            spans.extend(_cap_words(text, s, e))
        prev = cut
    return spans


def _cap_words(text: str, s: int, e: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    while True:
        words = list(re.finditer(r"\S+", text[s:e]))
        if len(words) <= MAX_WORDS:
            out.append((s, e))
            return out
        cut = s + words[MAX_WORDS - 1].end()
        comma = text.rfind(",", s + words[MAX_WORDS // 2].start(), cut)
        cut = comma + 1 if comma > 0 else cut
        out.append((s, cut))
        s = cut + (len(text[cut:e]) - len(text[cut:e].lstrip()))


def embed_text(text: str) -> str:
    return " ".join(text.split())


def sentence_texts(chunk: Chunk) -> list[str]:
    """The sentences the answerer scores (MIN_WORDS or more), as they are embedded."""
    out = []
    for s, e in sentence_spans(chunk):
        t = chunk.text[s:e]
        if len(t.split()) >= MIN_WORDS:
            out.append(embed_text(t))
    return out


def _runs_on(piece_text: str, piece: Piece) -> bool:
    """Whether a timed segment's sentence continues into the next one."""
    return piece.start is not None and not SENT_END.search(piece_text.rstrip()[-3:] + " ")


def widen(chunk: Chunk, before: Chunk | None, after: Chunk | None) -> Chunk:
    """``chunk`` with neighbouring segments of the same speaker added so that its first and last
    sentences are whole. Only timed segments are borrowed (untimed ones end their sentences);
    ``before``/``after`` are the previous and next chunks of the same source, or None."""
    if not chunk.pieces or chunk.pieces[0].start is None:
        return chunk
    texts = [chunk.text[p.offset : p.offset + p.length] for p in chunk.pieces]
    pieces: list[tuple[str, Piece]] = list(zip(texts, chunk.pieces, strict=True))
    if after is not None:
        extra = _pieces_after(after, chunk.char_end)
        n = 0
        while extra and n < MAX_WIDEN_PIECES and _runs_on(*pieces[-1]):
            text, piece = extra.pop(0)
            if piece.speaker != pieces[-1][1].speaker or piece.start is None:
                break
            pieces.append((text, piece))
            n += 1
    if before is not None:
        prior = _pieces_before(before, chunk.char_start)
        n = 0
        while prior and n < MAX_WIDEN_PIECES:
            text, piece = prior[-1]
            if piece.speaker != pieces[0][1].speaker or piece.start is None:
                break
            if not _runs_on(text, piece):
                break  # the previous segment ends a sentence: ours starts whole
            prior.pop()
            pieces.insert(0, (text, piece))
            n += 1
    if len(pieces) == len(chunk.pieces):
        return chunk
    return _rebuild(chunk, pieces)


def _pieces_after(chunk: Chunk, end: int) -> list[tuple[str, Piece]]:
    return [
        (chunk.text[p.offset : p.offset + p.length], p) for p in chunk.pieces if p.char_start >= end
    ]


def _pieces_before(chunk: Chunk, start: int) -> list[tuple[str, Piece]]:
    return [
        (chunk.text[p.offset : p.offset + p.length], p)
        for p in chunk.pieces
        if p.char_start + p.length <= start
    ]


def _rebuild(chunk: Chunk, pieces: Sequence[tuple[str, Piece]]) -> Chunk:
    out: list[Piece] = []
    offset = 0
    for text, p in pieces:
        out.append(Piece(offset, p.char_start, p.length, p.start, p.end, p.speaker))
        offset += len(text) + 1
    return replace(chunk, text="\n".join(t for t, _ in pieces), pieces=tuple(out))
