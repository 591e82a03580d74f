"""All configuration in one place: environment variables (``PANELIST_`` prefix) and ``.env``.

Settings are nested by the component that uses them (``index``, ``retrieval``, ``llm``,
``discord``), so each component is handed only its own section and a reader can see what it
depends on. The environment stays flat: every section reads the same ``PANELIST_*`` names as
before, and the OpenAI, Discord and Chroma settings keep their conventional unprefixed names
(``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``DISCORD_TOKEN``, ``DISCORD_API_BASE``,
``DISCORD_GATEWAY_URL``, ``CHROMA_HOST``, ``CHROMA_PORT``) because those are what users already
export for other tools. Every number has bounds, so a nonsense value fails at start-up with one
line that names the variable, not later with a traceback. Secrets are ``SecretStr`` so they
never print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import PanelistError


class SettingsError(PanelistError):
    """A setting is missing or invalid; the message is one line a user can act on."""


_ENV = SettingsConfigDict(
    env_prefix="PANELIST_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
)


def _check_url(value: str | None, schemes: tuple[str, ...], example: str) -> str | None:
    """An absolute URL with a host, or None for unset/empty; anything else is refused here,
    not by the HTTP client at the first request."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc}); expected e.g. {example}") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"expected a {'/'.join(schemes)} URL with a host, e.g. {example}")
    return value


