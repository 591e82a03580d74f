"""Citations as footnotes, and deep links into recordings whose hosts support a time offset.

Every surface renders footnotes with ``footnote_line`` so the REPL, ``ask`` and Discord agree:
``[1] No Priors — Emad Mostaque, 00:44:28``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.records import Answer, Citation
from bot.timefmt import hms

_YOUTUBE = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "music.youtube.com"}
_VIMEO = {"vimeo.com", "www.vimeo.com"}


def deep_link(url: str | None, seconds: float | None) -> str | None:
    """The URL at the quote's moment where the host supports it; the plain URL otherwise."""
    if not url:
        return None
    if seconds is None:
        return url
    parts = urlsplit(url)
    host = parts.netloc.lower()
    t = int(seconds)
    if host in _YOUTUBE:
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "t"] + [("t", f"{t}s")]
        return urlunsplit(parts._replace(query=urlencode(query)))
    if host in _VIMEO:
        return urlunsplit(parts._replace(fragment=f"t={t}s"))
    return url


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
