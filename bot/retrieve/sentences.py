"""Second-stage sentence scorer: each candidate passage scored by its best sentence.

A chunk's vector averages about 190 tokens, so when the answer is one sentence in a long turn
(a short question: "emad on deepfakes?"), the sentence's signal is diluted by everything around
it and the chunk ranks low in dense search. Scoring the candidates that the two first-stage
rankers already found by their closest sentence gives that sentence its own say, as a third
ranking fused with the other two.

The sentence vectors are the ones ingest already caches for the offline answerer
(bot/index/sentences.py), and the question's vector is the one dense search just computed, so this
stage embeds nothing: it is a cache lookup and a small matrix product over a bounded candidate
pool, the same cost at any corpus size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from bot.ingest.sentences import sentence_texts
from bot.records import Chunk

POOL = 20  # candidates taken from the top of each first-stage ranking
KEPT = 4096  # chunks whose sentence vectors stay in memory between questions


class SentenceRanker:
    def __init__(
        self,
        embed: Callable[[Sequence[str]], np.ndarray],
        widen: Callable[[Chunk], Chunk],
    ) -> None:
        """``embed``: cached sentence vectors (unit length); ``widen``: a chunk with its cut-off
        first and last sentences completed (the sentences ingest cached are those of the widened
        chunk)."""
        self._embed = embed
        self._widen = widen
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _vectors(self, chunks: Sequence[Chunk]) -> list[np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for c in chunks:
                hit = self._kept.get(c.id)
                if hit is not None:
                    self._kept.move_to_end(c.id)
                    out[c.id] = hit
        todo = [c for c in chunks if c.id not in out]
        if todo:
            texts = [sentence_texts(self._widen(c)) for c in todo]
            flat = [t for ts in texts for t in ts]
            matrix = self._embed(flat) if flat else np.zeros((0, 384), dtype=np.float32)
            at = 0
            with self._lock:
                for c, ts in zip(todo, texts, strict=True):
                    out[c.id] = matrix[at : at + len(ts)]
                    at += len(ts)
                    self._kept[c.id] = out[c.id]
                while len(self._kept) > KEPT:
                    self._kept.popitem(last=False)
        return [out[c.id] for c in chunks]

    def rank(self, question: np.ndarray, chunks: Sequence[Chunk]) -> list[tuple[str, float]]:
        """``chunks`` (chunk id, best sentence's cosine similarity), best first; a chunk with no
        sentence long enough to score is left out."""
        scored: list[tuple[str, float]] = []
        for c, vectors in zip(chunks, self._vectors(chunks), strict=True):
            if len(vectors):
                scored.append((c.id, float(np.max(vectors @ question))))
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return scored
