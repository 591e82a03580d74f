"""Attacks on ingest from the issue "nothing lost, nothing hung": each reproduces a reported
failure (overwrites, a rebuild that wipes first, racing writers, hangs on FIFOs, silent skips,
crashes on absurd timestamps) and asserts the index is intact afterwards."""

from __future__ import annotations

import codecs
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.index.ingest import ingest
from bot.index.lock import StoreLockedError, WriterLock
from bot.index.store import Store
from bot.ingest.read import IngestError
from bot.retrieve.search import Retriever
from tests.index.helpers import fake_settings, write_corpus


def lexical_top(store: Store, query: str) -> str:
    return Retriever(store).search(query, 1, mode="lexical")[0].chunk.source


def snapshot(store: Store) -> dict[str, list[str]]:
    """Search results for a fixed set of queries: what "nothing lost" is compared on."""
    r = Retriever(store)
    queries = ["small models outperform", "data quality", "compose music", "difference engine"]
    return {q: [h.chunk.id for h in r.search(q, 3)] for q in queries}


def test_same_file_name_in_two_folders_is_refused_naming_both(tmp_path, openai_server):
    """The second talk.txt used to replace the first silently, both reported "added"."""
    a = write_corpus(tmp_path / "a")
    b = tmp_path / "b"
    b.mkdir()
    (b / "talk.txt").write_text("Completely different words about gardening tomatoes.\n")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    report = ingest(store, [a, b])
    (failed,) = report.failed
    assert str(b / "talk.txt") in failed.message
    assert str((a / "talk.txt").resolve()) in failed.message
    again = ingest(store, [b / "talk.txt"])  # a later run is refused too
    assert again.failed and str((a / "talk.txt").resolve()) in again.failed[0].message
    assert lexical_top(store, "curate every dataset by hand") == "talk.txt"
    assert "tomatoes" not in " ".join(c.text for c in store.catalog.iter_chunks())


def test_moved_folder_updates_instead_of_refusing(tmp_path, openai_server):
    """The old path is gone: the same name from a new folder is the same source, moved."""
    a = write_corpus(tmp_path / "a")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [a])
    a.rename(tmp_path / "moved")
    report = ingest(store, [tmp_path / "moved"])
    assert not report.failed
    assert store.catalog.source("talk.txt").path == str(tmp_path / "moved" / "talk.txt")


