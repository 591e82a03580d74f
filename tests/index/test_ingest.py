"""Ingest is idempotent and crash-safe: reruns change nothing, edits replace only their chunks."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.index.ingest import ingest
from bot.index.store import Store, StoreMismatchError
from bot.records import Chunk, Piece
from bot.retrieve.search import Retriever
from bot.settings import load_settings
from tests.fakes.openai_server import FakeOpenAI, Hang
from tests.index.helpers import fake_settings, process_env, write_corpus

ROOT = Path(__file__).resolve().parents[2]


def embedding_calls(server: FakeOpenAI) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/embeddings"))


def test_reingesting_unchanged_files_changes_nothing(tmp_path, openai_server):
    """A second ingest of the same files embeds nothing and keeps every id."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    first = ingest(store, [corpus])
    ids = store.catalog.chunk_ids()
    calls = embedding_calls(openai_server)
    second = ingest(store, [corpus])
    assert [f.status for f in first.files] == ["added", "added"]
    assert [f.status for f in second.files] == ["unchanged", "unchanged"]
    assert embedding_calls(openai_server) == calls
    assert store.catalog.chunk_ids() == ids
    assert store.vectors.all_ids() == ids


def test_changed_file_replaces_only_its_own_chunks(tmp_path, openai_server):
    """Editing one file swaps its chunks; the other file's chunks and vectors are untouched."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    panel_ids = store.catalog.chunk_ids("panel.txt")
    talk_ids = store.catalog.chunk_ids("talk.txt")
    talk = corpus / "talk.txt"
    talk.write_text(talk.read_text().replace("by hand", "with volunteers"), encoding="utf-8")
    report = ingest(store, [corpus])
    assert {f.source: f.status for f in report.files} == {
        "talk.txt": "updated",
        "panel.txt": "unchanged",
    }
    assert store.catalog.chunk_ids("panel.txt") == panel_ids
    assert store.catalog.chunk_ids("talk.txt") != talk_ids
    assert store.vectors.all_ids() == store.catalog.chunk_ids()
    hits = Retriever(store).search("volunteers", 3, mode="lexical")
    assert hits and "volunteers" in hits[0].chunk.text


def test_prune_removes_sources_whose_files_are_gone(tmp_path, openai_server):
    """--prune drops a deleted file's chunks from the catalog and from Chroma."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    (corpus / "panel.txt").unlink()
    kept = ingest(store, [corpus])
    assert store.catalog.source("panel.txt") is not None, "without --prune nothing is removed"
    report = ingest(store, [corpus], prune=True)
    assert "pruned" in {f.status for f in report.files} and kept.files
    assert store.catalog.source("panel.txt") is None
    assert store.vectors.all_ids() == store.catalog.chunk_ids("talk.txt")


def test_orphaned_vectors_are_invisible_and_cleaned_up(tmp_path, openai_server):
    """Vectors written by an ingest that died before its catalog swap never surface in search,
    and the next ingest deletes them."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    text = "Small models will outperform large models on the edge."
    orphan = Chunk(
        "talk.txt#orphan", "talk.txt", "Talk", text, (Piece(0, 0, len(text), 0, 4, None),)
    )
    store.vectors.upsert([orphan], store.embedder.embed_documents([text]))
    hits = Retriever(store).search("small models outperform large models", 10, mode="dense")
    assert "talk.txt#orphan" not in {h.chunk.id for h in hits}
    report = ingest(store, [corpus])
    assert report.orphans_removed == 1
    assert "talk.txt#orphan" not in store.vectors.all_ids()


@pytest.mark.slow  # real processes
def test_killed_ingest_leaves_previous_state_searchable_and_no_duplicates(tmp_path, openai_server):
    """SIGKILL while a changed file is being embedded: the old version stays searchable, the
    file committed before it is in, and a rerun converges with no duplicate chunks."""
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    store = Store(fake_settings(data, openai_server))
    ingest(store, [corpus])
    store.close()
    (corpus / "panel.txt").write_text(
        (corpus / "panel.txt").read_text() + "\nCharles Babbage: Punched cards hold the plan.\n",
        encoding="utf-8",
    )
    (corpus / "talk.txt").write_text(
        (corpus / "talk.txt").read_text().replace("hand", "committee"), encoding="utf-8"
    )
    openai_server.embedding_hook = lambda texts: (
        Hang(60) if any("committee" in t for t in texts) else None
    )
    env = process_env(openai_server, PANELIST_LLM_TIMEOUT_S="120")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(corpus), "--data-dir", str(data)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any(
        "committee" in str(r.json) for r in openai_server.requests if r.path.endswith("embeddings")
    ):
        assert time.monotonic() < deadline and proc.poll() is None, "ingest never reached talk.txt"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    openai_server.embedding_hook = None

    store = Store(fake_settings(data, openai_server))
    retriever = Retriever(store)
    assert (
        retriever.search("curate dataset by hand", 3, mode="lexical")[0].chunk.source == "talk.txt"
    )
    assert retriever.search("punched cards", 3, mode="lexical")[0].chunk.source == "panel.txt"
    ingest(store, [corpus])
    ids = [c.id for c in store.catalog.iter_chunks()]
    assert len(ids) == len(set(ids))
    assert store.vectors.all_ids() == set(ids)
    top = Retriever(store).search("committee", 3, mode="lexical")[0]
    assert "committee" in top.chunk.text


def test_bad_files_fail_alone_with_one_line_and_nothing_is_lost(tmp_path, openai_server):
    """Empty, binary and non-UTF-8 files fail with one line each; good files still index."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    before = store.catalog.chunk_ids()
    (corpus / "empty.txt").write_text("   \n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (corpus / "latin1.txt").write_bytes("Café crème, naïve façade.\n".encode("latin-1"))
    report = ingest(store, [corpus, tmp_path / "missing.vtt"])
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) == {"empty.txt", "binary.txt", "latin1.txt", "missing.vtt"}
    assert all(m and "\n" not in m for m in failed.values())
    assert store.catalog.chunk_ids() == before


