"""Fault injection: SIGKILLs at random points of ingest and --rebuild, racing writers, readers
during a rebuild, a FIFO and absurd timestamps through the CLI, a Chroma server killed
mid-ingest. "Nothing lost" is checked by comparing search results with a store built in one
clean run from the same files.

Kills are real (subprocesses, SIGKILL), timed by a seeded RNG: a kill lands anywhere from start-up
(imports, recovery, parsing) to the middle of embedding and committing, whose pace the loopback
embedding server slows a little so there is a window to hit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bot.index.doctor import diagnose
from bot.index.store import Store
from bot.retrieve.search import Retriever
from tests.fakes.openai_server import FakeOpenAI
from tests.index.helpers import fake_settings, process_env
from tests.index.test_chroma_server import free_port, start_chroma
from tests.robust.helpers import ROOT, cli, cli_argv

pytestmark = [pytest.mark.faults, pytest.mark.slow]

SEED = 20261130
TOPICS = [
    "harbour cranes", "violin varnish", "glacier melt", "bee navigation", "steel bridges",
    "tea fermentation", "orbital debris", "coral bleaching",
]  # fmt: skip
QUERIES = [f"what was said about {t}" for t in TOPICS] + ["version marker", "the committee"]


def write_file(folder: Path, i: int, version: int) -> None:
    topic = TOPICS[i]
    lines = [
        f"[00:{s:02}.000 --> 00:{s + 1:02}.000]  On {topic}, speaker {i} made point {s} "
        f"in version {version} of file {i}."
        for s in range(0, 40, 2)
    ]
    lines.append(f"[00:50.000 --> 00:51.000]  Version marker v{version}f{i} for {topic}.")
    (folder / f"talk{i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot(data: Path, server: FakeOpenAI, **env: str) -> list:
    """Search results as a user gets them (a fresh process), for every query."""
    batch = data.parent / f"{data.name}-queries.txt"
    batch.write_text("\n".join(QUERIES) + "\n", encoding="utf-8")
    res = cli(data, server, "search", "--batch", str(batch), "--json", "-k", "5", **env)
    assert res.returncode == 0, res.stderr
    return [
        [(h["source"], h["char_start"], h["char_end"], h["text"]) for h in json.loads(line)]
        for line in res.stdout.splitlines()
    ]


def check_store(data: Path, server: FakeOpenAI) -> Store:
    """Invariants that hold after any kill: every searchable passage has its vector."""
    store = Store(fake_settings(data, server))
    _ = store.vectors
    store.refresh_vectors()
    listed = store.catalog.chunk_ids()
    held = store.vectors.all_ids()
    assert listed <= held, f"{len(listed - held)} passages lost their vectors"
    return store


def spawn(data: Path, server: FakeOpenAI, *args: str) -> subprocess.Popen:
    """An ingest in the background. Its output goes nowhere: a pipe nobody reads would stall a
    chatty ingest once full, and leaks a file per kill."""
    return subprocess.Popen(
        cli_argv(data, "ingest", *args),
        cwd=ROOT,
        env=process_env(server, PANELIST_LLM_TIMEOUT_S="60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def embeds(server: FakeOpenAI) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/embeddings"))


def kill_somewhere(proc: subprocess.Popen, server: FakeOpenAI, rng: random.Random) -> bool:
    """SIGKILL at a random point; True if the process was still running when killed."""
    seen = embeds(server)
    if rng.random() < 0.4:  # anywhere from start-up on
        time.sleep(rng.uniform(0.2, 3.0))
    else:  # inside the embed/commit phase
        deadline = time.monotonic() + 30
        while embeds(server) == seen and proc.poll() is None:
            assert time.monotonic() < deadline, "ingest never started embedding"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.6))
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return alive


def test_twenty_kills_during_ingest_and_rebuild_lose_nothing(tmp_path, openai_server):
    rng = random.Random(SEED)
    corpus, other = tmp_path / "corpus", tmp_path / "other"
    corpus.mkdir()
    other.mkdir()
    versions = dict.fromkeys(range(len(TOPICS)), 0)
    for i in versions:
        write_file(corpus, i, 0)
    for i in range(3):
        write_file(other, i, 100)
    data = tmp_path / "data"
    assert cli(data, openai_server, "ingest", str(corpus)).returncode == 0
    openai_server.embedding_hook = lambda texts: time.sleep(0.08)

    kills = {"ingest": 0, "rebuild": 0}
    names_a = {f"talk{i}.txt" for i in versions}
    names_b = {f"talk{i}.txt" for i in range(3)}
    cycles = 0
    while kills["ingest"] + kills["rebuild"] < 20:
        cycles += 1
        assert cycles < 40, kills
        rebuild = kills["rebuild"] < 8 and rng.random() < 0.4
        if rebuild:
            before_names = {s.source for s in check_store(data, openai_server).catalog.sources()}
            target, after_names = (other, names_b) if before_names == names_a else (corpus, names_a)
            proc = spawn(data, openai_server, str(target), "--rebuild")
        else:
            for i in rng.sample(sorted(versions), 3):
                versions[i] += 1
                write_file(corpus, i, versions[i])
            proc = spawn(data, openai_server, str(corpus))
        killed = kill_somewhere(proc, openai_server, rng)
        kills["rebuild" if rebuild else "ingest"] += killed
        store = check_store(data, openai_server)
        names = {s.source for s in store.catalog.sources()}
        if rebuild:
            # The old index is whatever stood before (a killed plain ingest may have left only
            # some files of the corpus next to the other folder's), or the rebuilt one.
            assert names in (before_names, after_names), "a killed rebuild leaves old or new"
        if names == names_a:  # every file is there, as one whole version or another
            for chunk in store.catalog.iter_chunks():
                assert "version" in chunk.text
        store.close()

    # Converge: a clean run, then compare with a store built once from the same files.
    openai_server.embedding_hook = None
    final = cli(data, openai_server, "ingest", str(corpus), "--rebuild")
    assert final.returncode == 0, final.stderr
    reference = tmp_path / "reference"
    assert cli(reference, openai_server, "ingest", str(corpus)).returncode == 0
    assert snapshot(data, openai_server) == snapshot(reference, openai_server), "nothing lost"
    store = check_store(data, openai_server)
    assert diagnose(store).ok
    assert len(store.catalog.sets()) == 1
    store.close()
    assert kills["ingest"] >= 12 and kills["rebuild"] >= 8, kills


def test_concurrent_ingests_one_writer_and_readers_follow(tmp_path, openai_server):
    """The second ingest is refused naming the first one's pid; a reader opened before a
    rebuild in another process keeps answering, then follows it, dense search included."""
    corpus, other = tmp_path / "corpus", tmp_path / "other"
    corpus.mkdir()
    other.mkdir()
    for i in range(4):
        write_file(corpus, i, 0)
    for i in range(4, 8):
        write_file(other, i, 0)
    data = tmp_path / "data"
    assert cli(data, openai_server, "ingest", str(corpus)).returncode == 0
    reader = Retriever(Store(fake_settings(data, openai_server)))
    assert reader.search(QUERIES[0], 1)[0].chunk.source == "talk0.txt"

    gate = threading.Event()  # the first writer's embedding waits here until we say
    openai_server.embedding_hook = lambda texts: (gate.wait(60), time.sleep(0.3))[1]
    first = spawn(data, openai_server, str(other), "--rebuild")
    seen = embeds(openai_server)
    deadline = time.monotonic() + 60
    while embeds(openai_server) == seen:
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.02)
    second = cli(data, openai_server, "ingest", str(corpus), timeout=60)
    assert second.returncode == 1
    assert f"another ingest is running (pid {first.pid})" in second.stderr
    assert "Traceback" not in second.stderr
    assert reader.search(QUERIES[1], 3, mode="lexical")[0].chunk.source == "talk1.txt"
    gate.set()
    served = 0
    while first.poll() is None:  # readers keep serving the old index during the rebuild
        got = {h.chunk.source for h in reader.search(QUERIES[1], 3)}
        old, new = {f"talk{i}.txt" for i in range(4)}, {f"talk{i}.txt" for i in range(4, 8)}
        assert got <= old or got <= new, "one index or the other, never a mixture"
        served += 1
        time.sleep(0.05)
    assert first.wait(60) == 0 and served > 0
    openai_server.embedding_hook = None
    hits = reader.search(QUERIES[5], 3, mode="dense")
    assert hits and hits[0].chunk.source == "talk5.txt", "the reader followed the new index"
    assert {h.chunk.source for h in reader.search(QUERIES[1], 5)} <= {
        f"talk{i}.txt" for i in range(4, 8)
    }

    # and a plain ingest in another process: the reader sees the new file's vectors too
    write_file(other, 0, 7)
    assert cli(data, openai_server, "ingest", str(other)).returncode == 0
    hits = reader.search("version marker v7f0 harbour cranes", 3, mode="dense")
    assert hits and hits[0].chunk.source == "talk0.txt"
    reader.store.close()


def test_fifo_and_absurd_timestamps_through_the_cli(tmp_path, openai_server):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_file(corpus, 0, 0)
    os.mkfifo(corpus / "pipe.txt")
    os.mkfifo(tmp_path / "given.vtt")
    (corpus / "absurd.vtt").write_text(
        "WEBVTT\n\n" + "1" * 400 + ":00:00.000 --> 00:00:05.000\nhello\n", encoding="utf-8"
    )
    (corpus / "digits.txt").write_text(
        "[" + "9" * 5000 + ":00:00.000 --> 00:00:05.000]  x\n", encoding="utf-8"
    )
    data = tmp_path / "data"
    res = cli(data, openai_server, "ingest", str(corpus), str(tmp_path / "given.vtt"), timeout=60)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr and "unexpected" not in res.stderr
    assert "given.vtt" in res.stderr and "FIFO" in res.stderr
    assert "absurd.vtt" in res.stderr and "out of range" in res.stderr
    assert "pipe.txt" in res.stdout and "FIFO" in res.stdout  # listed as skipped
    store = check_store(data, openai_server)
    assert {s.source for s in store.catalog.sources()} >= {"talk0.txt"}
    store.close()


def test_chroma_server_killed_mid_ingest(tmp_path, openai_server):
    """The ingest fails with one line naming Chroma; once the server is back, every search
    answers as before and a rerun completes."""
    port = free_port()
    server = start_chroma(tmp_path / "chroma-server", port)
    env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        write_file(corpus, i, 0)
    data = tmp_path / "data"
    assert cli(data, openai_server, "ingest", str(corpus), **env).returncode == 0
    before = snapshot(data, openai_server, **env)

    for i in range(4, 8):
        write_file(corpus, i, 0)
    openai_server.embedding_hook = lambda texts: time.sleep(0.3)
    proc = subprocess.Popen(
        cli_argv(data, "ingest", str(corpus)),
        cwd=ROOT, env=process_env(openai_server, **env), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen = embeds(openai_server)
    deadline = time.monotonic() + 60
    while embeds(openai_server) == seen:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "Chroma" in err and "Traceback" not in err and "unexpected" not in err

    openai_server.embedding_hook = None
    restarted = start_chroma(tmp_path / "chroma-server", port)
    try:
        after = snapshot(data, openai_server, **env)
        for q in range(4):  # the files indexed before the kill answer as before
            assert after[q][0] == before[q][0], QUERIES[q]
            assert {h for h in after[q] if h[0] == before[q][0][0]} == {
                h for h in before[q] if h[0] == before[q][0][0]
            }
        rerun = cli(data, openai_server, "ingest", str(corpus), **env)
        assert rerun.returncode == 0, rerun.stderr
        assert cli(data, openai_server, "doctor", **env).returncode == 0
    finally:
        restarted.terminate()
        restarted.wait(10)
