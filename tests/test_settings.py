"""Settings: every documented environment variable still lands where it did, now in its section,
and a nonsense value stops the command with one line that names the variable.

In-process (typer's CliRunner): the point is the exit code and the one line, not a signal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.settings import Settings, SettingsError, load_settings
from bot.surfaces.cli import app

# (variable, value, path in the nested settings, expected value)
ENV_CASES = [
    ("PANELIST_DATA_DIR", "/tmp/pd", "index.data_dir", Path("/tmp/pd")),
    ("PANELIST_SEEDS_DIR", "/tmp/ps", "seeds_dir", Path("/tmp/ps")),
    ("CHROMA_HOST", "chroma.local", "index.chroma_host", "chroma.local"),
    ("PANELIST_CHROMA_HOST", "chroma2.local", "index.chroma_host", "chroma2.local"),
    ("CHROMA_PORT", "8123", "index.chroma_port", 8123),
    ("PANELIST_CHROMA_PORT", "8124", "index.chroma_port", 8124),
    ("CHROMA_SSL", "true", "index.chroma_ssl", True),
    ("PANELIST_MAX_FILE_MB", "3.5", "index.max_file_mb", 3.5),
    ("PANELIST_EMBEDDING_BACKEND", "openai", "index.embedding_backend", "openai"),
    ("PANELIST_EMBEDDING_MODEL", "text-embedding-3-small", "index.embedding_model",
     "text-embedding-3-small"),
    ("PANELIST_CHUNK_TOKENS", "256", "index.chunk_tokens", 256),
    ("PANELIST_CHUNK_OVERLAP", "0", "index.chunk_overlap", 0),
    ("PANELIST_TOP_K", "7", "retrieval.top_k", 7),
    ("PANELIST_RRF_K", "60", "retrieval.rrf_k", 60),
    ("PANELIST_MAX_QUERY_CHARS", "500", "retrieval.max_query_chars", 500),
    ("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1", "llm.openai_base_url",
     "http://127.0.0.1:8080/v1"),
    ("PANELIST_MODEL", "llama3", "llm.model", "llama3"),
    ("PANELIST_CONTEXT_WINDOW", "8000", "llm.context_window", 8000),
    ("PANELIST_ANSWER_MAX_TOKENS", "300", "llm.answer_max_tokens", 300),
    ("PANELIST_LLM_TIMEOUT_S", "12.5", "llm.llm_timeout_s", 12.5),
    ("PANELIST_LLM_MAX_RETRIES", "0", "llm.llm_max_retries", 0),
    ("PANELIST_TEMPERATURE", "1.5", "llm.temperature", 1.5),
    ("PANELIST_HISTORY_TURNS", "2", "llm.history_turns", 2),
    ("PANELIST_SPOTLIGHT", "1", "llm.spotlight", True),
    ("PANELIST_MAX_QUESTION_CHARS", "300", "llm.max_question_chars", 300),
    ("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10", "discord.discord_api_base",
     "http://127.0.0.1:9/api/v10"),
    ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9/gw", "discord.discord_gateway_url",
     "ws://127.0.0.1:9/gw"),
    ("PANELIST_DISCORD_SHARDED", "true", "discord.discord_sharded", True),
    ("PANELIST_DISCORD_MESSAGE_CONTENT", "true", "discord.discord_message_content", True),
    ("PANELIST_COOLDOWN_S", "2", "discord.cooldown_s", 2.0),
    ("PANELIST_MAX_CONCURRENT_LLM", "9", "discord.max_concurrent_llm", 9),
    ("PANELIST_STREAM_EDIT_INTERVAL_S", "2.5", "discord.stream_edit_interval_s", 2.5),
    ("PANELIST_FEEDBACK_FILE", "/tmp/votes.jsonl", "discord.feedback_file",
     Path("/tmp/votes.jsonl")),
    ("PANELIST_LOG_LEVEL", "debug", "log_level", "DEBUG"),
]  # fmt: skip


def _get(settings: Settings, path: str) -> object:
    obj: object = settings
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(("var", "value", "path", "expected"), ENV_CASES, ids=lambda c: str(c))
def test_every_env_name_still_works(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, path: str, expected: object
) -> None:
    monkeypatch.setenv(var, value)
    assert _get(load_settings(), path) == expected


def test_secrets_land_in_their_sections_and_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-secret-456")
    settings = load_settings()
    assert settings.llm.openai_api_key is not None
    assert settings.llm.openai_api_key.get_secret_value() == "sk-secret-123"
    assert settings.discord.discord_token is not None
    assert settings.discord.discord_token.get_secret_value() == "discord-secret-456"
    shown = repr(settings) + str(settings.model_dump())
    assert "sk-secret-123" not in shown and "discord-secret-456" not in shown
    assert settings.llm_enabled


def test_dotenv_file_is_read_by_every_section(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    env.write_text("PANELIST_TOP_K=9\nCHROMA_PORT=7000\nPANELIST_COOLDOWN_S=3\nPANELIST_MODEL=m\n")
    monkeypatch.setenv("PANELIST_ENV_FILE", str(env))
    s = load_settings()
    assert (s.retrieval.top_k, s.index.chroma_port, s.discord.cooldown_s, s.llm.model) == (
        9,
        7000,
        3.0,
        "m",
    )


def test_overrides_go_to_the_owning_section() -> None:
    s = load_settings(data_dir=Path("/tmp/o"), top_k=3, openai_base_url="http://h:1/v1")
    assert (s.data_dir, s.retrieval.top_k) == (Path("/tmp/o"), 3)
    assert s.llm.openai_base_url == "http://h:1/v1"
    assert s.offline().llm_enabled is False and s.llm_enabled is True


# (variable, bad value): each must stop any command with one line naming the variable.
BAD = [
    ("PANELIST_RRF_K", "-10"),
    ("PANELIST_TOP_K", "-3"),
    ("PANELIST_TOP_K", "lots"),
    ("PANELIST_TEMPERATURE", "9"),
    ("PANELIST_MAX_CONCURRENT_LLM", "0"),
    ("OPENAI_BASE_URL", "http://[::1"),
    ("OPENAI_BASE_URL", "localhost:8080"),
    ("OPENAI_BASE_URL", "http://127.0.0.1:99999/v1"),
    ("CHROMA_PORT", "70000"),
    ("PANELIST_CHUNK_TOKENS", "5"),
    ("PANELIST_CONTEXT_WINDOW", "0"),
    ("PANELIST_LLM_TIMEOUT_S", "-1"),
    ("PANELIST_HISTORY_TURNS", "-1"),
    ("PANELIST_MAX_QUESTION_CHARS", "0"),
    ("PANELIST_COOLDOWN_S", "-5"),
    ("PANELIST_LOG_LEVEL", "loud"),
    ("DISCORD_GATEWAY_URL", "http://not-a-websocket"),
    ("DISCORD_API_BASE", "ftp://x"),
    ("PANELIST_EMBEDDING_BACKEND", "magic"),
]


@pytest.mark.parametrize(("var", "value"), BAD, ids=[f"{v}={x}" for v, x in BAD])
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert var in message and "\n" not in message


@pytest.mark.parametrize(
    "argv",
    [["ask", "what is open source"], ["search", "open source"], ["sources"],
     ["eval", "answers"], ["bench", "--scale", "1"], ["discord"], ["feedback"],
     ["doctor"], ["inspect", "seeds/manifest.toml"], ["ingest", "seeds"]],
    ids=lambda a: a[0] if a[0] != "eval" else "eval-answers",
)  # fmt: skip
@pytest.mark.parametrize(
    ("var", "value"), [("PANELIST_RRF_K", "-10"), ("OPENAI_BASE_URL", "http://[::1")]
)
def test_cli_refuses_bad_setting_before_doing_anything(
    tmp_path: Path, argv: list[str], var: str, value: str
) -> None:
    """Every command: exit 1, one line on stderr naming the variable, no traceback."""
    env = {var: value, "PANELIST_DATA_DIR": str(tmp_path / "data"), "DISCORD_TOKEN": "x"}
    result = CliRunner().invoke(app, argv, env=env)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and var in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists()  # refused before touching the store
