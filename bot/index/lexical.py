"""BM25 over the same chunks as the vectors (bm25s, English stop words, Snowball stemming).

Dense retrieval misses rare names and numbers ("GTP3", "4.3 billion"); BM25 catches them. The index
is rebuilt from the catalog when the catalog's generation changes (a few hundred ms for the seeds
×100), so it can never drift from the live chunk set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

_stemmer = Stemmer.Stemmer("english")
# The usual k1 = 1.2 of the BM25 literature (bm25s defaults to 1.5), chosen on the tuning sets:
# same recall@5 on both, MRR +0.01 (docs/retrieval.md).
K1, B = 1.2, 0.75
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


def _tokenize(texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer, show_progress=False, allow_empty=True
    )


class LexicalIndex:
    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=K1, b=B)
        if self.size:
            self._bm25.index(_tokenize(texts), show_progress=False)

    def query(self, text: str, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``n`` (row, score) with score > 0; ``mask`` (0/1 per row) restricts the rows."""
        if not self.size or n <= 0:
            return []
        # Strings, not ids: ids from a fresh tokenize would index a different vocabulary.
        query_tokens = bm25s.tokenize(
            [text], stopwords="en", stemmer=_stemmer, show_progress=False, return_ids=False
        )
        if not query_tokens[0]:
            return []
        k = min(n, self.size)
        docs, scores = self._bm25.retrieve(
            query_tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1
        )
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
