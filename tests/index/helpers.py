"""Settings for store tests: embeddings from the loopback OpenAI fake (fast, deterministic)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.settings import Settings, load_settings
from tests.fakes.openai_server import FakeOpenAI

WHISPER = (
    "[00:00.000 --> 00:04.000]  Small models will outperform large models on the edge.\n"
    "[00:04.000 --> 00:09.000]  Data quality matters more than sheer quantity for training.\n"
    "[00:09.000 --> 00:15.000]  We curate every dataset by hand before a training run.\n"
)
PANEL = (
    "Ada Lovelace: Engines could compose elaborate pieces of music one day.\n\n"
    "AL: Provided the science of harmony were expressed in symbols.\n\n"
    "Charles Babbage: The difference engine needs far more funding from parliament.\n"
)


def fake_settings(data_dir: Path, server: FakeOpenAI, **extra: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "embedding_backend": "openai",
        "embedding_model": "fake-embed",
        "openai_base_url": server.base_url,
        "openai_api_key": "test-key",
        "llm_max_retries": 0,
    }
    return load_settings(**(values | extra))


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "talk.txt").write_text(WHISPER, encoding="utf-8")
    (folder / "panel.txt").write_text(PANEL, encoding="utf-8")
    return folder


def process_env(server: FakeOpenAI, **extra: str) -> dict[str, str]:
    """``fake_settings`` for a real ``python -m bot`` process: this environment without any
    OPENAI_/PANELIST_ setting of the developer's, embeddings from the loopback fake."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PANELIST_"))}
    env.update(
        PANELIST_ENV_FILE="",
        HF_HUB_OFFLINE="1",
        PANELIST_EMBEDDING_BACKEND="openai",
        PANELIST_EMBEDDING_MODEL="fake-embed",
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="test-key",
        PANELIST_LLM_MAX_RETRIES="0",
    )
    env.update(extra)
    return env
