"""Citations: the one place a footnote is built, numbered, and linked into the recording.

Both answer modes cite through ``make_citation``: the generated mode from a verified quote
(``number_citations``), the extractive mode from a sentence it sliced out of a chunk. Either way the
footnote carries the file span, the timestamp of the segment where the quote starts, the speaker,
the catalog's title and label, and a deep link at that moment where the host supports one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.answer.verify import verify_quotes
from bot.records import Citation, Excerpt

# source file name -> (title, label, url) from the catalog
Sources = dict[str, tuple[str, str, str | None]]

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


def make_citation(
    n: int,
    source: str,
    *,
    speaker: str | None,
    start: float | None,
    quote: str,
    char_start: int | None,
    char_end: int | None,
    sources: Sources,
    title: str | None = None,
) -> Citation:
    """A verified footnote; title, label and link come from the catalog (``sources``), falling
    back to ``title`` (or the file name) for a source the catalog does not describe."""
    fallback = title or source
    title, label, url = sources.get(source, (fallback, fallback, None))
    return Citation(
        n=n,
        source=source,
        title=title,
        speaker=speaker,
        start=start,
        quote=quote,
        verified=True,
        char_start=char_start,
        char_end=char_end,
        url=deep_link(url, start),
        label=label,
    )


def number_citations(
    text: str, excerpts: Sequence[Excerpt], sources: Sources
) -> tuple[str, list[Citation]]:
    """One footnote per verified quote, numbered in reading order; markers rewritten to match.

    ``text`` has already been cleaned by ``apply_checks``, so every quote left in it verifies;
    it is checked again here because the footnote must carry the quote's own span and time.
    Bare ``[n]`` markers on paraphrases point at the first quote from the same excerpt, or are
    dropped, so no marker refers to an excerpt number the reader never sees.
    """
    checks = [c for c in verify_quotes(text, excerpts) if c.verified and c.ref.marker]
    citations: list[Citation] = []
    first_for_excerpt: dict[int, int] = {}
    edits: list[tuple[int, int, str]] = []
    for check in checks:
        n = len(citations) + 1
        citations.append(
            make_citation(
                n,
                check.source or "",
                speaker=check.speaker,
                start=check.start,
                quote=check.source_text or check.quote,
                char_start=check.char_start,
                char_end=check.char_end,
                sources=sources,
            )
        )
        first_for_excerpt.setdefault(check.excerpt or 0, n)
        assert check.ref.marker is not None
        edits.append((*check.ref.marker, f"[{n}]"))
    covered = sorted(c.ref.marker for c in checks if c.ref.marker)
    starts = [a for a, _ in covered]
    for m in re.finditer(r"\[(\d+)\]", text):
        k = bisect.bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < covered[k][1]:  # inside a quote's own marker, e.g. "[2][3]"
            continue
        target = first_for_excerpt.get(int(m.group(1)))
        edits.append((m.start(), m.end(), f"[{target}]" if target else ""))
    out, pos = [], 0
    for a, b, new in sorted(edits):  # one pass: slicing per edit was quadratic in the markers
        out += [text[pos:a], new]
        pos = b
    text = "".join([*out, text[pos:]])
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return text, citations
