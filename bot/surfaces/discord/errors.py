"""What a Discord user reads when a question fails, and what the operator's log gets instead.

``bot.errors.user_message`` is written for the operator at a terminal: it names hosts and
settings (``check OPENAI_BASE_URL``). A channel must see neither, so only the errors a Discord
user can act on (a bad question, an unknown persona or source) are shown in their own words;
everything else becomes one friendly line here and the detail goes to the log.
"""

from __future__ import annotations

import logging

from discord.utils import escape_markdown

from bot.answer.llm_errors import LLMError
from bot.errors import PanelistError, user_message
from bot.guard.reply import inert
from bot.retrieve.search import QueryError

MODEL_DOWN = "The model endpoint isn't responding right now; try again in a minute."
MODEL_BUSY = "The model is overloaded right now; try again in a minute."
MODEL_REFUSED = "The model declined to answer that one; try asking it another way."
MISCONFIGURED = "I can't answer right now because of a problem on my side; the operator can see it."
UNEXPECTED = "Something went wrong on my side while answering; the operator can see the details."

_LLM_LINES = {
    "connection": MODEL_DOWN,
    "timeout": MODEL_DOWN,
    "server": MODEL_DOWN,
    "malformed": MODEL_DOWN,
    "empty": MODEL_DOWN,
    "rate_limit": MODEL_BUSY,
    "refused": MODEL_REFUSED,
}


def reply_line(exc: BaseException) -> str:
    """One short line for the channel; never a host, a setting, a prompt or a traceback."""
    if isinstance(exc, QueryError):
        # It echoes what the user typed: no pings, masked links or invisible characters back.
        text = inert(escape_markdown(user_message(exc)[:1500].rstrip(".")))
        return text[:1].upper() + text[1:] + "."
    if isinstance(exc, LLMError):
        return _LLM_LINES.get(exc.kind, MISCONFIGURED)
    if isinstance(exc, PanelistError):
        return MISCONFIGURED
    return UNEXPECTED


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Known failures as one line; anything else with its traceback, for the operator only."""
    if isinstance(exc, PanelistError):
        log.warning("%s failed: %s", what, user_message(exc))
    else:
        log.error("%s failed unexpectedly", what, exc_info=exc)
