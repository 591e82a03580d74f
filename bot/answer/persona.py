"""Speaking as one person: only the passages attributed to them may ground the answer."""

from __future__ import annotations

from bot.records import Chunk, Piece, speaker_key


def restrict_to_speaker(chunk: Chunk, speaker: str) -> Chunk | None:
    """The chunk with only ``speaker``'s segments (offsets rebuilt), or None if they say nothing.

    Retrieval filters chunks that *contain* the speaker; a chunk may also hold an interviewer's
    question, which must not be put in the persona's mouth.
    """
    key = speaker_key(speaker)
    kept: list[Piece] = []
    texts: list[str] = []
    offset = 0
    for p in chunk.pieces:
        if p.speaker and speaker_key(p.speaker) == key:
            text = chunk.text[p.offset : p.offset + p.length]
            kept.append(Piece(offset, p.char_start, p.length, p.start, p.end, p.speaker))
            texts.append(text)
            offset += p.length + 1
    if not kept:
        return None
    if len(kept) == len(chunk.pieces):
        return chunk
    return Chunk(
        id=chunk.id,
        source=chunk.source,
        title=chunk.title,
        text="\n".join(texts),
        pieces=tuple(kept),
        flags=chunk.flags,
    )
