"""A retrieved chunk as numbered in the prompt; the model cites it as ``[n]``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingest.chunk_types import Chunk


@dataclass(frozen=True, slots=True)
class Excerpt:
    n: int  # 1-based number shown to the model and used in its [n] markers
    chunk: Chunk
