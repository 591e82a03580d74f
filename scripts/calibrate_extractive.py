"""Calibrate the offline answerer's confidence on the tuning split; print the curve.

    PYTHONPATH=. python scripts/calibrate_extractive.py eval/dev_tune.jsonl [--grid]

For each question it runs the extractive answer path and records the three signals the
confidence gate reads (best passage cosine, idf-weighted coverage of the question's words, best
sentence cosine) and whether the reply cites the evidence. It prints, for a sweep of one scalar
confidence (the smallest of the three signals, each divided by its bar), the share of questions
answered (grounded), the share of answerable questions grounded and right, and the share of
unanswerable questions wrongly answered. --grid searches the three bars on this file.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from bot.answer import extractive as E
from bot.answer.engine import Engine
from bot.eval.answers import cites_evidence
from bot.eval.qa import load_qa
from bot.settings import load_settings


async def signals(path: Path) -> list[tuple[float, float, float, bool, bool]]:
    settings = load_settings()
    qas = load_qa(path, settings.seeds_dir)
    engine = Engine(settings.offline())
    seen: dict[str, tuple[float, float, float]] = {}
    original = Engine._extract

    def spy(self, found):  # records what the gate reads
        from bot.answer import extractive
        from bot.records import Excerpt

        q = found.query
        named = self.retriever.speakers_named_in(q)
        wide = [Excerpt(e.n, self.retriever.widen(e.chunk)) for e in found.excerpts]
        picked = extractive.select(
            q, wide, prefer_speakers=named, embed=self.store.sentences.question_first
        )
        sims = [h.similarity for h in found.hits if h.similarity is not None]
        cov = extractive.weighted_coverage(q, wide, self._idf(), ignore=named)
        seen[q] = (max(sims, default=0.0), cov, picked.best_cosine)
        return original(self, found)

    Engine._extract = spy  # type: ignore[method-assign]
    out = []
    try:
        for qa in qas:
            answer = await engine.answer(qa.question)
            sim, cov, cos = seen.pop(qa.question, (0.0, 0.0, 0.0))
            out.append((sim, cov, cos, qa.answerable, qa.answerable and cites_evidence(answer, qa)))
    finally:
        await engine.aclose()
    return out


def confidence(sim: float, cov: float, cos: float, bars: tuple[float, float, float]) -> float:
    return min(sim / bars[0], cov / bars[1], cos / bars[2])


def curve(rows, bars) -> None:
    n_ans = sum(r[3] for r in rows)
    n_un = len(rows) - n_ans
    print("| threshold | answered (all) | grounded and right | unanswerable answered |")
    print("|---|---|---|---|")
    for t in (0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3):
        grounded = [r for r in rows if confidence(*r[:3], bars) >= t]
        right = sum(1 for r in grounded if r[4])
        wrong = sum(1 for r in grounded if not r[3])
        print(
            f"| {t:.2f} | {len(grounded) / len(rows):.2f} | {right / n_ans:.2f} ({right}/{n_ans})"
            f" | {wrong / n_un:.2f} ({wrong}/{n_un}) |"
        )


def grid(rows) -> tuple[float, float, float]:
    n_un = sum(1 for r in rows if not r[3])
    best = (-1, (0.0, 0.0, 0.0))
    for bars in itertools.product(
        [x / 100 for x in range(30, 56, 2)],
        [x / 100 for x in range(10, 52, 4)],
        [x / 100 for x in range(40, 64, 2)],
    ):
        grounded = [r for r in rows if confidence(*r[:3], bars) >= 1.0]
        wrong = sum(1 for r in grounded if not r[3])
        if wrong > 0.02 * n_un:  # refuse >= 98% of the tuning unanswerables
            continue
        right = sum(1 for r in grounded if r[4])
        # Ties go to the strictest bars: the margin is what carries over to new questions.
        score = (right, sum(bars))
        if score > best[0] if isinstance(best[0], tuple) else True:
            best = (score, bars)
    return best[1]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "eval/dev_tune.jsonl")
    rows = asyncio.run(signals(path))
    bars = (E.CONFIDENT_SIMILARITY, E.CONFIDENT_COVERAGE, E.CONFIDENT_SENTENCE)
    if "--grid" in sys.argv:
        bars = grid(rows)
        print("chosen bars (similarity, coverage, sentence):", bars)
    curve(rows, bars)


if __name__ == "__main__":
    main()
