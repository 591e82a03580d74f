"""A slow, endless or hostile model cannot hold a request, a core or a Discord channel: one
deadline per request (retries included), one for the whole reply, a client-side size cap, and an
output guard that does linear work on a streamed reply."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer import output_guard
from bot.answer.llm import LLM, LLMError, reply_byte_cap, reply_token_cap
from bot.answer.output_guard import OutputGuard
from bot.settings import LLMSettings, SettingsError, load_settings
from bot.surfaces.discord.split import split_message
from tests.fakes.openai_server import FakeOpenAI, Hang, Text

MESSAGES = [{"role": "user", "content": "What did Emad say about small models?"}]


def llm_for(server: FakeOpenAI, **overrides: object) -> LLM:
    values: dict[str, object] = {
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test-0123456789",
        "model": "fake-model",
    }
    return LLM(LLMSettings(_env_file=None, **(values | overrides)))  # type: ignore[arg-type]


async def drain(llm: LLM) -> str:
    try:
        return "".join([d async for d in llm.stream(MESSAGES)])
    finally:
        await llm.aclose()


async def test_retries_stay_inside_one_timeout(openai_server: FakeOpenAI) -> None:
    """A 1 s timeout with 2 retries used to take 3 attempts plus backoff (10 s → 34.5 s)."""
    openai_server.enqueue(Hang(30), Hang(30), Hang(30))
    llm = llm_for(openai_server, llm_timeout_s=1.0, llm_max_retries=2)
    began = time.monotonic()
    with pytest.raises(LLMError) as info:
        await drain(llm)
    waited = time.monotonic() - began
    assert waited < 2.5, f"gave up after {waited:.1f} s, not ~1 s"
    err = info.value
    assert err.kind == "timeout" and "retries included" in str(err)
    stated = float(str(err).split("gave up after ")[1].split(" s")[0])
    assert abs(stated - waited) < 0.5, "the message states the time really waited"


async def test_a_trickling_model_is_cut_at_the_deadline(openai_server: FakeOpenAI) -> None:
    """One token every 0.4 s never trips the between-deltas timeout, only the overall one."""
    openai_server.enqueue(Text("word " * 200, deltas=200, delay_s=0.4))
    llm = llm_for(openai_server, llm_timeout_s=2.0, llm_deadline_s=1.5)
    began = time.monotonic()
    with pytest.raises(LLMError) as info:
        await drain(llm)
    assert time.monotonic() - began < 3.0
    assert info.value.kind == "timeout" and "PANELIST_LLM_DEADLINE_S" in str(info.value)


async def test_a_runaway_reply_is_capped_on_the_client(openai_server: FakeOpenAI) -> None:
    """The server ignores max_tokens and sends 40 KB: we stop reading at the cap, and what is
    left fits in a few Discord messages instead of 21."""
    openai_server.enqueue(Text("All work and no play makes a dull bot. " * 1050, deltas=4000))
    text = await drain(llm_for(openai_server, answer_max_tokens=700))
    assert len(text.encode()) <= reply_byte_cap(700)
    from bot.tokens import count_tokens

    assert count_tokens(text) <= reply_token_cap(700)
    assert len(split_message(text)) <= 3


async def test_one_huge_delta_is_capped_too(openai_server: FakeOpenAI) -> None:
    openai_server.enqueue(Text("x" * 200_000, deltas=1))
    text = await drain(llm_for(openai_server, answer_max_tokens=100))
    assert len(text) <= reply_byte_cap(100)


def _guard(prompt_words: int = 400) -> OutputGuard:
    rng = random.Random(7)
    prompt = " ".join(f"secretword{rng.randrange(10_000)}" for _ in range(prompt_words))
    return OutputGuard(
        system_prompt=prompt, canary="cnry-0123456789abcdef", allowed_urls=(), refusal_text="no"
    )


def _guard_work(n_chars: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Characters the guard's word splitter handles while a reply streams in 4-char deltas."""
    work = 0
    real = output_guard._words

    def counting(text: str) -> list[str]:
        nonlocal work
        work += len(text)
        return real(text)

    monkeypatch.setattr(output_guard, "_words", counting)
    guard = _guard()
    reply = ("the panel said small models win on the edge " * (n_chars // 44 + 1))[:n_chars]
    for i in range(0, len(reply), 4):
        assert not guard.feed(reply[i : i + 4])
    return work


def test_streamed_guard_work_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doubling a 100 KB reply at most ~doubles the guard's work (it was quadratic)."""
    small = _guard_work(100_000, monkeypatch)
    large = _guard_work(200_000, monkeypatch)
    assert small <= 1.2 * 100_000, "each character is scanned about once"
    assert large / small <= 2.5


@settings(max_examples=150, deadline=None)
@given(
    filler=st.lists(st.sampled_from(["small", "models", "the", "edge", "\n", "  ", "é", "ﬁ"])),
    leak=st.sampled_from(["", "prompt", "canary", "spaced-canary"]),
    cuts=st.lists(st.integers(1, 40), min_size=1, max_size=50),
)
def test_streamed_guard_finds_what_the_whole_text_check_finds(filler, leak, cuts) -> None:
    """However the reply is cut into deltas, feeding it refuses exactly when check() does."""
    guard = _guard(40)
    words = " ".join(filler)
    prompt_run = " ".join(next(iter(guard._prompt_ngrams)))
    planted = {
        "": "",
        "prompt": prompt_run,
        "canary": "cnry-0123456789abcdef",
        "spaced-canary": " ".join("0123456789abcdef"),
    }[leak]
    reply = f"{words} {planted} {words}"
    whole = bool(_guard(40)._leaks(reply))
    pos, fed, i = 0, False, 0
    while pos < len(reply):
        step = cuts[i % len(cuts)]
        fed = guard.feed(reply[pos : pos + step]) or fed
        pos, i = pos + step, i + 1
    fed = fed or bool(guard._leaks(reply))  # the final check() sees the unscanned tail
    assert fed == whole
    assert whole == (leak != "")


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://[fe80::1%en0/v1", "http://host:99999999/v1"]
)
def test_malformed_base_url_is_one_line_naming_the_variable(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`OPENAI_BASE_URL=http://[::1` used to end as "unexpected ValueError"; the settings refuse
    it now, before any client is built."""
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "OPENAI_BASE_URL" in str(info.value) and "\n" not in str(info.value)
