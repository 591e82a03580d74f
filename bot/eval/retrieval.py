"""recall@k and MRR for dense-only, BM25-only and hybrid retrieval on a QA file."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.eval.qa import QA, overlaps
from bot.records import Hit
from bot.retrieve.search import Retriever

MODES = ("dense", "lexical", "hybrid")


def covered(hits: Sequence[Hit], qa: QA) -> tuple[float, float]:
    """(share of evidence spans overlapped by a hit, reciprocal rank of the first such hit)."""
    found = 0
    first = 0
    for ev in qa.evidence:
        for rank, h in enumerate(hits, 1):
            c = h.chunk
            if c.source == ev.source and overlaps(
                c.char_start, c.char_end, ev.char_start, ev.char_end
            ):
                found += 1
                first = rank if not first else min(first, rank)
                break
    return found / len(qa.evidence), (1.0 / first if first else 0.0)


@dataclass(slots=True)
class ModeResult:
    recall: float
    mrr: float
    misses: list[str] = field(default_factory=list)
    top_similarity_answerable: float | None = None
    top_similarity_unanswerable: float | None = None


def evaluate(retriever: Retriever, qas: Sequence[QA], k: int = 5) -> dict[str, ModeResult]:
    answerable = [q for q in qas if q.answerable]
    results: dict[str, ModeResult] = {}
    for mode in MODES:
        recalls, rrs, misses = [], [], []
        sims: dict[bool, list[float]] = {True: [], False: []}
        for qa in qas:
            hits = retriever.search(qa.question, k, mode=mode)  # type: ignore[arg-type]
            top = [h.similarity for h in hits if h.similarity is not None]
            if top:
                sims[qa.answerable].append(max(top))
            if not qa.answerable:
                continue
            r, rr = covered(hits, qa)
            recalls.append(r)
            rrs.append(rr)
            if r < 1:
                misses.append(qa.id)
        results[mode] = ModeResult(
            recall=statistics.fmean(recalls) if recalls else 0.0,
            mrr=statistics.fmean(rrs) if rrs else 0.0,
            misses=misses,
            top_similarity_answerable=statistics.fmean(sims[True]) if sims[True] else None,
            top_similarity_unanswerable=statistics.fmean(sims[False]) if sims[False] else None,
        )
    del answerable
    return results
