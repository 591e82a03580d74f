"""Hybrid search: dense (Chroma) + BM25, fused with reciprocal rank fusion, with filters.

RRF needs no score calibration between the two retrievers, which matters because cosine
similarities and BM25 scores live on unrelated scales.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.index.lexical import LexicalIndex
from bot.index.store import Store
from bot.index.vectors import speaker_key
from bot.ingest.chunk_types import Chunk
from bot.retrieve.hit import Hit

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]


_QUOTED = re.compile(r"[\"“”]([^\"“”]{8,})[\"“”]")


def squash(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def phrases(query: str) -> list[str]:
    """Verbatim-lookup phrases: quoted parts of the query, or the query itself when it is long
    enough (6+ words) to be a pasted line rather than a question."""
    quoted = [squash(m) for m in _QUOTED.findall(query)]
    if not quoted and len(query.split()) >= 6:
        quoted = [squash(query)]
    return [q for q in quoted if len(q.split()) >= 3]


class QueryError(Exception):
    """A query or filter the user must fix; one line."""


@dataclass(frozen=True, slots=True)
class Loaded:
    generation: int
    chunks: list[Chunk]
    row: dict[str, int]
    lexical: LexicalIndex
    speakers: dict[str, str]  # casefolded → display name
    sources: dict[str, str]  # file name → title


class Retriever:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.settings = store.settings
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()

    # --- loading -----------------------------------------------------------------------------
    def state(self) -> Loaded:
        """The live chunk set, reloaded when an ingest has committed since we last looked."""
        gen = self.store.catalog.generation
        loaded = self._loaded
        if loaded is not None and loaded.generation == gen:
            return loaded
        with self._lock:
            if self._loaded is None or self._loaded.generation != gen:
                chunks = list(self.store.catalog.iter_chunks())
                speakers: dict[str, str] = {}
                for c in chunks:
                    for s in c.speakers:
                        speakers.setdefault(speaker_key(s), s)
                self._loaded = Loaded(
                    generation=gen,
                    chunks=chunks,
                    row={c.id: i for i, c in enumerate(chunks)},
                    lexical=LexicalIndex([c.index_text for c in chunks]),
                    speakers=speakers,
                    sources={r.source: r.title for r in self.store.catalog.sources()},
                )
            return self._loaded

    # --- filters -----------------------------------------------------------------------------
    def resolve_source(self, name: str | None) -> str | None:
        if not name:
            return None
        sources = self.state().sources
        if name in sources:
            return name
        low = name.casefold()
        candidates = [s for s in sources if s.casefold().startswith(low)] or [
            s for s, t in sources.items() if low in t.casefold()
        ]
        if len(candidates) == 1:
            return candidates[0]
        known = ", ".join(sorted(sources)) or "none (run `panelist ingest`)"
        how = "matches several" if candidates else "is not"
        raise QueryError(f"source {name!r} {how} an indexed source; sources: {known}")

    def resolve_speaker(self, name: str | None) -> str | None:
        """Accept full names, first or last names, and near-misspellings of known speakers."""
        if not name:
            return None
        speakers = self.state().speakers
        key = speaker_key(name)
        if key in speakers:
            return speakers[key]
        partial = [v for k, v in speakers.items() if key in k.split() or k.startswith(key)]
        if len(partial) == 1:
            return partial[0]
        best = process.extractOne(key, list(speakers), scorer=fuzz.WRatio, score_cutoff=88)
        if best and not partial:
            return speakers[best[0]]
        known = ", ".join(sorted(speakers.values())) or "none"
        raise QueryError(f"no speaker matches {name!r}; speakers: {known}")

    def speakers_named_in(self, text: str) -> list[str]:
        """Known speakers the text names by full, first or last name ("what does yann think")."""
        words = set(re.findall(r"[\w'-]+", text.casefold()))
        named = []
        for key, name in self.state().speakers.items():
            parts = [p for p in key.split() if len(p) > 2]
            if key in text.casefold() or any(p in words for p in parts):
                named.append(name)
        return named

    def check_query(self, query: str) -> str:
        q = " ".join(query.split())
        if not q:
            raise QueryError("the question is empty")
        limit = self.settings.max_query_chars
        if len(q) > limit:
            raise QueryError(f"the question is {len(q)} characters; the limit is {limit}")
        return q

    # --- search ------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 5,
        *,
        source: str | None = None,
        speaker: str | None = None,
        mode: Mode = "hybrid",
        depth: int | None = None,
    ) -> list[Hit]:
        query = self.check_query(query)
        state = self.state()
        source = self.resolve_source(source)
        speaker = self.resolve_speaker(speaker)
        if not state.chunks:
            return []
        depth = depth or max(4 * k, 30)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vec = self.store.embedder.embed_query(query)
            dense = [
                (m.id, m.similarity)
                for m in self.store.vectors.query(vec, depth, source=source, speaker=speaker)
                if m.id in state.row
            ]
        if mode in ("hybrid", "lexical"):
            mask = self._mask(state, source, speaker)
            lexical = [(state.chunks[r].id, s) for r, s in state.lexical.query(query, depth, mask)]
        return self._fuse(state, dense, lexical, k, phrases(query))

    def _mask(self, state: Loaded, source: str | None, speaker: str | None) -> np.ndarray | None:
        if not source and not speaker:
            return None
        skey = speaker_key(speaker) if speaker else None
        return np.fromiter(
            (
                (not source or c.source == source)
                and (skey is None or any(speaker_key(s) == skey for s in c.speakers))
                for c in state.chunks
            ),
            dtype=np.float32,
            count=len(state.chunks),
        )

    def _fuse(
        self,
        state: Loaded,
        dense: Sequence[tuple[str, float]],
        lexical: Sequence[tuple[str, float]],
        k: int,
        quoted: Sequence[str] = (),
    ) -> list[Hit]:
        rrf_k = self.settings.rrf_k
        scores: dict[str, float] = {}
        dense_rank = {cid: i + 1 for i, (cid, _) in enumerate(dense)}
        lexical_rank = {cid: i + 1 for i, (cid, _) in enumerate(lexical)}
        sim = dict(dense)
        for ranks in (dense_rank, lexical_rank):
            for cid, rank in ranks.items():
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank)
        # Someone pasting a line to find who said it wants that passage first, whatever RRF
        # makes of two rankers' disagreement: a verbatim phrase match outranks everything.
        for cid in scores:
            text = squash(state.chunks[state.row[cid]].text)
            if any(p in text for p in quoted):
                scores[cid] += 1.0
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [
            Hit(
                chunk=state.chunks[state.row[cid]],
                score=score,
                dense_rank=dense_rank.get(cid),
                lexical_rank=lexical_rank.get(cid),
                similarity=sim.get(cid),
            )
            for cid, score in best
        ]