def test_store_built_by_another_embedding_model_is_refused(tmp_path, openai_server):
    """Opening a store with a different embedder says so and how to fix it."""
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    ingest(Store(fake_settings(data, openai_server)), [corpus])
    with pytest.raises(StoreMismatchError, match="--rebuild"):
        Store(load_settings(data_dir=data))


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path, openai_server):
    """A 50 MB transcript over the configured limit gets a clear message naming the setting."""
    big = tmp_path / "corpus" / "huge.txt"
    big.parent.mkdir()
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    store = Store(fake_settings(tmp_path / "data", openai_server, max_file_mb=25))
    (result,) = ingest(store, [big]).files
    assert result.status == "failed"
    assert "PANELIST_MAX_FILE_MB" in (result.message or "")


def test_vectors_never_mix_models(tmp_path, openai_server):
    """Each embedder has its own collection: rebuilding with another model builds a fresh one,
    switches to it, and drops the old model's collection; no old vector is in the new one."""
    import chromadb

    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    store = Store(fake_settings(data, openai_server))
    ingest(store, [corpus])
    old_name = store.vectors.name
    other = Store(fake_settings(data, openai_server, embedding_model="fake-embed-2"), rebuild=True)
    assert other.vectors.name == old_name, "until the rebuild commits, the old index is live"
    ingest(other, [corpus], rebuild=True)
    assert other.vectors.name != old_name and "fake-embed-2" in other.vectors.name
    vec = other.embedder.embed_query("small models")
    assert vec.shape == (64,) and np.isclose(np.linalg.norm(vec), 1.0)
    assert other.vectors.all_ids() == other.catalog.chunk_ids()
    client = chromadb.PersistentClient(path=str(data / "chroma"))
    assert [c.name for c in client.list_collections()] == [other.vectors.name]


def test_report_gives_format_speakers_time_range_and_segments(tmp_path, openai_server):
    """Per file: detected format and confidence, mapped speakers, time range, segment count;
    the same on a rerun that skips the unchanged file, and in ``ingest --json``."""
    from typer.testing import CliRunner

    from bot.surfaces.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "talk.rev.txt").write_text(
        "Speaker 1 (00:00:02):\nSmall models win on phones.\n\n"
        "Ada Lovelace (01:02:03):\nOnly with good data.\n",
        encoding="utf-8",
    )
    (corpus / "manifest.toml").write_text(
        '[sources."talk.rev.txt"]\nparticipants = ["Ada Lovelace", "Charles Babbage"]\n'
        'speakers = { "Speaker 1" = "Charles Babbage" }\n',
        encoding="utf-8",
    )
    store = Store(fake_settings(tmp_path / "data", openai_server))
    try:
        for status in ("added", "unchanged"):
            (f,) = ingest(store, [corpus]).files
            assert f.status == status
            assert (f.format, f.confidence, f.segments) == ("rev", 1.0, 2)
            assert f.speakers == ["Charles Babbage", "Ada Lovelace"]
            assert (f.start_s, f.end_s) == (2.0, 3723.0)
    finally:
        store.close()
    env = {
        "PANELIST_ENV_FILE": "",
        "PANELIST_EMBEDDING_BACKEND": "openai",
        "PANELIST_EMBEDDING_MODEL": "fake-embed",
        "OPENAI_BASE_URL": openai_server.base_url,
        "OPENAI_API_KEY": "test-key",
    }
    args = ["ingest", str(corpus), "--data-dir", str(tmp_path / "data2"), "--json"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["files"]
    assert row["format"] == "rev" and row["segments"] == 2
    assert row["speakers"] == ["Charles Babbage", "Ada Lovelace"]
    assert (row["start_s"], row["end_s"], row["confidence"]) == (2.0, 3723.0, 1.0)
    human = CliRunner().invoke(app, args[:-1], env=env)
    assert "rev, 2 segments, 2 speakers (Charles Babbage, Ada Lovelace), 00:00:02–01:02:03" in (
        human.stdout
    )
