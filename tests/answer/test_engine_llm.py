"""The answer engine in LLM mode: the seeded store, and a scripted model on loopback.

Scripted replies are built from the excerpts the engine actually sent, so the tests hold whatever
order retrieval returns the passages in.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.answer.engine import REFUSAL, Engine
from bot.answer.llm import LLMError
from bot.answer.verify import normalize_for_match
from bot.records import Answer, Citation, Turn
from bot.retrieve.search import QueryError
from bot.settings import load_settings
from tests.fakes.openai_server import FakeOpenAI, Hang, HttpError, Malformed, Reply, Text

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
KEY = "sk-test-SECRET-0123456789abcdef"

YANN_Q = "What does Yann LeCun think about legislating open source?"
YANN = "So if you legislate open source out of existence because of fears, you slow down progress"
EMAD_Q = "What does Emad predict about small models over the next five years?"
EMAD = "I think that small models will outperform large models massively"
EMAD_AT = 44 * 60 + 28  # "Starting point is 00:44:28" in seeds/000
EU_Q = "What did Emad Mostaque say about the European Union regulating generative AI?"
EU = "The European Union introducing a C-E mark slash generative AI restrictions"
NOT_COVERED_TEXT = "The discussions don't cover that"

MakeEngine = Callable[..., Engine]


@pytest.fixture
async def make_engine(
    openai_server: FakeOpenAI, seeded_data_dir: Path
) -> AsyncIterator[MakeEngine]:
    """Engines on the seeded store talking to the scripted model; closed after the test."""
    made: list[Engine] = []

    def make(**overrides: object) -> Engine:
        values: dict[str, object] = {
            "data_dir": seeded_data_dir,
            "seeds_dir": SEEDS,
            "openai_base_url": openai_server.base_url,
            "openai_api_key": KEY,
            "model": "fake-model",
            "llm_timeout_s": 5.0,
            "llm_max_retries": 0,
        }
        values.update(overrides)
        made.append(Engine(load_settings(**values)))
        return made[-1]

    yield make
    for engine in made:
        await engine.aclose()


# --- reading the request the way a model would ---------------------------------------------


def excerpt_message(body: dict[str, Any]) -> str:
    return str(body["messages"][1]["content"])


def excerpt_blocks(body: dict[str, Any]) -> dict[int, str]:
    """Excerpt number → header and text, as sent in the excerpt message."""
    found = re.finditer(r"(?ms)^\[(\d+)\] (.*?)(?=^\[\d+\] |^<<<END )", excerpt_message(body))
    return {int(m.group(1)): m.group(2) for m in found}


def excerpt_with(body: dict[str, Any], phrase: str) -> int:
    """The number of the first excerpt sent that contains ``phrase``."""
    for n, block in excerpt_blocks(body).items():
        if phrase in block:
            return n
    raise AssertionError(f"no excerpt sent contains {phrase!r}")


def excerpt_without(body: dict[str, Any], phrase: str) -> int:
    for n, block in excerpt_blocks(body).items():
        if phrase not in block:
            return n
    raise AssertionError(f"every excerpt contains {phrase!r}")


def answering(make: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], Reply]:
    """A responder for answer requests; a non-streamed (condense) request gets the question."""

    def respond(body: dict[str, Any]) -> Reply:
        if not body.get("stream"):
            return Text(body["messages"][-1]["content"].rsplit(":", 1)[-1].strip())
        return Text(make(body))

    return respond


def quoting(phrase: str, template: str = 'They said "{q}" [{n}].') -> Callable[..., Reply]:
    return answering(lambda body: template.format(q=phrase, n=excerpt_with(body, phrase)))


def file_slice(c: Citation) -> str:
    assert c.char_start is not None and c.char_end is not None
    return (SEEDS / c.source).read_text(encoding="utf-8")[c.char_start : c.char_end]


def norm(text: str) -> str:
    return normalize_for_match(text)[0].strip(" .,")


def assert_one_line_secret_free(exc: LLMError) -> None:
    message = str(exc)
    assert message and "\n" not in message
    assert KEY not in message and "SECRET" not in message


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the request ---------------------------------------------------------------------------


async def test_request_layout_keeps_system_message_clean(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """The request sent has the canary in the system message and no question or transcript."""
    openai_server.responder = quoting(YANN)
    engine = make_engine()
    answer = await engine.answer(YANN_Q)
    (request,) = openai_server.chat_requests
    system, excerpts, final = request.messages
    assert system["role"] == "system"
    prompt = answer.trace.prompt if answer.trace else None
    assert prompt is not None and prompt.canary in system["content"]
    assert YANN_Q not in system["content"] and YANN not in system["content"]
    assert YANN in excerpts["content"]
    assert final["content"].startswith(f"Question: {YANN_Q}")


# --- verification ----------------------------------------------------------------------------


async def test_true_quote_verified_with_timestamp_and_file_span(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A real quote is kept with its footnote: timestamp, label and an exact file span."""
    openai_server.responder = quoting(EMAD, 'Emad was bullish: "{q}" [{n}].')
    answer = await make_engine().answer(EMAD_Q)
    assert answer.grounded and answer.mode == "llm"
    assert answer.text == f'Emad was bullish: "{EMAD}" [1].'
    (cite,) = answer.citations
    assert (cite.n, cite.verified, cite.source) == (1, True, "000_fda30917f4cc1cf7.txt")
    assert cite.start == EMAD_AT
    assert cite.label == "No Priors"
    assert cite.quote == EMAD
    assert norm(file_slice(cite)) == norm(EMAD)


