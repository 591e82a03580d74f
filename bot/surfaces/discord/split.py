"""Cut long text into Discord messages (2000 characters each) without breaking its formatting.

A cut in the middle of ``**bold**``, a code span or a quotation changes how every following
line renders, and a quote cut in two reads as two quotes. So a cut goes, in order of preference,
at a paragraph break, a line break, the end of a sentence or a space, and only where no markdown
span or quotation is open. When no such place exists (one 2500-character code block), the text is
cut anyway and the open spans are closed at the end of the part and re-opened at the start of the
next, so each message still renders the way the whole would have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LIMIT = 2000
# Room kept free at a forced cut for the closing markers (a code fence closes with "\n```").
_RESERVE = 16
# A preferred boundary (paragraph, line, sentence) must fill at least this share of the part;
# otherwise a later boundary of a lesser kind is better than a very short message.
_MIN_FILL = 0.5
_PAIRED = ("**", "__", "~~", "||")
# Each pattern's "gap" group is the whitespace dropped between two parts.
_BOUNDARIES = (
    re.compile(r"(?P<gap>[ \t]*\n[ \t]*\n\s*)"),  # paragraph
    re.compile(r"(?P<gap>[ \t]*\n\s*)"),  # line
    re.compile(r"[.!?][\"”')\]*_]*(?P<gap>\s+)"),  # sentence (closing quote stays with it)
    re.compile(r"(?P<gap>\s+)"),  # word
)
_FORCED = (re.compile(r"\n"), re.compile(r"\s+"))


@dataclass(frozen=True, slots=True)
class _State:
    """What is open at a position: markdown spans (in opening order), code, a quotation."""

    spans: tuple[str, ...] = ()
    fence: str | None = None  # language of an open ``` block ("" when none given)
    code: bool = False  # inside an inline code span
    quote: bool = False  # inside "..." or “...”

    @property
    def balanced(self) -> bool:
        return not (self.spans or self.code or self.quote) and self.fence is None

    def closers(self) -> str:
        if self.fence is not None:
            return "\n```"
        return ("`" if self.code else "") + "".join(reversed(self.spans))

    def openers(self) -> str:
        if self.fence is not None:
            return f"```{self.fence}\n"
        return "".join(self.spans) + ("`" if self.code else "")


def scan(text: str) -> list[_State]:
    """The state before each character of ``text`` (and after the last: ``len(text) + 1`` items).

    Heuristics follow Discord's renderer closely enough for cutting: a marker opens only before
    a non-space and closes only after one, ``_`` inside a word (snake_case) is not a marker, and a
    ``*`` that starts a line followed by a space is a bullet.
    """
    states: list[_State] = []
    spans: list[str] = []
    fence: str | None = None
    code = quote = False
    i, n = 0, len(text)

    def mark(count: int) -> None:
        state = _State(tuple(spans), fence, code, quote)
        states.extend([state] * count)

    while i < n:
        ch = text[i]
        if fence is not None:
            if text.startswith("```", i):
                mark(3)
                fence = None
                i += 3
            else:
                mark(1)
                i += 1
            continue
        if text.startswith("```", i) and not code:
            lang = re.match(r"[\w+-]*(?=\n)", text[i + 3 :])
            mark(3)
            fence = lang.group() if lang else ""
            i += 3
            continue
        if ch == "`":
            mark(1)
            code = not code
            i += 1
            continue
        if code:
            mark(1)
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            mark(2)
            i += 2
            continue
        marker = next((m for m in _PAIRED if text.startswith(m, i)), None)
        if marker is None and ch in "*_":
            marker = ch
        if marker is not None:
            before = text[i - 1] if i else " "
            after = text[i + len(marker)] if i + len(marker) < n else " "
            at_line_start = i == 0 or before == "\n"
            mark(len(marker))
            i += len(marker)
            if marker == "*" and at_line_start and after == " ":
                continue  # a bullet
            if marker == "_" and before.isalnum() and after.isalnum():
                continue  # snake_case
            if marker in spans and not before.isspace():
                del spans[len(spans) - 1 - spans[::-1].index(marker)]
            elif marker not in spans and not after.isspace():
                spans.append(marker)
            continue
        mark(1)
        if ch == '"':
            quote = not quote
        elif ch == "“":
            quote = True
        elif ch == "”":
            quote = False
        i += 1
    mark(1)
    return states


def _find_cut(text: str, room: int, states: list[_State]) -> tuple[int, int]:
    """Where the part ends and where the next begins (``head = text[:end]``, rest ``[start:]``).

    A line break inside a code block counts as a clean cut too: the block is closed and re-opened
    around it, which renders exactly as the unbroken block would.
    """
    cuts: list[tuple[int, int, int]] = []  # (level, end, start)
    for level, pattern in enumerate(_BOUNDARIES):
        for m in pattern.finditer(text, 0, room + 1):
            end, state = m.start("gap"), states[m.start("gap")]
            if end <= 0:
                continue
            if state.balanced and end <= room:
                cuts.append((level, end, m.end()))
            elif _code_line_break(state, level) and end + len(state.closers()) <= room:
                cuts.append((level, end, text.index("\n", end) + 1))
    for level in range(len(_BOUNDARIES)):
        good = [c for c in cuts if c[0] == level and c[1] >= room * _MIN_FILL]
        if good:
            _, end, start = max(good, key=lambda c: c[1])
            return end, start
    if cuts:
        _, end, start = max(cuts, key=lambda c: c[1])
        return end, start
    # Forced: nothing balanced fits, so cut at the last line break or space and re-open.
    window = room - _RESERVE
    for pattern in _FORCED:
        ends = [m for m in pattern.finditer(text, 0, window + 1) if m.start() > 0]
        if ends:
            return ends[-1].start(), ends[-1].end()
    return window, window


def _code_line_break(state: _State, level: int) -> bool:
    return level <= 1 and state.fence is not None and not (state.spans or state.quote)


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Parts of at most ``limit`` characters that, read in order, render as ``text`` would."""
    text = text.strip()
    parts: list[str] = []
    carry = ""  # markdown re-opened from the previous part
    while text:
        whole = carry + text
        if len(whole) <= limit:
            parts.append(whole)
            break
        states = scan(whole)
        end, start = _find_cut(whole, limit, states)
        end = max(end, len(carry) + 1)
        state = states[end]
        head = whole[:end].rstrip() if state.fence is None else whole[:end]
        parts.append(head + state.closers())
        carry = state.openers()
        text = whole[max(start, end) :]
        if state.balanced:
            text = text.lstrip()
    return [p for p in parts if p.strip()]


def balance(text: str) -> str:
    """``text`` with whatever it leaves open closed, for previews of a reply still streaming."""
    return text + scan(text)[-1].closers()


def pack_lines(lines: list[str], limit: int = LIMIT) -> list[str]:
    """Whole lines packed into as few parts as fit; a line never straddles two parts."""
    parts: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = line
    if current:
        parts.append(current)
    return parts
