"""The base of every error a user can act on, and the one place that turns errors into one line.

Each layer defines its own errors (``IngestError``, ``QueryError``, ``LLMError`` ...) as subclasses
of ``PanelistError``, so this module imports nothing from the pipeline and surfaces catch one
class. Anything that is not a ``PanelistError`` is a bug: surfaces log it with its traceback at
DEBUG and show a short generic line, so no surface prints a stack trace or a secret.
"""

from __future__ import annotations


class PanelistError(Exception):
    """An error whose message is one line a user can act on (no secrets, no traceback)."""


def user_message(exc: BaseException) -> str:
    if isinstance(exc, PanelistError):
        text = " ".join(str(exc).split())
        return text or type(exc).__name__
    return f"unexpected {type(exc).__name__}; rerun with PANELIST_LOG_LEVEL=DEBUG for details"
