"""`eval answers` against a scripted model on loopback: the metrics count what really happened."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.answer.engine import Engine
from bot.eval.answers import evaluate
from bot.eval.qa import load_qa
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def scripted_model(unanswerable: set[str]):
    """Quotes the first words of excerpt [1] truthfully, invents one quote, or says NOT_COVERED
    for questions it was told are unanswerable."""

    def respond(body: dict) -> str:
        messages = body["messages"]
        final = messages[-1]["content"]
        if any(q in final for q in unanswerable):
            return "NOT_COVERED"
        excerpts = next(m["content"] for m in messages if "<<<EXCERPTS-" in m["content"])
        first = re.search(r"^\[1\][^\n]*\n(.+)$", excerpts, re.M)
        words = " ".join(first.group(1).split()[:8]) if first else "nothing"
        return f'They said "{words}" [1], and also "a sentence nobody ever said aloud" [2].'

    return respond


def test_precision_recall_and_refusal_reflect_the_scripted_model(seeded_data_dir, openai_server):
    """One true and one invented quote per answer → precision 0.5; NOT_COVERED → refusals."""
    qas = load_qa(ROOT / "eval" / "dev_qa.jsonl", ROOT / "seeds")
    sample = [q for q in qas if q.answerable][:6] + [q for q in qas if not q.answerable][:3]
    openai_server.responder = scripted_model({q.question for q in sample if not q.answerable})
    settings = load_settings(
        data_dir=seeded_data_dir,
        seeds_dir=ROOT / "seeds",
        openai_base_url=openai_server.base_url,
        openai_api_key="test-key",
        model="fake-model",
    )

    async def run():
        engine = Engine(settings)
        try:
            return await evaluate(engine, sample)
        finally:
            await engine.aclose()

    result = asyncio.run(run())
    assert result.mode == "llm"
    assert result.errors == 0
    answered = result.answerable
    assert result.quotes == 2 * answered and result.verified == answered
    assert result.precision == 0.5
    assert result.refusal_accuracy == 1.0
    assert 0.0 <= result.recall <= 1.0
    assert openai_server.chat_requests, "the real openai client talked to the fake"