async def test_fabricated_quote_is_removed(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A quote nobody said disappears with its clause; the real one stays cited."""
    fake = "open source should be banned everywhere in Europe"
    openai_server.responder = answering(
        lambda body: (
            f'Yann warned that "{YANN}" [{excerpt_with(body, YANN)}]. '
            f'He also claimed that "{fake}" [{excerpt_with(body, YANN)}].'
        )
    )
    answer = await make_engine().answer(YANN_Q)
    assert answer.grounded
    assert "banned" not in answer.text and "also claimed" not in answer.text
    assert answer.text == f'Yann warned that "{YANN}" [1].'
    assert [c.quote for c in answer.citations] == [YANN]


async def test_misattributed_quote_is_reattributed(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A real quote cited to the wrong excerpt is kept and footnoted where it really is."""
    cited: list[int] = []

    def wrong(body: dict[str, Any]) -> str:
        cited.append(excerpt_without(body, YANN))
        return f'Yann said "{YANN}" [{cited[-1]}].'

    openai_server.responder = answering(wrong)
    answer = await make_engine().answer(YANN_Q)
    assert answer.grounded
    assert answer.text == f'Yann said "{YANN}" [1].'
    (cite,) = answer.citations
    assert cite.speaker == "Yann LeCun"
    assert norm(file_slice(cite)) == norm(YANN)
    blocks = excerpt_blocks(openai_server.chat_requests[0].json)
    assert YANN not in blocks[cited[0]]  # the model really did cite a passage without it


async def test_curly_quotes_and_apostrophes_are_normalised(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """Typographic quotes around the quote and inside it still verify."""
    phrase = "the bad guys are gonna get access to it anyway, and they're just gonna catch up"
    curly = phrase.replace("'", "’")
    openai_server.responder = answering(
        lambda body: f"Yann argued “{curly}” [{excerpt_with(body, phrase)}]."
    )
    answer = await make_engine().answer(YANN_Q)
    assert answer.grounded
    (cite,) = answer.citations
    assert cite.quote == phrase  # the footnote carries the file's own spelling
    assert file_slice(cite) == phrase


async def test_nbsp_and_non_breaking_hyphen_are_normalised(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """NBSP for spaces and U+2011 for a hyphen do not stop a quote from verifying."""
    phrase = "you will see chat GPT-level models running on the edge on smartphones"
    typeset = phrase.replace(" ", "\u00a0").replace("-", "\u2011")
    openai_server.responder = answering(
        lambda body: f'Emad predicted "{typeset}" [{excerpt_with(body, "GPT-level models")}].'
    )
    answer = await make_engine().answer(EMAD_Q)
    assert answer.grounded
    (cite,) = answer.citations
    assert cite.quote == phrase
    assert cite.start == EMAD_AT
    assert norm(file_slice(cite)) == norm(phrase)


# --- refusing ---------------------------------------------------------------------------------


async def test_not_covered_reply_is_not_grounded(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """The model's NOT_COVERED becomes the not-covered answer with no citations."""
    openai_server.default = "NOT_COVERED"
    answer = await make_engine().answer(YANN_Q)
    assert not answer.grounded
    assert answer.citations == []
    assert answer.text.startswith(NOT_COVERED_TEXT)


async def test_reply_without_verified_quote_is_not_grounded(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A reply whose only quote is invented, plus paraphrase, is refused rather than shown."""
    openai_server.default = (
        'Yann thinks regulation is fine [1]. He said "we should license every model" [1].'
    )
    answer = await make_engine().answer(YANN_Q)
    assert not answer.grounded
    assert answer.citations == []
    assert "license every model" not in answer.text and "regulation is fine" not in answer.text


async def test_unrelated_question_is_not_grounded_without_calling_model(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """Nothing relevant retrieved: not grounded, and the model is never asked."""
    answer = await make_engine().answer("what is the capital of peru?")
    assert not answer.grounded and answer.mode == "llm"
    assert answer.citations == []
    assert openai_server.chat_requests == []


async def test_canary_leak_is_replaced_by_refusal(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A reply that repeats the prompt's canary is never shown."""
    engine = make_engine()

    def leak(body: dict[str, Any]) -> str:
        canary = re.search(r"cnry-[0-9a-f]+", body["messages"][0]["content"])
        assert canary
        return f'Yann said "{YANN}" [{excerpt_with(body, YANN)}]. The marker is {canary.group()}.'

    openai_server.responder = answering(leak)
    answer = await engine.answer(YANN_Q)
    assert not answer.grounded
    assert answer.text == REFUSAL


# --- personas ----------------------------------------------------------------------------------


async def test_persona_sends_only_that_speakers_lines(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """Persona mode: every excerpt is the persona's own words; others' lines are not sent."""
    openai_server.responder = quoting(YANN, 'I said "{q}" [{n}].')
    answer = await make_engine().answer(YANN_Q, persona="yann")
    body = openai_server.chat_requests[0].json
    blocks = excerpt_blocks(body)
    assert blocks
    for block in blocks.values():
        assert block.split("\n", 1)[0].endswith("— Yann LeCun"), block
    # Nicholas Thompson's question sits in the same chunk as Yann's answer in the file.
    assert "push back or augment Yann's arguments" not in excerpt_message(body)
    assert "Yann LeCun" in body["messages"][0]["content"]
    assert answer.persona == "Yann LeCun" and answer.grounded
    assert answer.notice and "Yann LeCun" in answer.notice


async def test_unknown_persona_lists_available(make_engine: MakeEngine) -> None:
    """An unknown persona is a QueryError that names the personas there are."""
    with pytest.raises(QueryError) as info:
        await make_engine().answer(YANN_Q, persona="Socrates")
    message = str(info.value)
    assert "Socrates" in message
    for name in ("Yann LeCun", "Emad Mostaque", "Daphne Koller"):
        assert name in message


# --- streaming ---------------------------------------------------------------------------------


async def test_stream_shows_growing_safe_text(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """on_text gets growing prefixes of the reply; an open quote is never shown half-written."""
    intro = (
        "On legislation Yann LeCun was blunt, and he made the case for open research at "
        "some length before the panel moved on to other topics of the day, saying"
    )
    outro = (
        "and he went on to argue that the bad actors would get the technology anyway, so "
        "slowing down open research would only hurt everyone else who builds on it."
    )
    long_quote = (
        "So if you legislate open source out of existence because of fears, you slow down "
        "progress, and the bad guys are gonna get access to it anyway"
    )
    reply: list[str] = []

    def write(body: dict[str, Any]) -> str:
        reply.append(f'{intro} "{long_quote}" [{excerpt_with(body, long_quote)}], {outro}')
        return reply[0]

    openai_server.responder = lambda body: Text(write(body), delay_s=0.03)
    shown: list[str] = []
    answer = await make_engine().answer(YANN_Q, on_text=shown.append)

    assert answer.grounded and long_quote in answer.text
    assert len(shown) >= 3
    for before, after in itertools.pairwise(shown):
        assert len(after) > len(before)
    for text in shown:
        assert reply[0].startswith(text)
        if '"' in text:  # a quote is shown only once it is closed and verified
            assert f'"{long_quote}"' in text
    assert any('"' not in t for t in shown) and any(long_quote in t for t in shown)


async def test_stream_scare_quote_does_not_stall_or_open_a_quote(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A short scare quote is shown once closed, and the text after it keeps streaming."""
    words = " ".join(f"w{i}" for i in range(30))
    reply = f'Yann called the "open" approach essential, {words}, and he added more words here.'
    openai_server.responder = slowed(
        answering(lambda body: f'{reply} "{YANN}" [{excerpt_with(body, YANN)}], {words}.')
    )
    shown: list[str] = []
    await make_engine().answer(YANN_Q, on_text=shown.append)
    assert shown
    for text in shown:
        assert text.count('"') % 2 == 0, text
    assert any("w20" in t and YANN[:20] not in t for t in shown)  # not held back until the end


async def test_async_on_text_is_awaited(openai_server: FakeOpenAI, make_engine: MakeEngine) -> None:
    """A coroutine callback is awaited, so surfaces can edit messages as text arrives."""
    words = " ".join(f"word{i}" for i in range(40))
    openai_server.responder = slowed(quoting(YANN, words + ' and Yann said "{q}" [{n}].'))
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    answer = await make_engine().answer(YANN_Q, on_text=on_text)
    assert answer.grounded
    assert seen and seen[0].startswith("word0")


def slowed(responder: Callable[[dict[str, Any]], Reply]) -> Callable[[dict[str, Any]], Reply]:
    """The same replies, streamed a word at a time with a pause between words."""

    def respond(body: dict[str, Any]) -> Reply:
        reply = responder(body)
        assert isinstance(reply, Text)
        return Text(reply.text, delay_s=0.03) if body.get("stream") else reply

    return respond


# --- failures of the model endpoint ------------------------------------------------------------


async def test_endpoint_down_is_one_line_error(make_engine: MakeEngine) -> None:
    """A closed port: LLMError naming the host, one line, no key."""
    port = closed_port()
    engine = make_engine(openai_base_url=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(LLMError) as info:
        await engine.answer(YANN_Q)
    assert info.value.kind == "connection"
    assert f"127.0.0.1:{port}" in str(info.value)
    assert_one_line_secret_free(info.value)


async def test_rate_limit_then_success_answers(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A 429 is retried and the retry's reply becomes the answer."""
    openai_server.enqueue(HttpError(429, "slow down", retry_after=0))
    openai_server.responder = quoting(YANN)
    answer = await make_engine(llm_max_retries=2).answer(YANN_Q)
    assert answer.grounded
    assert len(openai_server.chat_requests) == 2


async def test_server_error_is_one_line_error(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A 500 that persists: LLMError with the status, one line, no key."""
    openai_server.default = HttpError(500, f"internal error for key {KEY}")
    with pytest.raises(LLMError) as info:
        await make_engine().answer(YANN_Q)
    assert info.value.kind == "server" and info.value.status == 500
    assert "HTTP 500" in str(info.value)
    assert_one_line_secret_free(info.value)


async def test_malformed_stream_is_one_line_error(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """Garbage in the event stream: LLMError kind malformed, nothing half-shown as an answer."""
    openai_server.default = Malformed()
    shown: list[str] = []
    with pytest.raises(LLMError) as info:
        await make_engine().answer(YANN_Q, on_text=shown.append)
    assert info.value.kind == "malformed"
    assert_one_line_secret_free(info.value)


async def test_timeout_is_one_line_error(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A model that never answers: LLMError kind timeout after the configured time."""
    openai_server.default = Hang(30)
    with pytest.raises(LLMError) as info:
        await make_engine(llm_timeout_s=0.5).answer(YANN_Q)
    assert info.value.kind == "timeout"
    assert "0.5 s" in str(info.value)
    assert_one_line_secret_free(info.value)


# --- conversation --------------------------------------------------------------------------


async def test_follow_up_is_condensed_for_retrieval(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A follow-up asks the model for a standalone question and retrieves with its output."""
    history = [Turn(YANN_Q, f'Yann said "{YANN}" [1].')]
    follow_up = "and what did he say about Europe?"

    def respond(body: dict[str, Any]) -> Reply:
        if not body.get("stream"):
            return Text(EU_Q)
        return Text(f'Emad said "{EU}" [{excerpt_with(body, EU)}].')

    openai_server.responder = respond
    answer = await make_engine().answer(follow_up, history=history)
    condense, generate = openai_server.chat_requests
    assert not condense.json.get("stream")
    assert follow_up in condense.prompt and YANN_Q in condense.prompt
    assert EU in excerpt_message(generate.json)  # retrieved with the condensed question
    assert f"Question: {follow_up}" in generate.messages[-1]["content"]
    assert answer.grounded and answer.citations[0].quote == EU


async def test_follow_up_condense_failure_still_answers(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """If condensing fails the follow-up is searched with the previous question as context."""
    openai_server.enqueue(HttpError(400, "bad request"))
    openai_server.responder = quoting(YANN)
    history = [Turn(YANN_Q, "He was against it.")]
    answer = await make_engine().answer("and why does he think that?", history=history)
    assert answer.grounded
    assert len(openai_server.chat_requests) == 2


async def test_a_slow_condense_call_is_given_up_within_its_budget(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """Rewriting a follow-up is worth a second or two, not the answer's whole timeout: a model
    that never answers the condense call is abandoned after rewrite_timeout_s, and the follow-up
    is searched with the previous question as context."""
    openai_server.enqueue(Hang(60))
    openai_server.responder = quoting(YANN)
    history = [Turn(YANN_Q, "He was against it.")]
    engine = make_engine(llm_timeout_s=60.0, rewrite_timeout_s=0.5)
    async with asyncio.timeout(20):  # without the budget the condense call waits 60 s
        answer = await engine.answer("and why does he think that?", history=history)
    assert answer.grounded
    assert [bool(r.json.get("stream")) for r in openai_server.chat_requests] == [False, True]


async def test_standalone_question_is_not_condensed(
    openai_server: FakeOpenAI, make_engine: MakeEngine
) -> None:
    """A question with no follow-up cue goes straight to the answer request."""
    openai_server.responder = quoting(EMAD)
    history = [Turn(YANN_Q, "He was against it.")]
    await make_engine().answer(EMAD_Q, history=history)
    assert [bool(r.json.get("stream")) for r in openai_server.chat_requests] == [True]


async def test_history_is_bounded(openai_server: FakeOpenAI, make_engine: MakeEngine) -> None:
    """Only the last history_turns turns reach the prompt."""
    openai_server.responder = quoting(EMAD)
    history = [
        Turn(f"Earlier question number {i}?", f"Earlier answer number {i}.") for i in range(5)
    ]
    answer: Answer = await make_engine(history_turns=2).answer(EMAD_Q, history=history)
    assert answer.grounded
    final = openai_server.chat_requests[-1].messages[-1]["content"]
    for i in (3, 4):
        assert f"Earlier question number {i}?" in final
        assert f"Earlier answer number {i}." in final
    for i in (0, 1, 2):
        assert f"number {i}" not in openai_server.chat_requests[-1].prompt
