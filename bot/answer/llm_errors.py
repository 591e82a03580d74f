"""``LLMError`` on its own, so surfaces can catch model failures without importing ``openai``
(which costs ~0.6 s of start-up that offline, extractive-only runs never need)."""

from __future__ import annotations

from typing import Literal

from bot.errors import PanelistError

ErrorKind = Literal[
    "connection",
    "timeout",
    "auth",
    "not_found",
    "rate_limit",
    "server",
    "request",
    "malformed",
    "empty",
    "refused",
    "config",
]


class LLMError(PanelistError):
    """A model call failed; ``str()`` is one secret-free line meant for the user."""

    def __init__(self, message: str, *, kind: ErrorKind, status: int | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.status = status
