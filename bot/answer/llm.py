"""The one place that talks to the chat model, through any OpenAI-compatible endpoint.

Retries with backoff (429, 5xx, dropped connections, honouring Retry-After) are left to the
official client, which already does them well. What this module adds is the translation of every
failure into an ``LLMError`` whose message is one line a user can act on (which host, which
setting to change) and can never leak the API key, because these messages are shown verbatim in
Discord replies and the REPL.

It also bounds every request, whatever the server does. ``llm_timeout_s`` is one deadline for the
reply to start, retries and backoff included (the client's own timeout is per attempt, so 10 s
with two retries used to become 34.5 s), and the longest silence between deltas. ``llm_deadline_s``
bounds the whole reply, so a model trickling a token every few seconds is cut. The reply is capped
at ``answer_max_tokens`` (counted here, not trusted to the server) and at a byte budget derived
from it, so a runaway or hostile server cannot make the guards and the Discord splitter work on
megabytes. Messages state the time really waited.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import openai

from bot.answer.llm_errors import LLMError
from bot.settings import LLMSettings
from bot.tokens import count_tokens, truncate_tokens

log = logging.getLogger(__name__)

_DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Keyless local servers (Ollama, llama.cpp, vLLM) ignore the key, but the client insists on one.
_PLACEHOLDER_KEY = "not-needed"
_MAX_DETAIL_CHARS = 160
_DROPPED = "connection dropped mid-reply"
# Bytes allowed per requested token: English runs ~4, so 8 never cuts an honest reply.
BYTES_PER_TOKEN = 8


def reply_byte_cap(max_tokens: int) -> int:
    return max_tokens * BYTES_PER_TOKEN + 256


def reply_token_cap(max_tokens: int) -> int:
    """Tokens read before the client stops a reply: a little over what the server was asked
    for (our count of a stream can differ from the server's by a few), so an honest server
    always stops first and a runaway one is cut soon after."""
    return max_tokens + max_tokens // 10 + 16


class TokenMeter:
    """Tokens in a streamed reply so far, in linear time, close to counting the whole text.

    Deltas are cut anywhere ("wor", "ds "), and counting each alone overcounts by half or more.
    Text is counted up to its last space instead (the tokenizer starts a new token at " word",
    so counts add up there), keeping the rest for the next delta; a long run with no space is
    counted in pieces.
    """

    _MAX_PENDING = 2048

    def __init__(self) -> None:
        self.counted = 0
        self._pending = ""

    def add(self, delta: str) -> int:
        """The running total with ``delta`` (its unfinished last word counted provisionally)."""
        self._pending += delta
        cut = self._pending.rfind(" ")
        if len(self._pending) > self._MAX_PENDING:
            cut = len(self._pending)
        if cut > 0:
            self.counted += count_tokens(self._pending[:cut])
            self._pending = self._pending[cut:]
        return self.counted + (count_tokens(self._pending) if self._pending else 0)


def endpoint_host(base_url: str | None) -> str:
    """``host:port`` of the endpoint; userinfo and path are dropped so no secret can slip out."""
    try:
        parts = urlsplit(base_url or _DEFAULT_BASE_URL)
        host = parts.hostname or "?"
    except ValueError:  # "http://[::1": reported by LLM() as a bad OPENAI_BASE_URL
        return "?"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or (443 if parts.scheme == "https" else 80)
    return f"{host}:{port}"


def describe_endpoint(settings: LLMSettings) -> str:
    """One line for logs and the REPL banner: which model at which host, never a credential."""
    return f"model {settings.model} at {endpoint_host(settings.openai_base_url)}"


class LLM:
    """A chat model reached through ``openai.AsyncOpenAI``; every failure is an ``LLMError``."""

    def __init__(self, settings: LLMSettings, *, client: openai.AsyncOpenAI | None = None) -> None:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        if not key and not settings.openai_base_url:
            raise LLMError(
                "no model is configured: set OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL "
                "(for a local OpenAI-compatible server)",
                kind="config",
            )
        self.settings = settings
        self.host = endpoint_host(settings.openai_base_url)
        self._key = key
        try:
            self._client = client or openai.AsyncOpenAI(
                base_url=settings.openai_base_url or None,
                api_key=key or _PLACEHOLDER_KEY,
                timeout=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
            )
        except Exception as exc:  # ValueError, httpx's InvalidURL: the URL (never echoed)
            raise LLMError(
                f"OPENAI_BASE_URL is not a valid URL ({_short_reason(exc, key)}); "
                "expected something like http://localhost:11434/v1",
                kind="config",
            ) from None

    @property
    def description(self) -> str:
        return describe_endpoint(self.settings)

    async def aclose(self) -> None:
        """Close the HTTP connection pool; left to the garbage collector it outlives the loop."""
        await self._client.close()

    async def __aenter__(self) -> LLM:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def stream(
        self, messages: list[dict[str, Any]], *, max_tokens: int | None = None
    ) -> AsyncIterator[str]:
        """Yield the reply's text deltas in order.

        Leading whitespace-only deltas are held back until real text arrives, so an empty reply
        is reported as an error before the caller has shown anything.
        """
        s = self.settings
        asked = max_tokens or s.answer_max_tokens
        limit = reply_token_cap(asked)
        began = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(s.llm_timeout_s):
                response = await self._client.chat.completions.create(
                    model=s.model,
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=asked,
                    temperature=s.temperature,
                    stream=True,
                )
        except TimeoutError:
            raise self._timed_out(began) from None
        except Exception as exc:
            raise self._translate(exc, began=began) from None

        held = ""
        started = False
        finish: str | None = None
        tokens = size = 0
        meter = TokenMeter()
        byte_cap = reply_byte_cap(asked)
        deadline = loop.time() + max(s.llm_deadline_s - (time.monotonic() - began), 0.0)
        chunks = response.__aiter__()
        try:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise self._cut_off(began) from None
                choices = getattr(chunk, "choices", None)
                if choices is None:
                    raise self._malformed()
                for choice in choices:
                    if getattr(choice, "index", 0) != 0:
                        continue
                    delta = getattr(getattr(choice, "delta", None), "content", None)
                    if delta and not isinstance(delta, str):
                        raise self._malformed()
                    if delta:
                        total = meter.add(delta)
                        raw = delta.encode("utf-8", "surrogatepass")
                        if total > limit or size + len(raw) > byte_cap:
                            log.info("model reply cut at %d tokens / %d bytes", tokens, size)
                            fits = raw[: byte_cap - size].decode("utf-8", "ignore")
                            delta = truncate_tokens(fits, limit - tokens)
                            finish, tokens = "length", limit + 1
                        else:
                            tokens, size = total, size + len(raw)
                        if started:
                            yield delta
                        elif delta.strip():
                            started = True
                            yield held + delta
                        else:
                            held += delta
                    if tokens > limit:
                        break
                    finish = getattr(choice, "finish_reason", None) or finish
                if tokens > limit:
                    break
        except LLMError:
            raise
        except Exception as exc:
            raise self._translate(exc, mid_stream=True, began=began) from None
        finally:
            await response.close()

        if finish is None:
            # Every OpenAI-compatible server ends a stream with a finish_reason; without one the
            # text may be cut mid-sentence, and a half answer must not pass for a whole one.
            raise self._malformed("it ended before the reply was finished")
        if finish == "content_filter":
            raise LLMError(
                f"the model at {self.host} refused to answer (content filter)", kind="refused"
            )
        if not started:
            raise self._empty()

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        timeout_s: float | None = None,
    ) -> str:
        """The whole reply at once, for short internal calls such as condensing a follow-up.
        ``timeout_s``: a budget for the whole call, retries included (default llm_timeout_s)."""
        limit = max_tokens or self.settings.answer_max_tokens
        began = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s or self.settings.llm_timeout_s):
                completion = await self._client.chat.completions.create(
                    model=self.settings.model,
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=limit,
                    temperature=self.settings.temperature,
                )
            choices = completion.choices
            if not isinstance(choices, list):
                raise self._malformed()
            text = choices[0].message.content if choices else None
            finish = choices[0].finish_reason if choices else None
        except TimeoutError:
            raise self._timed_out(began, timeout_s) from None
        except LLMError:
            raise
        except Exception as exc:
            raise self._translate(exc, began=began) from None
        if isinstance(text, str) and len(text) > reply_byte_cap(limit):
            text = text[: reply_byte_cap(limit)]  # the same cap as a stream (chars ≥ bytes/4)
        if finish == "content_filter":
            raise LLMError(
                f"the model at {self.host} refused to answer (content filter)", kind="refused"
            )
        if not text or not text.strip():
            raise self._empty()
        return text

    # -- error translation ----------------------------------------------------------------------

    def _malformed(self, why: str | None = None) -> LLMError:
        if why:  # cut short: usually a restarted or overloaded server, so retrying helps
            advice = f" ({why}); try again"
        else:  # unreadable: usually not an OpenAI-compatible server at all
            advice = "; check that OPENAI_BASE_URL points at an OpenAI-compatible server"
        return LLMError(
            f"the model endpoint at {self.host} sent a malformed stream{advice}", kind="malformed"
        )

    def _empty(self) -> LLMError:
        return LLMError(
            f"the model {self.settings.model} at {self.host} returned an empty reply; try again",
            kind="empty",
        )

    def _timed_out(self, began: float, limit_s: float | None = None) -> LLMError:
        waited = time.monotonic() - began
        return LLMError(
            f"the model at {self.host} did not answer within "
            f"{limit_s or self.settings.llm_timeout_s:g} s "
            f"(gave up after {waited:.1f} s, retries included); try again, or raise "
            "PANELIST_LLM_TIMEOUT_S for a slow model",
            kind="timeout",
        )

    def _cut_off(self, began: float) -> LLMError:
        waited = time.monotonic() - began
        return LLMError(
            f"the model at {self.host} was still writing its reply after {waited:.1f} s, past "
            f"the {self.settings.llm_deadline_s:g} s limit; try again, or raise "
            "PANELIST_LLM_DEADLINE_S for a slow model",
            kind="timeout",
        )

    def _translate(
        self, exc: BaseException, *, mid_stream: bool = False, began: float | None = None
    ) -> LLMError:
        s = self.settings
        host = self.host
        if isinstance(exc, openai.APITimeoutError):
            if began is not None:
                return self._timed_out(began)
            return LLMError(
                f"the model at {host} did not answer within {s.llm_timeout_s:g} s; try again, "
                "or raise PANELIST_LLM_TIMEOUT_S for a slow model",
                kind="timeout",
            )
        if isinstance(exc, openai.APIConnectionError):
            reason = _connection_reason(exc)
            if mid_stream or reason == _DROPPED:
                return self._malformed("the connection dropped before the reply was finished")
            return LLMError(
                f"cannot reach the model endpoint at {host} ({reason}); "
                "check OPENAI_BASE_URL and that the server is running",
                kind="connection",
            )
        if isinstance(exc, openai.APIStatusError):
            return self._translate_status(exc)
        if isinstance(exc, ValueError | openai.APIResponseValidationError | openai.APIError):
            # json.JSONDecodeError for garbage in an SSE line, APIError for an in-stream error event
            return self._malformed()
        return LLMError(
            f"the call to the model at {host} failed ({type(exc).__name__})", kind="server"
        )

    def _translate_status(self, exc: openai.APIStatusError) -> LLMError:
        s = self.settings
        host = self.host
        status = exc.status_code
        detail = self._detail(exc)
        attempts = _attempts(exc, s.llm_max_retries)
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        if status in (401, 403):
            return LLMError(
                f"the model endpoint at {host} rejected the API key (HTTP {status}); "
                "check OPENAI_API_KEY",
                kind="auth",
                status=status,
            )
        if status == 404:
            if "model" in detail.lower() or getattr(exc, "code", None) == "model_not_found":
                return LLMError(
                    f"model {s.model!r} was not found at {host} (HTTP 404); set PANELIST_MODEL "
                    "to a model that endpoint serves",
                    kind="not_found",
                    status=status,
                )
            return LLMError(
                f"the endpoint at {host} answered HTTP 404 for model {s.model!r}; check "
                "OPENAI_BASE_URL (it usually ends in /v1) and PANELIST_MODEL",
                kind="not_found",
                status=status,
            )
        if status == 429:
            if getattr(exc, "code", None) == "insufficient_quota":
                return LLMError(
                    f"the account behind the API key has no quota left at {host} (HTTP 429); "
                    "check the plan and billing",
                    kind="rate_limit",
                    status=status,
                )
            return LLMError(
                f"the model endpoint at {host} is rate-limiting requests (HTTP 429){tried}; "
                "wait a minute and try again",
                kind="rate_limit",
                status=status,
            )
        if status >= 500:
            return LLMError(
                f"the model endpoint at {host} failed with HTTP {status}{tried}; try again later",
                kind="server",
                status=status,
            )
        suffix = f": {detail}" if detail else ""
        return LLMError(
            f"the model endpoint at {host} refused the request (HTTP {status}{suffix})",
            kind="request",
            status=status,
        )

    def _detail(self, exc: openai.APIStatusError) -> str:
        """The server's own error message, made one line, short, and free of the key."""
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else body
        if message is None:
            return ""
        text = message if isinstance(message, str) else json.dumps(message)
        return redact(" ".join(text.split()), self._key)[:_MAX_DETAIL_CHARS]


_KEYLIKE = re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-*]{6,}")


