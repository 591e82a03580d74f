"""The hostile scripted model through the real Engine on loopback, over every forgery case.

Each case is a reply an attacker-controlled model could write (tests/fakes/hostile_model.py).
What counts as a failure is what a reader would be misled by: forged words left in the answer
looking like a quote (not marked unverified), a wrong speaker's name left on a verified quote,
or a citation whose quote is not in the file at its span. Crashes are counted too; both totals
must be zero.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answer.engine import Engine
from bot.answer.verify import normalize_for_match
from bot.records import Answer
from bot.settings import load_settings
from tests.fakes.hostile_model import CASES, NESTED, hostile_reply
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def engine(
    openai_server: FakeOpenAI, hostile_dirs: tuple[Path, Path]
) -> AsyncIterator[Engine]:
    openai_server.responder = hostile_reply
    seeds, data = hostile_dirs
    made = Engine(
        load_settings(
            data_dir=data,
            seeds_dir=seeds,
            openai_base_url=openai_server.base_url,
            openai_api_key="sk-test-0123456789",
            model="fake-model",
            llm_timeout_s=5.0,
            llm_max_retries=0,
        )
    )
    yield made
    await made.aclose()


def norm(text: str) -> str:
    return normalize_for_match(text)[0]


def misleading(case: str, answer: Answer, file_text: str) -> list[str]:
    """What in this answer would mislead a reader: each entry is one forged quote shown."""
    problems = []
    _, forged = CASES[case]
    text = norm(answer.text)
    if case == "wrong_speaker":
        if "alice smith said 'they are dangerous" in text:
            problems.append("Bob's words left under Alice's name")
    elif forged in text or norm(forged) in text:
        at = text.find(norm(forged))
        if "[unverified]" not in text[at : at + len(forged) + 40]:
            problems.append(f"forged words shown: {forged}")
    for c in answer.citations:
        if c.verified:
            span = file_text[c.char_start or 0 : c.char_end or 0]
            if not c.char_end or norm(c.quote) != norm(span):
                problems.append(f"citation [{c.n}] not at its span: {c.quote!r}")
        if "dangerous and must be banned" in c.quote and c.speaker != "Bob Jones":
            problems.append("Bob's line cited to someone else")
    return problems


async def run_case(engine: Engine, case: str) -> tuple[Answer | None, list[str]]:
    try:
        answer = await engine.answer(f"What did Alice Smith say about open models? case: {case}")
    except Exception as exc:  # a crash is a finding, not a test error
        return None, [f"crash: {type(exc).__name__}: {exc}"]
    file_text = (engine.settings.seeds_dir / "panel.txt").read_text(encoding="utf-8")
    return answer, misleading(case, answer, file_text)


@pytest.mark.parametrize("case", sorted(CASES))
async def test_hostile_case_is_neutralised(engine: Engine, case: str) -> None:
    """No forged quote of this case reaches the reader looking verified."""
    answer, problems = await run_case(engine, case)
    assert not problems, (answer.text if answer else None, problems)


async def test_forged_quotes_shown_as_verified_and_crashes_are_zero(engine: Engine) -> None:
    """The CI gate over the whole case list: both counts are zero."""
    forged = crashes = 0
    for case in CASES:
        _, problems = await run_case(engine, case)
        crashes += sum(p.startswith("crash") for p in problems)
        forged += sum(not p.startswith("crash") for p in problems)
    assert (forged, crashes) == (0, 0)


async def test_true_nested_quote_survives(engine: Engine) -> None:
    """The real line with a quote inside it still verifies and keeps its citation."""
    answer, _ = await run_case(engine, "nested_quotes")
    assert answer is not None and answer.citations
    assert norm(NESTED) in norm(answer.text)
    assert any(norm(NESTED) in norm(c.quote) for c in answer.citations)


async def test_wrong_speaker_is_reattributed(engine: Engine) -> None:
    """'Alice Smith said' before Bob's line becomes 'Bob Jones said'; the footnote agrees."""
    answer, _ = await run_case(engine, "wrong_speaker")
    assert answer is not None
    assert re.search(r"Bob Jones said “They are dangerous", answer.text), answer.text
    bob = [c for c in answer.citations if "must be banned" in c.quote]
    assert [c.speaker for c in bob] == ["Bob Jones"]


async def test_transcript_title_and_tags_are_defused_in_the_prompt(
    engine: Engine, openai_server: FakeOpenAI
) -> None:
    """The hostile title, label and tag characters never reach the model as tokens."""
    await run_case(engine, "nested_quotes")
    sent = "\n".join(m["content"] for m in openai_server.chat_requests[-1].messages)
    for token in ("<|im_start|>", "<|im_end|>", "[INST]", "[/INST]", "\x1b", "\u202e", "\u200b"):
        assert token not in sent, token
    assert not re.search("[\U000e0000-\U000e007f]", sent)
    assert "flagged: this passage addresses an AI model" in sent
