"""A scripted OpenAI-compatible HTTP server for tests.

Tests talk to it with the real ``openai`` client (and subprocesses under test reach it through
``OPENAI_BASE_URL``), so what is exercised is the wire protocol our code will meet in production,
not a mock of our own objects. It runs its own event loop in a background thread so the same
instance serves sync tests, async tests and child processes alike.

Each chat request takes the next scripted reply from a queue; when the queue is empty the
``responder`` hook (if set) decides, else ``default`` answers. Every request is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import math
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# --- scripted replies ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A normal answer; streamed as ``deltas`` pieces (None: one per word) with optional delays."""

    text: str
    deltas: int | None = None
    delay_s: float = 0.0  # between deltas, to simulate a slow model
    initial_delay_s: float = 0.0  # before the first byte of the response
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class HttpError:
    """An HTTP error with an OpenAI-style JSON error body."""

    status: int
    message: str = "scripted error"
    type: str | None = None
    code: str | None = None
    retry_after: float | None = None  # sent as a Retry-After header (seconds) when given
    body: dict[str, Any] | None = None  # replaces the standard error body when given


@dataclass(frozen=True, slots=True)
class Malformed:
    """A 200 response whose body is not valid: garbage in an SSE data line, or as the JSON body."""

    before: str = "Partial "  # content streamed before the garbage line
    garbage: str = '{"choices": [ this is not json'


@dataclass(frozen=True, slots=True)
class Truncated:
    """A stream that stops after ``text`` without a finish chunk or ``[DONE]``.

    ``abrupt`` drops the TCP connection mid-body instead of ending the response cleanly, which is
    what a crashed or restarted model server looks like to the client.
    """

    text: str = "The answer was cut"
    abrupt: bool = False


@dataclass(frozen=True, slots=True)
class Hang:
    """Say nothing for ``seconds`` (longer than the client's timeout); ends early on server stop."""

    seconds: float = 30.0


Reply = Text | HttpError | Malformed | Truncated | Hang
Responder = Callable[[dict[str, Any]], "Reply | str"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    json: Any  # parsed body, or None when the body was not JSON

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("messages") or [])

    @property
    def prompt(self) -> str:
        """All message contents joined, for substring assertions on what the model was shown."""
        parts: list[str] = []
        for m in self.messages:
            content = m.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return "\n".join(parts)


