"""The client/server path: a real `chroma run` on loopback, ingest and search through it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.index.ingest import ingest
from bot.index.store import Store
from bot.retrieve.search import Retriever
from tests.index.helpers import fake_settings, write_corpus

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """``chroma run`` on loopback, once its heartbeat answers; stopped again if it never does."""
    assert CHROMA.exists() or shutil.which("chroma"), "chromadb's `chroma` CLI is installed"
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    return proc
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "chroma run did not start"
            time.sleep(0.2)
    except BaseException:
        stop(proc)
        raise


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    proc = start_chroma(tmp_path / "chroma-server", port)
    try:  # the server is stopped however the test ends
        yield port
    finally:
        stop(proc)


def test_ingest_and_search_through_a_chroma_server(tmp_path, chroma_server, openai_server):
    """With CHROMA_HOST set, vectors live in the server and hybrid search works through it."""
    import chromadb

    corpus = write_corpus(tmp_path / "corpus")
    settings = fake_settings(
        tmp_path / "data", openai_server, chroma_host="127.0.0.1", chroma_port=chroma_server
    )
    store = Store(settings)
    assert "server" in store.vectors.where
    report = ingest(store, [corpus])
    assert not report.failed
    assert not (tmp_path / "data" / "chroma").exists(), "nothing embedded on local disk"
    remote = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    (col,) = remote.list_collections()
    assert col.count() == store.catalog.count_chunks() > 0
    hits = Retriever(store).search("does data quality matter more than quantity", 3)
    assert hits[0].chunk.source == "talk.txt"
    assert hits[0].dense_rank is not None


def test_unreachable_chroma_server_is_one_clear_line(tmp_path, openai_server):
    """A CHROMA_HOST nobody listens on fails with a message naming host and port."""
    from bot.errors import user_message
    from bot.index.vectors import VectorStoreError

    port = free_port()
    settings = fake_settings(
        tmp_path / "data", openai_server, chroma_host="127.0.0.1", chroma_port=port
    )
    with pytest.raises(VectorStoreError) as info:
        Store(settings).vectors.count()
    message = user_message(info.value)
    assert f"127.0.0.1:{port}" in message and "\n" not in message
