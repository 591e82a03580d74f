"""A model reply (or transcript text shown to users) may not imitate the bot's own trust marks.

Readers trust a footnote line (``[2] WEF Panel — Yann LeCun, 00:03:12``), a ``(verified)`` label
and an ``[n]`` marker because the bot adds them only after checking a quote. A model that writes
them itself forges that trust, so before quotes are verified every line of the reply shaped like
a footnote is dropped and every verification label the model wrote is removed; the surface then
adds the real footnotes. Transcript text shown on its own (``/quote``, listings, autocomplete)
gets ``inert``: no invisible characters, no pings, no clickable links. One regex pass each.
"""

from __future__ import annotations

import re

from bot.guard.unicode import strip_invisible

# "[2] WEF Panel — Yann LeCun, 00:03:12 (verified): …", "- [1]: Title, 00:44:28", "[^1]: …"
_FOOTNOTE_LINE = re.compile(
    r"(?m)^[ \t]*(?:[-*+•>][ \t]*)*(?:\[\^?\d+\]:?|\^\d+|\(\d+\)|\d+\))[ \t]*"
    r"(?=[^\n]*(?:\b\d{1,2}:\d{2}(?::\d{2})?\b|\(\s*(?:un)?verified\s*\)|[—–]|\bverified\b))"
    r"[^\n]*(?:\n|$)"
)
_VERIFY_LABEL = re.compile(
    r"[ \t]*(?:\(\s*(?:un)?verified(?:\s+quote)?\s*\)|\[\s*(?:un)?verified\s*\]"
    r"|[✅✔☑✓]\ufe0f?(?:[ \t]*(?:un)?verified\b)?)",
    re.I,
)
_FOOTNOTE_REF = re.compile(r"\[\^\d+\]")  # markdown footnote references pose as our [n]


def neutralise_marks(text: str) -> tuple[str, bool]:
    """``text`` without lines posing as footnotes or labels posing as verification; and whether
    anything was removed."""
    cleaned = _FOOTNOTE_LINE.sub("", text)
    cleaned = _VERIFY_LABEL.sub("", cleaned)
    cleaned = _FOOTNOTE_REF.sub("", cleaned)
    return cleaned.rstrip("\n") if cleaned != text else text, cleaned != text


_EVERYONE = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ID_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_SCHEME = re.compile(r"\b(https?|ftp|steam|discord)://|\bwww\.", re.IGNORECASE)


def neutralise_mentions(text: str) -> str:
    """``@everyone``, ``@here`` and ``<@id>`` as look-alikes Discord never parses as mentions."""

    def escape_id(m: re.Match[str]) -> str:
        return f"<{m.group(1).replace('@', '＠').replace('#', '＃')}{m.group(2)}>"

    return _ID_MENTION.sub(escape_id, _EVERYONE.sub(r"＠\1", text))


def defang_links(text: str) -> str:
    """URLs stay readable but no client makes them clickable: ``hxxps://``, ``www[.]``."""

    def defang(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1).replace("t", "x", 2).replace("T", "X", 2) + "[:]//"
        return m.group()[:3] + "[.]"

    return _SCHEME.sub(defang, text)


def inert(text: str) -> str:
    """Transcript text shown as it is: invisible characters, pings and clickable links removed."""
    return defang_links(neutralise_mentions(strip_invisible(text)))
