"""Code-side checks on what the model wrote, before Discord renders it.

The model has read untrusted transcripts and an untrusted question, so its reply is untrusted too.
Prompt wording can only ask it to behave; this module makes a few failures impossible regardless:
leaking the system prompt or its canary, planting links the sources never contained, hiding a
link behind friendly text, pinging people, smuggling invisible characters, and writing its own
footnotes or "(verified)" labels (``bot.guard.reply``).

Mentions are neutralised by replacing the ASCII ``@`` (and ``#`` in channel links) with the
fullwidth ``＠``/``＃``. Discord only parses the ASCII forms, so ``＠everyone`` and ``<＠123>`` stay
visible and readable but can never ping. A zero-width joiner would be stripped by this same guard
(and by any sanitiser downstream), and backticks can be closed by the model's own backticks; a
different code point survives both. Surfaces should still send with no allowed mentions: this is
the second lock, not the only one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from bot.guard.canary import CanaryKeys, b64_compact, make_canary
from bot.guard.reply import neutralise_marks
from bot.guard.unicode import strip_escapes, strip_invisible

LINK_REMOVED = "[link removed]"

_URL_RE = re.compile(r"(?:(?:https?|ftp|steam|discord)://|www\.)\S+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*_~>"
_MASKED_LINK_RE = re.compile(
    r"!?\[(?P<text>[^\[\]\n]{0,300})\]\(\s*<?(?P<url>[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)>?"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_EVERYONE_RE = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ID_MENTION_RE = re.compile(r"<(@[!&]?|#)(\d+)>")
_WORD_RE = re.compile(r"[^\W_]+")


def _trim_url(raw: str) -> str:
    """Drop punctuation that ends the sentence rather than the URL; keep balanced parentheses.

    One pass from the end with running counts (recounting per character was quadratic on a URL
    followed by thousands of ")")."""
    opened, closed = raw.count("("), raw.count(")")
    end = len(raw)
    while end:
        ch = raw[end - 1]
        if ch in _TRAILING or (ch == ")" and opened < closed):
            closed -= ch == ")"
            end -= 1
            continue
        break
    return raw[:end]


def urls_in(text: str) -> set[str]:
    """Every URL a reader could click in ``text``, as the guard will compare them."""
    return {_trim_url(m.group()) for m in _URL_RE.finditer(strip_invisible(text))} - {""}


def _url_key(url: str) -> str:
    """Scheme and host are case-insensitive and a trailing slash or fragment changes nothing."""
    url = url.strip().strip("<>")
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def _words(text: str) -> list[str]:
    """Words only, so markdown, punctuation, case or fullwidth letters cannot hide a copied run."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", strip_invisible(text)).casefold())


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@dataclass(slots=True)
class GuardResult:
    text: str
    refused: bool
    reasons: list[str] = field(default_factory=list)


