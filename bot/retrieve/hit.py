"""A retrieved chunk with its fused score; what search returns and what answers are built from."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingest.chunk_types import Chunk


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float  # reciprocal-rank-fusion score (or the single retriever's score), higher is better
    dense_rank: int | None = None  # 1-based rank in each retriever, None when it did not return it
    lexical_rank: int | None = None
    similarity: float | None = None  # cosine similarity of the dense match, when there was one


def hit_json(hit: Hit) -> dict[str, object]:
    """The ``search --json`` shape scripts depend on (keys are a contract; add, never rename)."""
    from bot.timefmt import hms

    speakers = list(hit.chunk.speakers)
    return {
        "source": hit.chunk.source,
        "title": hit.chunk.title,
        "speaker": ", ".join(speakers) if speakers else None,
        "start": hms(hit.chunk.start),
        "end": hms(hit.chunk.end),
        "char_start": hit.chunk.char_start,
        "char_end": hit.chunk.char_end,
        "text": hit.chunk.text,
        "score": round(hit.score, 6),
        "speakers": speakers,
        "id": hit.chunk.id,
    }
