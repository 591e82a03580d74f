"""Uploaded files (``/panelist add-transcript``): safe names, replacement, and no loss on failure.

The attacks: any file name a client can send (hostile Unicode, separators, reserved names), a
replacement that fails to read, another owner's name, the operator's own file name, and a SIGKILL
while an upload's new version is being embedded.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.guard.unicode import INVISIBLE_RE
from bot.index.ingest import TRANSCRIPT_SUFFIXES, ingest
from bot.index.store import Store
from bot.index.uploads import UploadRefused, add_upload, check_name, incoming_dir, uploads_dir
from bot.retrieve.search import Retriever
from tests.fakes.openai_server import FakeOpenAI, Hang
from tests.index.helpers import WHISPER, fake_settings, process_env, write_corpus

ROOT = Path(__file__).resolve().parents[2]
QUOKKA = (
    "[00:00.000 --> 00:05.000]  Quokkas are the happiest marsupials on Rottnest Island.\n"
    "[00:05.000 --> 00:11.000]  Tourists queue for selfies with the quokkas every morning.\n"
)
NEWER = QUOKKA + "[00:11.000 --> 00:16.000]  Quokkas can climb small trees to find leaves.\n"


@example("0.\x08")  # a control character in the suffix reached the refusal line
@given(st.text(max_size=120) | st.text(max_size=20).map(lambda s: s + ".txt"))
def test_a_name_is_refused_or_is_one_plain_transcript_file_name(name: str) -> None:
    try:
        kept = check_name(name)
    except UploadRefused as exc:
        assert "\n" not in str(exc) and not INVISIBLE_RE.search(str(exc))
        return
    assert Path(kept).name == kept and Path(kept).suffix.lower() in TRANSCRIPT_SUFFIXES
    assert kept.isprintable() and not INVISIBLE_RE.search(kept)
    assert not kept.startswith(".") and not any(c in kept for c in "/\\:")
    assert 0 < len(kept) <= 100


def put(tmp_path: Path, data_dir: Path, text: str | bytes) -> Path:
    """A finished download in the upload area."""
    path = incoming_dir(data_dir) / f"dl-{time.monotonic_ns()}.part"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.fixture
def store(tmp_path: Path, openai_server: FakeOpenAI) -> Iterator[Store]:
    s = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(s, [write_corpus(tmp_path / "corpus")])
    yield s
    s.close()


def test_a_replacement_keeps_one_copy_with_the_new_text(store: Store, tmp_path: Path) -> None:
    first = add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, QUOKKA))
    second = add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, NEWER))
    assert (first.status, second.status) == ("added", "updated")
    record = store.catalog.source("q.txt")
    assert record is not None and Path(record.path).read_text() == NEWER
    assert [p.name for p in (uploads_dir(store.data_dir) / "7").iterdir()] == [
        Path(record.path).parent.name
    ]
    assert not list(incoming_dir(store.data_dir).iterdir())


@pytest.mark.parametrize("bad", [b"\x00\x01\x02" * 100, b"  \n", b"caf\xe9 " * 50])
def test_a_failed_replacement_leaves_the_old_version(
    store: Store, tmp_path: Path, bad: bytes
) -> None:
    add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, QUOKKA))
    before = (store.catalog.source("q.txt"), store.catalog.chunk_ids("q.txt"))
    result = add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, bad))
    assert result.status == "failed" and result.message and "\n" not in result.message
    assert (store.catalog.source("q.txt"), store.catalog.chunk_ids("q.txt")) == before
    assert before[0] is not None and Path(before[0].path).read_text() == QUOKKA
    assert len(list((uploads_dir(store.data_dir) / "7").iterdir())) == 1


def test_names_owned_by_someone_else_are_refused(store: Store, tmp_path: Path) -> None:
    add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, QUOKKA))
    with pytest.raises(UploadRefused, match="another server"):
        add_upload(store, "8", "q.txt", put(tmp_path, store.data_dir, NEWER))
    with pytest.raises(UploadRefused, match="bot's own files"):
        add_upload(store, "7", "talk.txt", put(tmp_path, store.data_dir, WHISPER))
    record = store.catalog.source("q.txt")
    assert record is not None and Path(record.path).read_text() == QUOKKA
    assert not (uploads_dir(store.data_dir) / "8").exists() or not list(
        (uploads_dir(store.data_dir) / "8").iterdir()
    )


_ADD = """
import sys
from pathlib import Path
from bot.index.store import Store
from bot.index.uploads import add_upload
from bot.settings import load_settings
settings = load_settings(data_dir=sys.argv[1])
add_upload(Store(settings), "7", "q.txt", Path(sys.argv[2]))
"""


@pytest.mark.faults
def test_a_killed_upload_leaves_the_previous_version_and_its_leftovers_are_cleared(
    store: Store, tmp_path: Path, openai_server: FakeOpenAI
) -> None:
    add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, QUOKKA))
    before = (store.catalog.source("q.txt"), store.catalog.chunk_ids("q.txt"))
    openai_server.embedding_hook = lambda texts: (
        Hang(60) if any("climb small trees" in t for t in texts) else None
    )
    env = process_env(openai_server, PANELIST_LLM_TIMEOUT_S="120")
    download = put(tmp_path, store.data_dir, NEWER)
    proc = subprocess.Popen(
        [sys.executable, "-c", _ADD, str(store.data_dir), str(download)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any("climb small trees" in str(r.json) for r in openai_server.requests):
        assert time.monotonic() < deadline and proc.poll() is None, "never reached embedding"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    openai_server.embedding_hook = None

    assert (store.catalog.source("q.txt"), store.catalog.chunk_ids("q.txt")) == before
    hit = Retriever(store).search("happiest marsupials", 3, mode="lexical")[0]
    assert hit.chunk.source == "q.txt"
    record = before[0]
    assert record is not None and Path(record.path).exists()
    # The next upload (here: the same new version again) clears what the kill left behind.
    again = add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, NEWER))
    assert again.status == "updated"
    assert len(list((uploads_dir(store.data_dir) / "7").iterdir())) == 1


def test_a_rebuild_that_names_the_uploads_folder_keeps_them(store: Store, tmp_path: Path) -> None:
    """What docs/discord.md tells the operator: ``--rebuild seeds <data dir>/uploads -r``."""
    add_upload(store, "7", "q.txt", put(tmp_path, store.data_dir, QUOKKA))
    put(tmp_path, store.data_dir, b"\x00 a download in progress")  # skipped: .incoming is hidden
    report = ingest(
        store, [tmp_path / "corpus", uploads_dir(store.data_dir)], rebuild=True, recursive=True
    )
    assert report.aborted is None and not report.failed
    assert {r.source for r in store.catalog.sources()} == {"talk.txt", "panel.txt", "q.txt"}
