"""The ``search --json`` shape (a contract for scripts: add keys, never rename or remove)."""

from __future__ import annotations

from bot.records import Hit
from bot.timefmt import hms


def hit_json(hit: Hit) -> dict[str, object]:
    """The ``search --json`` shape scripts depend on (keys are a contract; add, never rename)."""
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
