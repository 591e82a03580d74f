"""The exceptions a user can act on, and the one place that turns them into one line.

Surfaces catch ``USER_ERRORS`` and show ``user_message(exc)``; anything else is a bug, logged
with its traceback at DEBUG and shown as a short generic line, so no surface prints a stack
trace or a secret.
"""

from __future__ import annotations

from bot.answer.llm_errors import LLMError
from bot.index.embed import EmbeddingError
from bot.index.lock import StoreLockedError
from bot.index.store import StoreInconsistentError, StoreMismatchError
from bot.index.vectors import VectorStoreError
from bot.ingest.read import IngestError
from bot.retrieve.search import QueryError
from bot.settings import SettingsError

USER_ERRORS: tuple[type[Exception], ...] = (
    EmbeddingError,
    IngestError,
    LLMError,
    QueryError,
    SettingsError,
    StoreInconsistentError,
    StoreLockedError,
    StoreMismatchError,
    VectorStoreError,
)


def user_message(exc: BaseException) -> str:
    if isinstance(exc, USER_ERRORS):
        text = " ".join(str(exc).split())
        return text or type(exc).__name__
    return f"unexpected {type(exc).__name__}; rerun with PANELIST_LOG_LEVEL=DEBUG for details"
