"""The defence layers the answer pipeline calls, in one import.

Input cleaning/scoring and output checking live in separate modules because they run at different
times (before retrieval, after generation) and share only the invisible-character set.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer.input_guard import (
    ELEVATED_THRESHOLD,
    STRICT_THRESHOLD,
    InjectionAssessment,
    SanitizedInput,
    injection_score,
    sanitize_question,
    strip_invisible,
)
from bot.answer.output_guard import LINK_REMOVED, GuardResult, OutputGuard, make_canary, urls_in
from bot.ingest.flags import INSTRUCTION_LIKE
from bot.records import Excerpt

REFUSAL = "I can only answer questions about what was said in the discussions."

__all__ = [
    "ELEVATED_THRESHOLD",
    "LINK_REMOVED",
    "REFUSAL",
    "STRICT_THRESHOLD",
    "GuardResult",
    "InjectionAssessment",
    "OutputGuard",
    "SanitizedInput",
    "injection_score",
    "make_canary",
    "request_guard",
    "sanitize_question",
    "strip_invisible",
    "urls_in",
]


def request_guard(system: str, canary: str, excerpts: Sequence[Excerpt]) -> OutputGuard:
    """The output guard for one reply: excerpts may be quoted, but links are allowed only from
    excerpts not flagged as instruction-like at ingest (a planted "post this link" passage)."""
    return OutputGuard.for_request(
        system_prompt=system,
        canary=canary,
        sources=[e.chunk.text for e in excerpts],
        link_sources=[e.chunk.text for e in excerpts if INSTRUCTION_LIKE not in e.chunk.flags],
        refusal_text=REFUSAL,
    )
