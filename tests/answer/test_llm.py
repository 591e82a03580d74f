"""The LLM client against a real HTTP server speaking the OpenAI protocol on loopback."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.answer.llm import LLM, LLMError, describe_endpoint
from bot.settings import LLMSettings
from tests.fakes.openai_server import FakeOpenAI, Hang, HttpError, Malformed, Text, Truncated

KEY = "sk-test-SECRET-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "What did Emad say about small models?"}]


def make_settings(base_url: str, **overrides: object) -> LLMSettings:
    values: dict[str, object] = {
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": KEY,
        "model": "fake-model",
        "llm_timeout_s": 5.0,
        "llm_max_retries": 2,
    }
    values.update(overrides)
    return LLMSettings(_env_file=None, **values)  # type: ignore[arg-type]


MakeLLM = Callable[..., LLM]


@pytest.fixture
async def make_llm() -> AsyncIterator[MakeLLM]:
    """Build LLMs for one test and close their HTTP clients before its event loop ends."""
    made: list[LLM] = []

    def make(base_url: str, **overrides: object) -> LLM:
        made.append(LLM(make_settings(base_url, **overrides)))
        return made[-1]

    yield make
    for llm in made:
        await llm.aclose()


async def collect(llm: LLM) -> str:
    return "".join([d async for d in llm.stream(MESSAGES)])


async def failure(llm: LLM) -> LLMError:
    with pytest.raises(LLMError) as info:
        await collect(llm)
    return info.value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_stream_yields_deltas_in_order(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """Streamed deltas arrive separately and in order."""
    openai_server.enqueue(Text("small models will outperform large models", deltas=5))
    deltas = [d async for d in make_llm(openai_server.base_url).stream(MESSAGES)]
    assert len(deltas) == 5
    assert "".join(deltas) == "small models will outperform large models"


async def test_stream_sends_prompt_model_and_max_tokens(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """The request carries the messages, the configured model, streaming and max_tokens."""
    await collect(make_llm(openai_server.base_url, answer_max_tokens=123))
    body = openai_server.chat_requests[0].json
    assert body["messages"] == MESSAGES
    assert body["model"] == "fake-model"
    assert body["stream"] is True
    assert body["max_tokens"] == 123


async def test_complete_returns_whole_reply(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """The non-streaming call returns the full text."""
    openai_server.enqueue("What did Emad Mostaque say about model size?")
    llm = make_llm(openai_server.base_url)
    assert await llm.complete(MESSAGES, max_tokens=50) == (
        "What did Emad Mostaque say about model size?"
    )
    assert openai_server.chat_requests[0].json.get("stream") in (None, False)
    assert openai_server.chat_requests[0].json["max_tokens"] == 50


async def test_responder_model_answers_from_the_prompt(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A scripted model that reads the prompt gets the messages exactly as sent."""
    openai_server.responder = lambda body: body["messages"][-1]["content"].upper()
    reply = await collect(make_llm(openai_server.base_url))
    assert reply == MESSAGES[0]["content"].upper()


