"""Shared fixtures: the scripted OpenAI server, the fake Discord, and an indexed copy of the seeds.

Nothing here reaches the network: embeddings are local, LLM and Discord are loopback fakes.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Tests must not pick up a developer's .env or real credentials.
os.environ["PANELIST_ENV_FILE"] = ""
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DISCORD_TOKEN", "CHROMA_HOST"):
    os.environ.pop(_var, None)

pytest_plugins = ["tests.fakes.openai_fixtures"]

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.fakes.discord_fixtures import fake_discord  # noqa: E402, F401

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the five seeds ingested once per test session (real embeddings).

    Tests must treat it as read-only; a test that changes the store ingests into its own dir.
    """
    from bot.index.ingest import ingest
    from bot.index.store import Store
    from bot.settings import load_settings

    data = tmp_path_factory.mktemp("seeded")
    store = Store(load_settings(data_dir=data, seeds_dir=SEEDS))
    try:
        report = ingest(store, [SEEDS])
        assert not report.failed, report.failed
    finally:
        store.close()
    return data


@pytest.fixture
def seeded_settings(seeded_data_dir: Path):
    """Settings for the shared seeded store, with no LLM configured (extractive mode)."""
    from bot.settings import load_settings

    return load_settings(data_dir=seeded_data_dir, seeds_dir=SEEDS)
