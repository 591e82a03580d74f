"""The quality bars CI enforces on the dev QA set (offline: local embeddings, no LLM)."""

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
DEV = ROOT / "eval" / "dev_qa.jsonl"


@pytest.fixture(scope="module")
def qas():
    return load_qa(DEV, ROOT / "seeds")


def test_hybrid_recall_at_5_stays_above_085(seeded_settings, qas):
    """Hybrid recall@5 ≥ 0.85 on the dev set, and hybrid beats each retriever alone."""
    store = Store(seeded_settings)
    try:
        results = evaluate_retrieval(Retriever(store), qas, k=5)
    finally:
        store.close()
    assert results["hybrid"].recall >= 0.85, results["hybrid"].misses
    assert results["hybrid"].recall >= max(results["dense"].recall, results["lexical"].recall)


def test_extractive_answers_meet_the_offline_bars(seeded_settings, qas):
    """Extractive mode: evidence quoted for ≥ 70% of answerable questions, every unanswerable
    question comes back not grounded, and every quote shown is verified."""
    engine = Engine(seeded_settings)
    assert engine.mode == "extractive"

    async def run():
        try:
            return await evaluate_answers(engine, qas)
        finally:
            await engine.aclose()

    result = asyncio.run(run())
    assert result.recall >= 0.70, result.misses
    assert result.refusal_accuracy == 1.0, result.false_answers
    assert result.precision == 1.0
    assert result.errors == 0