class IndexSettings(BaseSettings):
    """Where the store lives and how passages are chunked and embedded (``bot/index``)."""

    model_config = _ENV

    data_dir: Path = Path("data")
    chroma_host: str | None = Field(
        default=None, validation_alias=AliasChoices("CHROMA_HOST", "PANELIST_CHROMA_HOST")
    )
    chroma_port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("CHROMA_PORT", "PANELIST_CHROMA_PORT"),
    )
    chroma_ssl: bool = Field(
        default=False, validation_alias=AliasChoices("CHROMA_SSL", "PANELIST_CHROMA_SSL")
    )
    max_file_mb: float = Field(default=25.0, gt=0, le=10_000)  # larger files refused at ingest
    embedding_backend: Literal["local", "openai"] = "local"
    # local default; e.g. text-embedding-3-small for openai
    embedding_model: str = Field(default="all-MiniLM-L6-v2", min_length=1)
    chunk_tokens: int = Field(default=192, ge=32, le=2000)
    chunk_overlap: int = Field(default=1, ge=0, le=20)  # segments repeated in the next chunk

    @field_validator("chroma_host")
    @classmethod
    def _blank_host_is_unset(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None


class RetrievalSettings(BaseSettings):
    """How many passages a search returns and how the two rankings are fused (``bot/retrieve``)."""

    model_config = _ENV

    top_k: int = Field(default=5, ge=1, le=100)
    # chosen with `panelist eval retrieval` (docs/retrieval.md); 60 is the paper's
    rrf_k: int = Field(default=5, ge=1, le=10_000)
    max_query_chars: int = Field(default=2000, ge=1, le=100_000)


class LLMSettings(BaseSettings):
    """The model endpoint and how answers are generated (``bot/answer``)."""

    model_config = _ENV

    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    model: str = Field(default="gpt-4o-mini", min_length=1)
    context_window: int = Field(default=16000, ge=1000, le=10_000_000)  # the prompt is sized to fit
    answer_max_tokens: int = Field(default=700, ge=16, le=100_000)
    # until the reply starts, retries included; and between deltas
    llm_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    # the whole reply, start to finish; a trickling model is cut
    llm_deadline_s: float = Field(default=180.0, gt=0, le=86_400)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    # rewriting a follow-up into a standalone search query: worth a moment, never the answer's
    # whole timeout; past it the follow-up is searched with the previous question as context
    rewrite_timeout_s: float = Field(default=3.0, gt=0, le=60)
    temperature: float = Field(default=0.3, ge=0, le=2)
    history_turns: int = Field(default=6, ge=0, le=100)  # recent turns kept per conversation
    spotlight: bool = False  # datamark excerpts in the prompt (see docs/security.md)
    max_question_chars: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("openai_base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        return _check_url(v, ("http", "https"), "http://localhost:8080/v1")

    @field_validator("openai_api_key")
    @classmethod
    def _blank_key_is_unset(cls, v: SecretStr | None) -> SecretStr | None:
        return v if v is not None and v.get_secret_value().strip() else None

    @property
    def enabled(self) -> bool:
        """The model is used when either standard OpenAI setting is present (issue contract)."""
        return bool(self.openai_base_url or self.openai_api_key)


class DiscordSettings(BaseSettings):
    """The bot's connection, intents and per-user limits (``bot/surfaces/discord``)."""

    model_config = _ENV

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
    cooldown_s: float = Field(default=10.0, ge=0, le=86_400)  # per user, between questions
    max_concurrent_llm: int = Field(default=4, ge=1, le=1000)
    stream_edit_interval_s: float = Field(default=1.0, ge=0.2, le=60)
    feedback_file: Path | None = None  # 👍/👎 votes (JSONL); default <data_dir>/feedback.jsonl
    discord_state_file: Path | None = None  # memory, cooldowns; <data_dir>/discord_state.sqlite3

    @field_validator("discord_api_base")
    @classmethod
    def _api_base(cls, v: str) -> str:
        return _check_url(v, ("http", "https"), "https://discord.com/api/v10") or (
            "https://discord.com/api/v10"
        )

    @field_validator("discord_gateway_url")
    @classmethod
    def _gateway(cls, v: str | None) -> str | None:
        return _check_url(v, ("ws", "wss"), "wss://gateway.discord.gg")


class Settings(BaseSettings):
    """The root: paths and logging, plus one section per component. Built by ``load_settings``."""

    model_config = _ENV

    seeds_dir: Path = Path("seeds")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "WARNING"
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v

    @property
    def data_dir(self) -> Path:
        return self.index.data_dir

    @property
    def llm_enabled(self) -> bool:
        return self.llm.enabled

    def offline(self) -> Settings:
        """The same settings with no model configured (extractive answers)."""
        llm = self.llm.model_copy(update={"openai_base_url": None, "openai_api_key": None})
        return self.model_copy(update={"llm": llm})


_SECTIONS: dict[str, type[BaseSettings]] = {
    "index": IndexSettings,
    "retrieval": RetrievalSettings,
    "llm": LLMSettings,
    "discord": DiscordSettings,
}


def env_name(cls: type[BaseSettings], field: str) -> str:
    """The environment variable a field is read from (its first alias, or PANELIST_<NAME>)."""
    info = cls.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"PANELIST_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment and ``.env``; keyword overrides use the field names
    (``data_dir=``, ``top_k=``, ``openai_base_url=`` ...) and go to the section that owns them.

    A bad value becomes one ``SettingsError`` line naming the variable. ``PANELIST_ENV_FILE``
    names the dotenv file (default ``.env``; empty for none, as tests use).
    """
    env_file = os.environ.get("PANELIST_ENV_FILE", ".env") or None
    given = {k: v for k, v in overrides.items() if v is not None}
    parts: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        mine = {k: given.pop(k) for k in list(given) if k in cls.model_fields}
        parts[name] = _build(cls, env_file, mine)
    unknown = set(given) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    return _build(Settings, env_file, given | parts)  # type: ignore[return-value]


def _build(cls: type[BaseSettings], env_file: str | None, values: dict[str, Any]) -> BaseSettings:
    # Overrides are passed by field name; fields read from an unprefixed variable are declared by
    # alias, so pass those under the alias (pydantic-settings matches init kwargs by alias).
    kwargs = {}
    for k, v in values.items():
        info = cls.model_fields.get(k)
        alias = info.validation_alias if info else None
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        kwargs[str(alias) if alias else k] = v
    try:
        return cls(_env_file=env_file, **kwargs)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(_one_line(cls, exc)) from None


def _one_line(cls: type[BaseSettings], exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    by_alias = {env_name(cls, f).lower(): f for f in cls.model_fields}
    field = loc[0] if loc and loc[0] in cls.model_fields else by_alias.get(loc[0].lower(), "")
    where = env_name(cls, field) if field else ".".join(loc) or "settings"
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    secret = field in ("openai_api_key", "discord_token")
    value = err.get("input")
    shown = "" if secret or isinstance(value, dict) else f" (got {str(value)[:60]!r})"
    return f"invalid setting {where}{shown}: {msg}"
