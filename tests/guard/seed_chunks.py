"""The seed transcripts parsed and chunked exactly as ingest does it, without embedding them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.ingest.chunk import chunk_segments
from bot.ingest.manifest import SourceMeta, load_manifest, meta_for
from bot.ingest.parse import parse_transcript
from bot.ingest.read import read_transcript
from bot.records import Chunk

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@cache
def seed_chunks() -> tuple[Chunk, ...]:
    manifest = load_manifest(SEEDS)
    chunks: list[Chunk] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = read_transcript(path, max_bytes=10**8)
        entry = manifest.get(path.name) or SourceMeta(file=path.name, title="")
        parsed = parse_transcript(
            text,
            participants=entry.participants,
            default_speaker=entry.default_speaker,
            aliases=entry.aliases,
        )
        meta = meta_for(path, {entry.file: entry}, parsed)
        chunks += chunk_segments(parsed.segments, source=meta.file, title=meta.title)
    return tuple(chunks)


@cache
def file_text(source: str) -> str:
    return read_transcript(SEEDS / source, max_bytes=10**8)