# --- the server ------------------------------------------------------------------------------


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        default: Reply | str = "OK",
        responder: Responder | None = None,
        embedding_dim: int = 64,
        models: tuple[str, ...] = ("fake-model",),
        port: int = 0,
    ) -> None:
        self._default: Reply = _as_reply(default)
        self.responder = responder
        # Called with the texts of each embeddings request; an HttpError or Hang it returns is
        # served instead of vectors (interrupted-ingest tests), None means answer normally.
        self.embedding_hook: Callable[[list[str]], Reply | None] | None = None
        self.embedding_dim = embedding_dim
        self.models = models
        self.requests: list[RecordedRequest] = []
        self._port = port
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._sock: socket.socket | None = None
        self._startup_error: BaseException | None = None
        self._bound_port: int | None = None

    # -- scripting --------------------------------------------------------------------------

    @property
    def default(self) -> Reply:
        """What a chat request gets when the queue is empty and no responder is set."""
        return self._default

    @default.setter
    def default(self, reply: Reply | str) -> None:
        self._default = _as_reply(reply)

    def enqueue(self, *replies: Reply | str) -> None:
        """Queue replies for the next chat requests, in order (a str is a ``Text``)."""
        with self._lock:
            self._queue.extend(_as_reply(r) for r in replies)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def port(self) -> int:
        """The bound port; still readable after stop(), e.g. to test an endpoint that went away."""
        if self._bound_port is None:
            raise RuntimeError("server not started")
        return self._bound_port

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        # Binding here, in the caller's thread, means base_url is valid as soon as start returns.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self._port))
        self._sock.listen(128)
        self._bound_port = int(self._sock.getsockname()[1])
        self._sock.setblocking(False)
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="fake-openai", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start")
        if self._startup_error is not None:
            self.stop()
            raise RuntimeError("fake OpenAI server did not start") from self._startup_error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if self._sock is not None:
            self._sock.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None and self._sock is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._setup(self._sock))
        except Exception as exc:  # surfaced by start() in the caller's thread
            self._startup_error = exc
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _setup(self, sock: socket.socket) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        # A short shutdown grace: hung handlers are woken by _stopping, streams just get cut.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ---------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest(request.method, request.path, headers, body))
        return body

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return _as_reply(self.responder(body))
        return self.default

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if not isinstance(body, dict):
            return _error_response(HttpError(400, "request body is not JSON"))
        reply = self._next_reply(body)
        model = str(body.get("model") or "fake-model")
        cid = f"chatcmpl-fake-{next(self._ids)}"
        if isinstance(reply, HttpError):
            return _error_response(reply)
        if isinstance(reply, Hang):
            await self._pause(reply.seconds)
            return _error_response(HttpError(504, "hung reply ended"))
        if isinstance(reply, Text) and reply.initial_delay_s:
            await self._pause(reply.initial_delay_s)
        try:
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return await self._stream(request, reply, cid, model, include_usage)
            return await self._complete(request, reply, cid, model)
        except ConnectionResetError:  # the client hung up mid-reply: its business, not an error
            return web.Response(status=499)

    async def _pause(self, seconds: float) -> bool:
        """Sleep, but wake at once when the server stops; True when it is stopping."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def _complete(
        self, request: web.Request, reply: Reply, cid: str, model: str
    ) -> web.StreamResponse:
        if isinstance(reply, Malformed):
            return web.Response(text=reply.garbage, content_type="application/json")
        text = reply.text if isinstance(reply, Text | Truncated) else ""
        finish = reply.finish_reason if isinstance(reply, Text) else "stop"
        payload = json.dumps(
            {
                "id": cid,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
                "usage": _usage(text),
            }
        ).encode()
        if isinstance(reply, Truncated):
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            resp.content_length = len(payload)
            await resp.prepare(request)
            await resp.write(payload[: len(payload) // 2])
            _drop_connection(request)
            return resp
        return web.Response(body=payload, content_type="application/json")

    async def _stream(
        self, request: web.Request, reply: Reply, cid: str, model: str, include_usage: bool
    ) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }

        async def send(data: dict[str, Any] | str) -> None:
            line = data if isinstance(data, str) else json.dumps(data)
            await resp.write(f"data: {line}\n\n".encode())

        await send(chunk({"role": "assistant", "content": "", "refusal": None}))
        if isinstance(reply, Malformed):
            if reply.before:
                await send(chunk({"content": reply.before}))
            await send(reply.garbage)
            await send("[DONE]")
            await resp.write_eof()
            return resp
        text = reply.text if isinstance(reply, Text | Truncated) else ""
        pieces = split_deltas(text, reply.deltas if isinstance(reply, Text) else None)
        delay = reply.delay_s if isinstance(reply, Text) else 0.0
        for i, piece in enumerate(pieces):
            if delay and i and await self._pause(delay):
                _drop_connection(request)
                return resp
            await send(chunk({"content": piece}))
        if isinstance(reply, Truncated):
            if reply.abrupt:
                _drop_connection(request)
                return resp
            await resp.write_eof()
            return resp
        finish = reply.finish_reason if isinstance(reply, Text) else "stop"
        await send(chunk({}, finish))
        if include_usage:
            usage_chunk = chunk({}) | {"choices": [], "usage": _usage(text)}
            await send(usage_chunk)
        await send("[DONE]")
        await resp.write_eof()
        return resp

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not isinstance(body, dict) or "input" not in body:
            return _error_response(HttpError(400, "missing input"))
        inputs = body["input"]
        if isinstance(inputs, str):
            inputs = [inputs]
        if self.embedding_hook is not None:
            special = self.embedding_hook([str(x) for x in inputs])
            if isinstance(special, HttpError):
                return _error_response(special)
            if isinstance(special, Hang):
                await self._pause(special.seconds)
                return _error_response(HttpError(503, "hung"))
        dim = int(body.get("dimensions") or self.embedding_dim)
        as_b64 = body.get("encoding_format") == "base64"
        data = []
        for i, item in enumerate(inputs):
            vec = hashed_embedding(str(item), dim)
            emb: Any = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode() if as_b64 else vec
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(len(str(x).split()) for x in inputs)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "fake-embedding"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        listed = [
            {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models
        ]
        return web.json_response({"object": "list", "data": listed})


# --- helpers ---------------------------------------------------------------------------------


def _as_reply(reply: Reply | str) -> Reply:
    return Text(reply) if isinstance(reply, str) else reply


def _error_response(err: HttpError) -> web.Response:
    body = err.body or {
        "error": {"message": err.message, "type": err.type, "param": None, "code": err.code}
    }
    headers = {} if err.retry_after is None else {"Retry-After": f"{err.retry_after:g}"}
    return web.json_response(body, status=err.status, headers=headers)


def _drop_connection(request: web.Request) -> None:
    """Close the socket under an in-progress response, so the client sees a broken body."""
    if request.transport is not None:
        request.transport.abort()


def _usage(text: str) -> dict[str, int]:
    completion = len(text.split())
    return {"prompt_tokens": 1, "completion_tokens": completion, "total_tokens": completion + 1}


_TOKEN = re.compile(r"\s*\S+\s*|\s+")


def split_deltas(text: str, n: int | None) -> list[str]:
    """Split ``text`` into stream deltas whose concatenation is exactly ``text``."""
    if not text:
        return []
    if n is None:
        return _TOKEN.findall(text)
    n = max(1, min(n, len(text)))
    size, extra = divmod(len(text), n)
    out, pos = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(text[pos : pos + step])
        pos += step
    return out


def hashed_embedding(text: str, dim: int) -> list[float]:
    """Deterministic bag-of-words vector: texts sharing words get a higher cosine similarity."""
    vec = [0.0] * dim
    for word in re.findall(r"\w+", text.casefold()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        h = int.from_bytes(digest, "little")
        vec[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0:
        vec[0] = 1.0
        return vec
    return [v / norm for v in vec]


def serve_forever(port: int, reply: str) -> None:
    """Run until interrupted; prints the base URL so it can be pasted into OPENAI_BASE_URL."""
    with FakeOpenAI(default=reply, port=port) as server:
        print(f"fake OpenAI server at {server.base_url} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible server for tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--reply", default="OK", help="text every chat request gets")
    args = parser.parse_args(argv)
    serve_forever(args.port, args.reply)


if __name__ == "__main__":
    _main()


__all__ = [
    "FakeOpenAI",
    "Hang",
    "HttpError",
    "Malformed",
    "RecordedRequest",
    "Reply",
    "Responder",
    "Text",
    "Truncated",
    "hashed_embedding",
    "split_deltas",
]
