"""The defence layers the answer pipeline calls, in one import.

Input cleaning/scoring and output checking live in separate modules because they run at different
times (before retrieval, after generation) and share only the invisible-character set.
"""

from __future__ import annotations

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

__all__ = [
    "ELEVATED_THRESHOLD",
    "LINK_REMOVED",
    "STRICT_THRESHOLD",
    "GuardResult",
    "InjectionAssessment",
    "OutputGuard",
    "SanitizedInput",
    "injection_score",
    "make_canary",
    "sanitize_question",
    "strip_invisible",
    "urls_in",
]