def test_rebuild_with_a_missing_path_changes_nothing(tmp_path, openai_server):
    """`ingest --rebuild <missing>` used to wipe the whole index before checking paths."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    before = snapshot(store)
    with pytest.raises(IngestError, match="no such file"):
        ingest(store, [corpus, tmp_path / "missing.vtt"], rebuild=True)
    assert snapshot(store) == before
    assert store.vectors.all_ids() == store.catalog.chunk_ids()


def test_rebuild_with_a_bad_file_is_abandoned_and_changes_nothing(tmp_path, openai_server):
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    before = snapshot(store)
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00\x00h\x00\x00\x00")
    report = ingest(store, [corpus], rebuild=True)
    assert report.aborted and "unchanged" in report.aborted
    assert [Path(f.path).name for f in report.failed] == ["bad.txt"]
    assert snapshot(store) == before


def test_rebuild_replaces_the_index_whole_and_readers_follow(tmp_path, openai_server):
    """A reader opened before the rebuild keeps answering, then sees only the new index."""
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    store = Store(fake_settings(data, openai_server))
    ingest(store, [corpus])
    reader = Retriever(Store(fake_settings(data, openai_server)))
    assert reader.search("difference engine", 1)[0].chunk.source == "panel.txt"
    only = tmp_path / "only"
    only.mkdir()
    (only / "talk.txt").write_text((corpus / "talk.txt").read_text())
    report = ingest(store, [only], rebuild=True)
    assert not report.failed and not report.aborted
    hits = reader.search("difference engine", 3)
    assert {h.chunk.source for h in hits} == {"talk.txt"}
    assert any(h.dense_rank for h in hits), "dense search follows the new collection"
    assert store.catalog.sets() == {store.catalog.live_set}
    assert reader.store.vectors.all_ids() == store.catalog.chunk_ids()


def test_second_writer_is_refused_naming_the_pid(tmp_path, openai_server):
    """Two ingests on one data dir used to race; now the second fails at once, clearly."""
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    with WriterLock(store.data_dir), pytest.raises(StoreLockedError) as info:
        ingest(store, [corpus])
    assert f"another ingest is running (pid {os.getpid()})" in str(info.value)
    assert store.catalog.count_chunks() == 0
    assert not ingest(store, [corpus]).failed, "the lock is released with its holder"


def test_a_fifo_is_refused_at_once_and_the_rest_indexed(tmp_path, openai_server):
    """A FIFO given to ingest used to hang forever (open() waits for a writer)."""
    corpus = write_corpus(tmp_path / "corpus")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    os.mkfifo(corpus / "inner.vtt")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    result: dict[str, object] = {}
    worker = threading.Thread(
        target=lambda: result.setdefault("r", ingest(store, [fifo, corpus])), daemon=True
    )
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "ingest hung on a FIFO"
    report = result["r"]
    (failed,) = report.failed
    assert "FIFO" in failed.message and "pipe.txt" in failed.message
    assert any("inner.vtt" in s.path and "FIFO" in s.reason for s in report.skipped)
    assert {f.source for f in report.files if f.status == "added"} == {"talk.txt", "panel.txt"}


def test_folder_walk_lists_what_it_skips_and_recurses_only_when_asked(tmp_path, openai_server):
    """Subfolders, dangling symlinks and symlink loops used to be skipped without a word."""
    corpus = write_corpus(tmp_path / "corpus")
    sub = corpus / "more"
    sub.mkdir()
    (sub / "extra.txt").write_text("Lovely words about sailing boats at dawn on the lake.\n")
    (corpus / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (sub / "up").symlink_to(corpus)  # a folder loop, only reachable with --recursive
    (corpus / "cover.jpg").write_bytes(b"\xff\xd8")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    report = ingest(store, [corpus])
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert "subfolder" in reasons["more"] and "--recursive" in reasons["more"]
    assert "dangling symlink" in reasons["dangling.txt"]
    assert "loop" in reasons["loop.txt"]
    assert "suffix" in reasons["cover.jpg"]
    assert store.catalog.source("extra.txt") is None
    deep = ingest(store, [corpus], recursive=True)
    assert store.catalog.source("extra.txt") is not None
    assert any("loop" in s.reason for s in deep.skipped if Path(s.path).name == "up")


def test_utf32_is_named_utf32(tmp_path):
    from bot.ingest.read import read_transcript

    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")):
        f = tmp_path / f"{enc}.txt"
        f.write_bytes(bom + "Hello there, a transcript.\n".encode(enc))
        with pytest.raises(IngestError, match="UTF-32"):
            read_transcript(f, max_bytes=1 << 20)


@pytest.mark.parametrize(
    "name,text",
    [
        ("huge.vtt", "WEBVTT\n\n" + "9" * 400 + ":00:00.000 --> 00:00:05.000\nhello there\n"),
        ("huge.srt", "1\n" + "9" * 400 + ":00:00,000 --> 00:00:05,000\nhello there\n\n"
         "2\n00:00:05,000 --> 00:00:06,000\nok\n"),
        ("huge.txt", "[" + "9" * 400 + ":00:00.000 --> 00:00:04.000]  hello\n"
         "[00:04.000 --> 00:09.000]  more\n"),
        ("digits.vtt", "WEBVTT\n\n" + "9" * 5000 + ":00:00.000 --> 00:00:05.000\nhello\n"),
    ],
)  # fmt: skip
def test_absurd_timestamp_fails_that_file_alone(tmp_path, openai_server, name, text):
    """A 400-digit hour used to abort the batch with "unexpected OverflowError", unnamed."""
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / name).write_text(text)
    store = Store(fake_settings(tmp_path / "data", openai_server))
    report = ingest(store, [corpus])
    failed = {Path(f.path).name: f.message for f in report.failed}
    assert set(failed) <= {name}
    if failed:
        assert name in failed[name] and "\n" not in failed[name]
        assert "out of range" in failed[name] or "Overflow" not in failed[name]
    assert {"talk.txt", "panel.txt"} <= {s.source for s in store.catalog.sources()}


def test_malformed_srt_timing_line_is_not_indexed_as_speech():
    from bot.ingest.parse import parse_transcript

    text = (
        "1\n00:00:00,000 --> 00:00:01,000\nfirst line\n\n"
        "2\n00:00:01,000 -> 00:00:05,000\nbroken cue words\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nok\n\n4\n00:00:07,000 --> 00:00:08,000\nyes\n"
    )
    result = parse_transcript(text)
    spoken = " ".join(s.text for s in result.segments)
    assert "-> 00:00" not in spoken and "broken cue words" not in spoken
    assert spoken == "first line ok yes"
    assert any("malformed timing" in w and "line 6" in w for w in result.warnings)


def test_old_catalog_schema_is_migrated_in_place(tmp_path, openai_server):
    """A data dir written before sets existed opens with every source still searchable."""
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    store = Store(fake_settings(data, openai_server))
    ingest(store, [corpus])
    before = snapshot(store)
    store.close()
    db = sqlite3.connect(data / "catalog.sqlite3")
    with db:  # rewrite the file into the old layout: no sset column, single-column keys
        for table, key in (("sources", "source"), ("chunks", "id")):
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "sset"]
            db.execute(f"CREATE TABLE old_{table} AS SELECT {', '.join(cols)} FROM {table}")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"ALTER TABLE old_{table} RENAME TO {table}")
            assert key in cols
    db.close()
    store = Store(fake_settings(data, openai_server))
    assert snapshot(store) == before
    assert ingest(store, [corpus]).files[0].status == "unchanged"
