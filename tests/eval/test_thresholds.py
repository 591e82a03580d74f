"""The quality floors CI enforces on questions the code was not tuned on (offline: local
embeddings, no LLM): the dev set's test split and the blind set eval/test_qa.jsonl.

Floors sit a little under the figures measured on 2026-11-30 (docs/retrieval.md,
docs/answers.md), so a regression fails and noise does not. Nothing may be fitted on these files.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.answer.engine import Engine
from bot.eval.answers import evaluate as evaluate_answers
from bot.eval.qa import load_qa
from bot.eval.retrieval import evaluate as evaluate_retrieval
from bot.index.store import Store
from bot.retrieve.search import Retriever

ROOT = Path(__file__).resolve().parents[2]
# file → floors: hybrid recall@5, hybrid MRR, citation recall, grounded and right, refusal
# Measured 2026-11-30 (night, docs/answers.md): dev_test 0.929 / 0.861 / 0.905 / 0.429 / 1.0,
# test_qa 0.878 / 0.711 / 0.776 / 0.211 / 0.962. The confidence model's stricter operating point
# (chosen on three tuning files with 166 unanswerable questions) traded grounded-and-right on
# test_qa (0.252 -> 0.211) for refusals (0.885 -> 0.962); its floors moved with it.
FLOORS = {
    "dev_test.jsonl": (0.90, 0.83, 0.80, 0.38, 1.0),
    "test_qa.jsonl": (0.85, 0.69, 0.74, 0.19, 0.92),
}


@pytest.mark.parametrize("name", list(FLOORS))
def test_hybrid_retrieval_floors(seeded_settings, name):
    qas = load_qa(ROOT / "eval" / name, ROOT / "seeds")
    recall, mrr = FLOORS[name][:2]
    store = Store(seeded_settings)
    try:
        hybrid = evaluate_retrieval(Retriever(store), qas, k=5)["hybrid"]
    finally:
        store.close()
    assert hybrid.recall >= recall, (hybrid.recall, hybrid.misses)
    assert hybrid.mrr >= mrr, hybrid.mrr


@pytest.mark.parametrize("name", list(FLOORS))
def test_extractive_answer_floors(seeded_settings, name):
    """Evidence quoted, confident-and-right share, refusals; every quote shown is verified."""
    qas = load_qa(ROOT / "eval" / name, ROOT / "seeds")
    _, _, cite, right, refusal = FLOORS[name]
    engine = Engine(seeded_settings)
    assert engine.mode == "extractive"

    async def run():
        try:
            return await evaluate_answers(engine, qas)
        finally:
            await engine.aclose()

    result = asyncio.run(run())
    assert result.recall >= cite, (result.recall, result.misses)
    assert result.grounded_right_share >= right, result.grounded_right_share
    assert result.refusal_accuracy >= refusal, result.false_answers
    assert result.precision == 1.0
    assert result.errors == 0
