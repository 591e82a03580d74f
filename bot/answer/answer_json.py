"""The ``ask --json`` shape (a contract for scripts: add keys, never rename or remove)."""

from __future__ import annotations

from typing import Any

from bot.records import Answer
from bot.timefmt import hms


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "mode": answer.mode,
        "grounded": answer.grounded,
        "persona": answer.persona,
        "citations": [
            {
                "n": c.n,
                "source": c.source,
                "title": c.title,
                "speaker": c.speaker,
                "start": hms(c.start),
                "quote": c.quote,
                "verified": c.verified,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "label": c.label,
                "url": c.url,
            }
            for c in answer.citations
        ],
        "notice": answer.notice,
    }
