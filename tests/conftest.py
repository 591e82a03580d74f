"""The one fixture plugin: the scripted OpenAI server, the fake Discord, and an indexed copy of the
seeds. Test modules declare no ``pytest_plugins`` of their own (see tests/README.md).

Nothing here reaches the network: embeddings are local, LLM and Discord are loopback fakes.

Tiers. A test that uses a store ingested with the real model (``seeded_data_dir`` or the guard
tests' ``hostile_dirs``, directly or through another fixture) is marked ``seeded``
automatically; ``make test-fast`` runs what is left, which needs no model and no ingest. The
seeded store is built once per content (seeds, embedder, chunking and the code that indexes) and
kept on disk under ``.cache/tests`` (``PANELIST_TEST_CACHE``); a file lock makes parallel workers
(pytest-xdist) wait for one build instead of racing. Each session works on its own copy, so a test
that writes to it cannot change what the next run sees.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Tests must not pick up a developer's .env or real credentials.
os.environ["PANELIST_ENV_FILE"] = ""
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DISCORD_TOKEN", "CHROMA_HOST"):
    os.environ.pop(_var, None)

import pytest  # noqa: E402

pytest_plugins = ["tests.fakes.openai_fixtures", "tests.fakes.discord_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CACHE = Path(os.environ.get("PANELIST_TEST_CACHE", ROOT / ".cache" / "tests"))
# What the seeded store is made from: change any of it and the cached store is rebuilt.
_STORE_INPUTS = (SEEDS, *(ROOT / "bot" / p for p in ("ingest", "index", "records.py")))


# Fixtures that ingest a corpus with the real embedding model: their tests are the seeded tier.
REAL_STORES = {"seeded_data_dir", "hostile_dirs"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_STORES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.seeded)
    # Modules with long tests (kills, real processes, a pty) start first, whole, so that under
    # xdist they run beside the many short tests instead of after them; the order inside a module
    # is kept, so its module-scoped fixtures are still built once per worker.
    weight: dict[str, int] = {}
    for item in items:
        marks = {m.name for m in item.iter_markers()}
        rank = 2 if "faults" in marks else 1 if "slow" in marks else 0
        weight[item.module.__name__] = max(weight.get(item.module.__name__, 0), rank)
    items.sort(key=lambda item: -weight[item.module.__name__])


def seeded_store_key() -> str:
    """A hash of the seed files, the embedder and chunk settings, and the indexing code."""
    from bot.settings import load_settings

    index = load_settings(seeds_dir=SEEDS).index
    # The catalog records where each file was read from, so the checkout's path is part of the key.
    h = hashlib.sha256(
        f"{SEEDS.resolve()}:{index.embedding_backend}:{index.embedding_model}:"
        f"{index.chunk_tokens}:{index.chunk_overlap}".encode()
    )
    for base in _STORE_INPUTS:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _build_seeded_store(target: Path) -> None:
    from bot.index.ingest import ingest
    from bot.index.store import Store
    from bot.settings import load_settings

    store = Store(load_settings(data_dir=target, seeds_dir=SEEDS))
    try:
        report = ingest(store, [SEEDS])
        assert not report.failed, report.failed
    finally:
        store.close()


def cached_seeded_store() -> Path:
    """The on-disk store for the current inputs, built under a lock by whoever comes first."""
    from filelock import FileLock

    key = seeded_store_key()
    CACHE.mkdir(parents=True, exist_ok=True)
    ready = CACHE / f"seeded-{key}"
    with FileLock(str(CACHE / f"seeded-{key}.lock")):
        if not (ready / "READY").exists():
            building = CACHE / f"seeded-{key}.building"
            shutil.rmtree(building, ignore_errors=True)
            shutil.rmtree(ready, ignore_errors=True)
            _build_seeded_store(building)
            (building / "READY").write_text(key + "\n", encoding="utf-8")
            building.rename(ready)
    return ready


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the five seeds ingested (real embeddings), this session's own copy.

    Tests should still treat it as read-only; a test that changes the store ingests into its own
    dir.
    """
    cached = cached_seeded_store()
    data = tmp_path_factory.mktemp("seeded")
    for entry in cached.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, data / entry.name)
        elif entry.name != "READY":
            shutil.copy2(entry, data / entry.name)
    return data


@pytest.fixture
def seeded_settings(seeded_data_dir: Path):
    """Settings for the shared seeded store, with no LLM configured (extractive mode)."""
    from bot.settings import load_settings

    return load_settings(data_dir=seeded_data_dir, seeds_dir=SEEDS)
