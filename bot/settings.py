"""All configuration in one place: environment variables (``PANELIST_`` prefix) and ``.env``.

The OpenAI and Discord settings keep their conventional unprefixed names (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``, ``DISCORD_TOKEN``, ``DISCORD_API_BASE``, ``DISCORD_GATEWAY_URL``) because
those are what users already export for other tools. Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import PanelistError


class SettingsError(PanelistError):
    """A setting is missing or invalid; the message is one line a user can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PANELIST_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -----------------------------------------------------------------------------
    data_dir: Path = Path("data")
    seeds_dir: Path = Path("seeds")
    chroma_host: str | None = Field(
        default=None, validation_alias=AliasChoices("CHROMA_HOST", "PANELIST_CHROMA_HOST")
    )
    chroma_port: int = Field(
        default=8000, validation_alias=AliasChoices("CHROMA_PORT", "PANELIST_CHROMA_PORT")
    )
    chroma_ssl: bool = Field(
        default=False, validation_alias=AliasChoices("CHROMA_SSL", "PANELIST_CHROMA_SSL")
    )
    max_file_mb: float = 25.0  # files above this are refused at ingest with a clear message

    # --- embeddings and chunking -------------------------------------------------------------
    embedding_backend: Literal["local", "openai"] = "local"
    embedding_model: str = (
        "all-MiniLM-L6-v2"  # local default; e.g. text-embedding-3-small for openai
    )
    chunk_tokens: int = 192
    chunk_overlap: int = 1  # segments repeated at the start of the next chunk

    # --- retrieval ---------------------------------------------------------------------------
    top_k: int = 5
    rrf_k: int = 10  # chosen with `panelist eval retrieval` (docs/retrieval.md); 60 is the paper's
    max_query_chars: int = 2000

    # --- LLM ---------------------------------------------------------------------------------
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    model: str = "gpt-4o-mini"
    context_window: int = 16000  # tokens the model accepts; the prompt is sized to fit
    answer_max_tokens: int = 700
    llm_timeout_s: float = 60.0  # until the reply starts, retries included; and between deltas
    llm_deadline_s: float = 180.0  # the whole reply, start to finish; a trickling model is cut
    llm_max_retries: int = 2
    temperature: float = 0.3
    history_turns: int = 6  # recent conversation turns kept per conversation
    spotlight: bool = False  # datamark excerpts in the prompt (see docs/security.md)

    # --- Discord -----------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    discord_api_base: str = Field(
        default="https://discord.com/api/v10", validation_alias="DISCORD_API_BASE"
    )
    discord_gateway_url: str | None = Field(default=None, validation_alias="DISCORD_GATEWAY_URL")
    discord_sharded: bool = False
    # Privileged intent: lets follow-ups in the bot's threads work without a mention or a reply.
    # DMs, mentions and replies to the bot are readable without it.
    discord_message_content: bool = False
    discord_shutdown_grace_s: float = Field(default=10.0, ge=0, le=600)  # answers may finish
    discord_max_in_flight_per_user: int = Field(default=2, ge=1, le=100)  # asked, not yet answered
    cooldown_s: float = 10.0  # per user, between questions
    max_concurrent_llm: int = 4
    max_question_chars: int = 1000
    stream_edit_interval_s: float = 1.0
    feedback_file: Path | None = None  # 👍/👎 votes (JSONL); default <data_dir>/feedback.jsonl
    discord_state_file: Path | None = None  # memory, cooldowns; <data_dir>/discord_state.sqlite3

    log_level: str = "WARNING"

    @field_validator("chunk_tokens")
    @classmethod
    def _chunk_tokens_range(cls, v: int) -> int:
        if not 32 <= v <= 2000:
            raise ValueError("must be between 32 and 2000")
        return v

    @property
    def llm_enabled(self) -> bool:
        """The model is used when either standard OpenAI setting is present (issue contract)."""
        return bool(self.openai_base_url or self.openai_api_key)

    @cached_property
    def store_dir(self) -> Path:
        return self.data_dir / "store"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable line.

    ``PANELIST_ENV_FILE`` names the dotenv file (default ``.env``; empty for none, as tests use).
    """
    env_file = os.environ.get("PANELIST_ENV_FILE", ".env") or None
    try:
        return Settings(
            _env_file=env_file,  # type: ignore[call-arg]
            **{k: v for k, v in overrides.items() if v is not None},
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        raise SettingsError(f"invalid setting {where}: {err.get('msg')}") from None
