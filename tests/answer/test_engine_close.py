"""Closing the engine while answers are still retrieving: the store stays open until the worker
threads using it are done, and questions that arrive after shutdown began get one clear line.

Closing SQLite under a query running in a worker thread crashed the whole process (a Discord
bot shutting down with answers in flight)."""

from __future__ import annotations

import asyncio

from bot.answer.engine import Engine, EngineClosedError
from bot.errors import PanelistError

QUESTIONS = [
    "what does yann think about open source?",
    "what got emad interested in ai?",
    "how much vram do you need to run a model?",
    "what did stella say about eleutherai?",
]


async def test_close_with_answers_in_flight_waits_for_their_store_work(seeded_settings) -> None:
    for _round in range(3):
        engine = Engine(seeded_settings)  # owns (and so closes) its store
        tasks = [asyncio.create_task(engine.answer(q)) for q in QUESTIONS * 3]
        await asyncio.sleep(0.01)  # let some of them reach their worker threads
        await engine.aclose()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            # Finished, or refused cleanly; never a crash and never a non-user error.
            assert not isinstance(result, BaseException) or isinstance(result, PanelistError), repr(
                result
            )


async def test_question_after_close_is_refused_in_one_line(seeded_settings) -> None:
    engine = Engine(seeded_settings)
    await engine.aclose()
    try:
        await engine.answer("what does yann think about open source?")
    except EngineClosedError as exc:
        assert "shutting down" in str(exc)
    else:
        raise AssertionError("a closed engine answered")