class OutputGuard:
    """One per request: it holds that request's prompt, canary and allowed links."""

    def __init__(
        self,
        *,
        system_prompt: str,
        canary: str,
        allowed_urls: Iterable[str],
        refusal_text: str,
        quotable_texts: Iterable[str] = (),
        min_leak_words: int = 8,
        holdback_words: int = 12,
    ) -> None:
        self.refusal_text = refusal_text
        self._allowed = {_url_key(u) for u in allowed_urls}
        self._n = min_leak_words
        self._holdback_words = max(holdback_words, min_leak_words)
        # Quoting the sources is the bot's job, so runs that the sources also contain are not a
        # leak even when the caller's "system prompt" embeds those sources.
        quotable: set[tuple[str, ...]] = set()
        for text in quotable_texts:
            quotable |= _ngrams(_words(text), min_leak_words)
        self._prompt_ngrams = _ngrams(_words(system_prompt), min_leak_words) - quotable
        self._canary = CanaryKeys.of(canary)
        self._holdback_chars = 2 * len(canary) + 2
        self._refused = False
        self._scanner = _LeakScanner(self._n, self._prompt_ngrams, self._canary)

    @classmethod
    def for_request(
        cls,
        *,
        system_prompt: str,
        canary: str,
        sources: Iterable[str],
        refusal_text: str,
        link_sources: Iterable[str] | None = None,
    ) -> OutputGuard:
        """Quotable runs come from the retrieved source texts; links from ``link_sources`` (by
        default the same texts), so a caller can refuse links from passages that read like
        instructions to a model, the usual carrier of a planted link."""
        sources = list(sources)
        linkable = sources if link_sources is None else list(link_sources)
        allowed = set().union(*(urls_in(s) for s in linkable)) if linkable else set()
        return cls(
            system_prompt=system_prompt,
            canary=canary,
            allowed_urls=allowed,
            refusal_text=refusal_text,
            quotable_texts=sources,
        )

    @property
    def must_refuse(self) -> bool:
        """Sticky: once any prefix leaked, the stream stops and the refusal replaces it."""
        return self._refused

    def feed(self, delta: str) -> bool:
        """Scan one more piece of a streamed reply for leaks; True once the reply must be refused.

        Incremental: each character is scanned once however many deltas arrive, where calling
        :meth:`check_partial` on the growing text per delta was quadratic (a 200 KB reply kept a
        core busy for half an hour). Finds exactly what :meth:`check` finds on the whole text
        (word runs and the canary are carried across delta boundaries).
        """
        if not self._refused and self._scanner.feed(delta):
            self._refused = True
        return self._refused

    def check(self, text: str) -> GuardResult:
        leaks = self._leaks(text)
        if leaks:
            self._refused = True
            return GuardResult(self.refusal_text, True, leaks)
        safe, reasons = self._neutralise(text)
        return GuardResult(safe, False, reasons)

    def check_partial(self, text_so_far: str) -> str:
        """What may be shown now: the refusal once a leak appears, else a guarded, held-back prefix.

        The last ``holdback_words`` words (at least ``min_leak_words``) and about two canary
        lengths of characters stay hidden, so a run that becomes a leak with the next tokens was
        never on screen.
        """
        if self._refused or self._leaks(text_so_far):
            self._refused = True
            return self.refusal_text
        return self._neutralise(text_so_far[: self._safe_cut(text_so_far)].rstrip())[0]

    # --- internals ----------------------------------------------------------------------------

    def _leaks(self, text: str) -> list[str]:
        reasons = []
        if self._canary.found_in(text):
            reasons.append("canary")
        if self._prompt_ngrams and not _ngrams(_words(text), self._n).isdisjoint(
            self._prompt_ngrams
        ):
            reasons.append("system_prompt_leak")
        return reasons

    def _safe_cut(self, text: str) -> int:
        words = list(re.finditer(r"\S+", text))
        if len(words) <= self._holdback_words:
            return 0
        limit = min(words[-self._holdback_words - 1].end(), len(text) - self._holdback_chars)
        cut = max((w.end() for w in words if w.end() <= limit), default=0)
        prefix = text[:cut]
        # Never show half a markdown link or half an <...> token: its meaning comes at the end.
        for opener, closer in (("[", ")"), ("<", ">")):
            start = prefix.rfind(opener)
            if start > prefix.rfind(closer):
                cut = start
                prefix = text[:cut]
        return cut

    def _allowed_url(self, url: str) -> bool:
        return _url_key(url) in self._allowed

    def _neutralise(self, text: str) -> tuple[str, list[str]]:
        reasons: list[str] = []
        cleaned = strip_invisible(strip_escapes(text))
        if cleaned != text:
            reasons.append("invisible_chars")
        cleaned, forged = neutralise_marks(cleaned)
        if forged:
            reasons.append("fake_citation_mark")
        cleaned = self._unmask_links(cleaned, reasons)
        cleaned = self._remove_urls(cleaned, reasons)
        escaped = _ID_MENTION_RE.sub(_escape_id_mention, _EVERYONE_RE.sub(r"＠\1", cleaned))
        if escaped != cleaned:
            reasons.append("mention_escaped")
        return escaped, reasons

    def _unmask_links(self, text: str, reasons: list[str]) -> str:
        def plain(m: re.Match[str]) -> str:
            url = _trim_url(m.group("url"))
            label = m.group("text").strip()
            if url and self._allowed_url(url):
                return f"{label} ({url})" if label else url
            return label or LINK_REMOVED

        for _ in range(5):  # "[[a](b)](c)" becomes a new masked link after one pass
            new = _MASKED_LINK_RE.sub(plain, text)
            if new == text:
                break
            text = new
            if "masked_link" not in reasons:
                reasons.append("masked_link")
        return text.replace("](", "] (")

    def _remove_urls(self, text: str, reasons: list[str]) -> str:
        def replace(m: re.Match[str]) -> str:
            raw = m.group()
            url = _trim_url(raw)
            if self._allowed_url(url):
                return raw
            if "link_removed" not in reasons:
                reasons.append("link_removed")
            return LINK_REMOVED + raw[len(url) :]

        return _URL_RE.sub(replace, text)


class _LeakScanner:
    """The leak tests of ``OutputGuard._leaks``, over a stream, in linear time.

    Text is scanned up to its last whitespace (a word is never split), carrying the last
    ``n - 1`` words for the n-gram test and the tail of the letters-only text for the canary.
    A run with no whitespace is scanned once it is long, keeping a short tail: the letters-only
    text is the same however it is cut, so the canary test stays exact.
    """

    _MAX_PENDING = 512

    def __init__(self, n: int, prompt_ngrams: set[tuple[str, ...]], canary: CanaryKeys) -> None:
        self._n = n
        self._ngrams = prompt_ngrams
        self._keys = canary.plain
        self._b64_keys = canary.b64
        self._keep = max((len(k) for k in self._keys), default=1) - 1
        self._b64_keep = max((len(k) for k in self._b64_keys), default=1) - 1
        self._pending = ""
        self._words: deque[str] = deque(maxlen=max(n - 1, 1))
        self._compact = ""
        self._b64 = ""

    def feed(self, delta: str) -> bool:
        self._pending += delta
        cut = max(self._pending.rfind(c) for c in " \n\t\r") + 1
        if cut <= 0 and len(self._pending) > self._MAX_PENDING:
            cut = len(self._pending) - 16
        if cut <= 0:
            return False
        text, self._pending = self._pending[:cut], self._pending[cut:]
        words = _words(text)
        compact = self._compact + "".join(words)
        if any(key in compact for key in self._keys):
            return True
        self._compact = compact[-self._keep :] if self._keep else ""
        if self._b64_keys:  # base64 is case-sensitive: its own compact form and carried tail
            coded = self._b64 + b64_compact(text)
            if any(key in coded for key in self._b64_keys):
                return True
            self._b64 = coded[-self._b64_keep :]
        if self._ngrams:
            window = [*self._words, *words]
            n = self._n
            if any(tuple(window[i : i + n]) in self._ngrams for i in range(len(window) - n + 1)):
                return True
        self._words.extend(words)
        return False


def _escape_id_mention(m: re.Match[str]) -> str:
    kind = m.group(1).replace("@", "＠").replace("#", "＃")
    return f"<{kind}{m.group(2)}>"


__all__ = ["LINK_REMOVED", "GuardResult", "OutputGuard", "make_canary", "urls_in"]
