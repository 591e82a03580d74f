"""The answering service: one protocol for the engine and its thread, limits without a gateway."""

from __future__ import annotations

import inspect
from pathlib import Path

from bot.answer.answerer import Answerer
from bot.answer.engine import Engine
from bot.surfaces.discord.answering import Answering
from bot.surfaces.discord.engine_thread import EngineThread
from tests.discord.helpers import bot_settings


def _params(fn: object) -> list[tuple[str, object, object]]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def test_engine_and_engine_thread_offer_the_same_calls() -> None:
    """Every protocol call exists on both with the same parameters, so no option is lost."""
    for name in ("answer", "best_quote", "aclose"):
        expected = _params(getattr(Answerer, name))
        assert _params(getattr(Engine, name)) == expected, name
        assert _params(getattr(EngineThread, name)) == expected, name


async def test_engine_thread_is_an_answerer(seeded_data_dir: Path, tmp_path: Path) -> None:
    """Both implementations pass the runtime protocol check and report the same mode."""
    engine = Engine(bot_settings(seeded_data_dir, tmp_path))
    worker = EngineThread(engine)
    try:
        assert isinstance(engine, Answerer) and isinstance(worker, Answerer)
        assert worker.mode == engine.mode == "extractive"
        quote = await worker.best_quote("open source")
        assert quote is not None and quote.quote
    finally:
        await worker.aclose()


def test_refusal_starts_the_cooldown_only_for_accepted_questions(
    seeded_data_dir: Path, tmp_path: Path
) -> None:
    """An empty question costs nothing; an accepted one makes the next wait."""
    answering = Answering(bot_settings(seeded_data_dir, tmp_path, cooldown_s=30.0), None)
    assert answering.refusal(1, "   ") is not None
    assert answering.refusal(1, "What about open source?") is None
    refused = answering.refusal(1, "And Europe?")
    assert refused is not None and refused.quiet and "try again in 30 s" in refused.line
    assert answering.refusal(2, "What about open source?") is None
