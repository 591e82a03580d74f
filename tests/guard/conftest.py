"""The attacker's corpus (tests/guard/hostile_corpus.py), ingested once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.guard.hostile_corpus import write_corpus


@pytest.fixture(scope="session")
def hostile_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(seeds folder, data dir) of the hostile corpus; tests treat both as read-only."""
    from bot.index.ingest import ingest
    from bot.index.store import Store

    seeds = write_corpus(tmp_path_factory.mktemp("hostile-seeds"))
    data = tmp_path_factory.mktemp("hostile-data")
    store = Store(load_settings(data_dir=data, seeds_dir=seeds))
    try:
        report = ingest(store, [seeds])
        assert not report.failed, report.failed
    finally:
        store.close()
    return seeds, data
