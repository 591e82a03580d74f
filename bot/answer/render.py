"""Citations as footnotes, the same on every surface.

Every surface renders footnotes with ``footnote_line`` so the REPL, ``ask`` and Discord agree:
``[1] No Priors — Emad Mostaque, 00:44:28``.
"""

from __future__ import annotations

from bot.records import Answer, Citation
from bot.timefmt import hms


def footnote_line(c: Citation, *, link: bool = True) -> str:
    label = c.label or c.title
    if c.speaker:
        label += f" — {c.speaker}"
    when = hms(c.start)
    if when:
        label += f", {when}"
    if not c.verified:
        label += " (unverified)"
    text = f"[{c.n}] {label}"
    if link and c.url:
        text += f" <{c.url}>"
    return text


def footnotes(answer: Answer, *, link: bool = True) -> list[str]:
    return [footnote_line(c, link=link) for c in answer.citations]


def plain_text(answer: Answer, *, link: bool = True) -> str:
    """The whole answer as text: body, footnotes, then the notice (REPL, ``ask`` without --json)."""
    parts = [answer.text.strip()]
    notes = footnotes(answer, link=link)
    if notes:
        parts.append("\n".join(notes))
    if answer.notice:
        parts.append(answer.notice)
    return "\n\n".join(p for p in parts if p)