async def test_complete_cut_short_is_malformed(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A non-streamed body cut mid-JSON reports a broken reply, not an unreachable host."""
    openai_server.enqueue(Truncated("half an answer"))
    llm = make_llm(openai_server.base_url, llm_max_retries=0)
    with pytest.raises(LLMError) as info:
        await llm.complete(MESSAGES)
    assert info.value.kind == "malformed"


async def test_rate_limit_then_success_is_retried(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A 429 with Retry-After is retried by the client and the second answer is returned."""
    openai_server.enqueue(HttpError(429, "slow down", retry_after=0.01), "recovered")
    assert await collect(make_llm(openai_server.base_url)) == "recovered"
    assert len(openai_server.chat_requests) == 2


async def test_server_errors_exhaust_retries(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """Repeated 500s become an LLMError naming the status after every retry was used."""
    openai_server.enqueue(*[HttpError(500, "boom", retry_after=0.01)] * 3)
    err = await failure(make_llm(openai_server.base_url))
    assert len(openai_server.chat_requests) == 3
    assert "HTTP 500" in str(err)
    assert "3 attempts" in str(err)


async def test_rate_limit_after_retries_says_so(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A 429 that never clears says the endpoint is rate-limiting."""
    openai_server.enqueue(*[HttpError(429, retry_after=0.01)] * 3)
    err = await failure(make_llm(openai_server.base_url))
    assert err.kind == "rate_limit"
    assert "429" in str(err)


async def test_endpoint_down_is_one_line_naming_host(make_llm: MakeLLM) -> None:
    """Nothing listening gives one line naming host:port."""
    port = free_port()
    llm = make_llm(f"http://127.0.0.1:{port}/v1", llm_max_retries=0)
    err = await failure(llm)
    assert err.kind == "connection"
    assert f"127.0.0.1:{port}" in str(err)
    assert "\n" not in str(err)


async def test_hang_times_out(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """A model that never answers becomes a timeout error stating the limit."""
    openai_server.enqueue(Hang(30))
    llm = make_llm(openai_server.base_url, llm_timeout_s=0.3, llm_max_retries=0)
    began = time.monotonic()
    err = await failure(llm)
    assert time.monotonic() - began < 5
    assert err.kind == "timeout"
    assert "0.3 s" in str(err)


async def test_slow_but_steady_stream_is_not_a_timeout(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """Deltas arriving within the timeout of each other keep the stream alive."""
    openai_server.enqueue(Text("one two three four", deltas=4, delay_s=0.15))
    llm = make_llm(openai_server.base_url, llm_timeout_s=0.4, llm_max_retries=0)
    assert await collect(llm) == "one two three four"


async def test_garbage_in_stream_is_malformed(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """A non-JSON SSE data line becomes the malformed-stream error."""
    openai_server.enqueue(Malformed())
    err = await failure(make_llm(openai_server.base_url))
    assert err.kind == "malformed"
    assert "malformed stream" in str(err)


async def test_stream_without_finish_is_malformed(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A stream that stops without a finish reason or [DONE] is not taken as a whole answer."""
    openai_server.enqueue(Truncated("half an ans"))
    err = await failure(make_llm(openai_server.base_url))
    assert err.kind == "malformed"


async def test_dropped_connection_mid_stream_is_malformed(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A connection cut mid-body reports a broken stream, not an unreachable host."""
    openai_server.enqueue(Truncated("half an ans", abrupt=True))
    err = await failure(make_llm(openai_server.base_url, llm_max_retries=0))
    assert err.kind == "malformed"


async def test_empty_reply_is_an_error(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """A reply with no text is reported rather than shown as a blank answer."""
    openai_server.enqueue(Text("  \n "))
    err = await failure(make_llm(openai_server.base_url))
    assert err.kind == "empty"


async def test_empty_complete_is_an_error(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """The non-streaming call also refuses an empty reply."""
    openai_server.enqueue(Text(""))
    with pytest.raises(LLMError, match="empty reply"):
        await make_llm(openai_server.base_url).complete(MESSAGES)


async def test_rejected_key_is_named_without_the_key(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """A 401 says the key was rejected, and the key itself (echoed by the server) never shows."""
    openai_server.enqueue(HttpError(401, f"Incorrect API key provided: {KEY}"))
    err = await failure(make_llm(openai_server.base_url))
    assert err.kind == "auth"
    assert "rejected the API key" in str(err)
    assert KEY not in str(err)


async def test_unknown_model_names_setting(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """A 404 for the model names it and the setting to change."""
    openai_server.enqueue(
        HttpError(404, "The model `fake-model` does not exist", code="model_not_found")
    )
    err = await failure(make_llm(openai_server.base_url))
    assert "fake-model" in str(err)
    assert "PANELIST_MODEL" in str(err)


async def test_key_never_appears_in_any_error(openai_server: FakeOpenAI, make_llm: MakeLLM) -> None:
    """No failure mode leaks the API key, even when the server echoes it back."""
    echoed = f"bad request for key {KEY}"
    replies = [
        HttpError(400, echoed),
        HttpError(401, echoed),
        HttpError(403, echoed),
        HttpError(404, echoed),
        HttpError(422, echoed, body={"error": echoed}),
        HttpError(429, echoed, retry_after=0.01),
        HttpError(503, echoed, retry_after=0.01),
        Malformed(garbage=echoed),
        Truncated(echoed),
        Text(""),
    ]
    llm = make_llm(openai_server.base_url, llm_max_retries=0)
    for reply in replies:
        openai_server.enqueue(reply)
        err = await failure(llm)
        assert KEY not in str(err), reply
        assert "\n" not in str(err), reply


async def test_authorization_header_carries_key(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """The configured key is sent as a bearer token."""
    await collect(make_llm(openai_server.base_url))
    assert openai_server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_keyless_local_server_gets_placeholder(
    openai_server: FakeOpenAI, make_llm: MakeLLM
) -> None:
    """Without a key a local endpoint still works (the client needs some key to send)."""
    assert await collect(make_llm(openai_server.base_url, OPENAI_API_KEY=None)) == "OK"


def test_no_key_and_no_base_url_is_a_config_error() -> None:
    """With neither setting there is nothing to call, and the error says which to set."""
    settings = make_settings("", OPENAI_API_KEY=None, OPENAI_BASE_URL=None)
    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        LLM(settings)


def test_describe_endpoint_has_host_and_model_but_no_secret() -> None:
    """The banner line names model and host:port, never the key or URL credentials."""
    settings = make_settings("http://user:pw@127.0.0.1:11434/v1", model="llama3")
    line = describe_endpoint(settings)
    assert "llama3" in line
    assert "127.0.0.1:11434" in line
    assert KEY not in line
    assert "pw" not in line