def redact(text: str, key: str) -> str:
    """Remove the key (and anything shaped like an OpenAI key) from server-supplied text."""
    if key:
        text = text.replace(key, "***")
    return _KEYLIKE.sub("***", text)


def _attempts(exc: openai.APIStatusError, max_retries: int) -> int:
    """How many requests were really made: the client stamps its retry count on each request."""
    try:
        return int(exc.response.request.headers.get("x-stainless-retry-count", "")) + 1
    except (ValueError, AttributeError):
        return max_retries + 1


def _short_reason(exc: BaseException, key: str) -> str:
    """The parser's complaint, without the key or anything after an '@' (URL credentials)."""
    text = " ".join(str(exc).split()).split("@")[-1]
    return redact(text, key)[:80] or type(exc).__name__


def _connection_reason(exc: BaseException) -> str:
    """Why a connection failed, in words, from the exception chain."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, socket.gaierror):
            return "host name not found"
        text = str(cur).lower()
        if "peer closed connection" in text or "incomplete" in text:
            return _DROPPED
        if "connection refused" in text or "connect call failed" in text:
            return "connection refused"
        if "name or service not known" in text or "nodename nor servname" in text:
            return "host name not found"
        if "certificate" in text or "ssl" in text:
            return "TLS handshake failed"
        cur = cur.__cause__ or cur.__context__
    return "connection failed"
