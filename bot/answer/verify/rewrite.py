"""Rewrite a reply from its checks, so that no quote marker points where the words are not.

Readers trust quotation marks, so nothing unverified may still look like a checked citation:
markers are corrected, and a fabricated quote is removed with the clause that introduces it (or
visibly marked). Removing text from prose without leaving "Emad said ." behind is most of the
work, which is why the rewrite is a module of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answer.verify.check import MAX_QUOTES, QuoteCheck
from bot.answer.verify.quotes import ONE_MARKER, QuoteRef


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    text: str
    tidy: bool = False  # a removal: the join needs spaces and punctuation repaired
    capitalize: bool = False  # the removal took a sentence's opening words


def apply_checks(
    answer_text: str,
    checks: Sequence[QuoteCheck],
    *,
    unverified: Literal["remove", "mark"] = "remove",
) -> str:
    """Rewrite the answer so that every remaining quote marker points where the quote really is.

    Re-attributed quotes get the right ``[n]`` (unmarked verified quotes gain one); unverified
    quotes are removed with the clause that introduces them, or in ``"mark"`` mode keep their
    words but carry ``[unverified]`` in place of any marker, so nothing fabricated still looks
    like a checked citation.
    """
    quote_spans = [(c.ref.start, c.ref.end) for c in checks]
    edits: list[_Edit] = []
    if len(checks) > MAX_QUOTES:  # a reply made of quotations: cut it at the first one too many
        cut = checks[MAX_QUOTES].ref.start
        edits.append(_Edit(cut, len(answer_text), "[…]"))
        checks = checks[:MAX_QUOTES]
    for k, check in enumerate(checks):
        ref = check.ref
        if check.verified and check.misnamed and check.speaker:
            edits.append(_Edit(*check.misnamed, check.speaker))  # the name of who really said it
        if check.verified:
            label = f"[{check.excerpt}]"
            if ref.marker is None:
                edits.append(_Edit(ref.quote_end, ref.quote_end, f" {label}"))
            elif check.excerpt not in ref.cited:
                edits.append(_Edit(*ref.marker, label))
        elif unverified == "mark":
            if ref.marker is None:
                edits.append(_Edit(ref.quote_end, ref.quote_end, " [unverified]"))
            else:
                edits.append(_Edit(*ref.marker, "[unverified]"))
        elif ref.kind == "block":
            edits.append(_block_removal(answer_text, ref))
        else:
            # quotes do not overlap, so only the neighbours can share the clause
            others = quote_spans[max(0, k - 1) : k] + quote_spans[k + 1 : k + 2]
            edits.append(_removal(answer_text, ref, others))

    text = answer_text
    limit = len(text)
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if edit.end > limit:  # overlaps the edit made to its right: that part is already gone
            if not edit.tidy or edit.start >= limit:
                continue
            edit = _Edit(edit.start, limit, "", tidy=True, capitalize=edit.capitalize)
        text = _remove(text, edit) if edit.tidy else _replace(text, edit)
        limit = edit.start
    return text


_SENTENCE_END = ".!?"
_CLAUSE_LEFT = ",;:—–("
_CLAUSE_RIGHT = ",;:—–)"
_LINE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]*)*(?:[-*+•][ \t]+|\d+[.)][ \t]+)?")
_EMPTY_LINE = re.compile(r"[ \t]*(?:>[ \t]*)*(?:[-*+•]|\d+[.)])?[ \t]*")


def _ends_sentence(text: str, i: int) -> bool:
    """``text[i]`` closes a sentence (so not the point in "1.5" or "e.g.x")."""
    nxt = text[i + 1 : i + 2]
    return text[i] in _SENTENCE_END and (not nxt or nxt.isspace() or nxt in "\"”')*_")


def _after_prefix(text: str, pos: int) -> int:
    """Skip a line's list bullet or blockquote marker: removing a sentence keeps the bullet."""
    m = _LINE_PREFIX.match(text, pos)
    return m.end() if m else pos


def _sentence_start(text: str, i: int) -> int:
    """Offset just after the sentence boundary at or before ``i``."""
    while i >= 0:
        if text[i] == "\n":
            return _after_prefix(text, i + 1)
        if _ends_sentence(text, i):
            return i + 1
        i -= 1
    return _after_prefix(text, 0)


_NEW_SENTENCE = re.compile(r"[ \t]+[A-Z]")
_CONJ_AFTER = re.compile(r"[ \t]+(?:and|or|but)[ \t]+", re.I)
_CONJ_BEFORE = re.compile(r"[ \t]+(?:and|or|but)[ \t]*$", re.I)


def _minimal(text: str, ref: QuoteRef) -> _Edit:
    """Just the quote and marker, plus a conjunction that would be left joining nothing."""
    start, end = ref.start, ref.end
    after = _CONJ_AFTER.match(text, end)
    before = _CONJ_BEFORE.search(text, 0, start)
    if after:
        end = after.end()
    elif before:
        start = before.start()
    return _Edit(start, end, "", tidy=True)


def _removal(text: str, ref: QuoteRef, others: Sequence[tuple[int, int]]) -> _Edit:
    """The span to delete for an unverified quote: its clause, its sentence, or just itself.

    Removing only the quoted words would leave "Emad said ." behind; removing the clause that
    introduces them keeps the surrounding text readable. Whenever that clause would take another
    quote or citation with it, only the quote and its marker go.
    """
    minimal = _minimal(text, ref)

    # Left: what introduces the quote.
    left_kind, left = "sentence", _sentence_start(text, ref.start - 1)
    i = ref.start - 1
    while i >= left:
        ch = text[i]
        if ch == ":":  # "He put it bluntly:" only introduces the quote, so it goes too
            break
        if ch in _CLAUSE_LEFT:
            left_kind, left = "clause", i
            break
        if ch == "]":  # another claim's marker: keep it
            left_kind, left = "soft", i + 1
            break
        i -= 1

    # Right: what follows the marker.
    right_kind, right = "sentence", len(text)
    if ref.text.rstrip()[-1:] in _SENTENCE_END or (  # the quote itself ends the sentence,
        ref.marker and _NEW_SENTENCE.match(text, ref.end)  # or the model forgot the period
    ):
        right = ref.end
    j = ref.end
    while j < right:
        ch = text[j]
        if ch == "\n" or _ends_sentence(text, j):
            right = j
            break
        if ch in _CLAUSE_RIGHT:
            right_kind, right = "clause", j
            break
        if ch == "[":
            right_kind, right = "soft", j
            break
        j += 1

    if any(a < right and b > left for a, b in others):
        return minimal
    if re.search(ONE_MARKER, text[left : ref.start]) or re.search(
        ONE_MARKER, text[ref.end : right]
    ):
        return minimal  # the clause carries other citations; keep them
    if left_kind == "sentence":
        start = left
        while start < ref.start and text[start] in " \t":
            start += 1
        if right_kind == "sentence":
            end = right + 1 if right < len(text) and text[right] in _SENTENCE_END else right
            return _Edit(start, end, "", tidy=True)
        end = right + 1 if right_kind == "clause" else right
        return _Edit(start, end, "", tidy=True, capitalize=True)
    if text[left] == "(" and right < len(text) and text[right] == ")":
        return _Edit(left, right + 1, "", tidy=True)
    return _Edit(left, right, "", tidy=True)


def _block_removal(text: str, ref: QuoteRef) -> _Edit:
    """A blockquote goes whole, with its line break, so no empty "> " line is left behind."""
    end = ref.end + 1 if text[ref.end : ref.end + 1] == "\n" else ref.end
    return _Edit(ref.start, end, "")


def _replace(text: str, edit: _Edit) -> str:
    return text[: edit.start] + edit.text + text[edit.end :]


def _remove(text: str, edit: _Edit) -> str:
    """Delete ``edit``'s span and repair the seam: spaces, doubled punctuation, emptied lines."""
    before = text[: edit.start].rstrip(" \t")
    after = text[edit.end :].lstrip(" \t")
    if before[-1:] in (",", ";", ":") and (not after or after[0] in ".!?,;:)\n"):
        before = before[:-1].rstrip(" \t")
    at_sentence_start = (
        not before
        or before[-1] in ".!?\n"
        or _EMPTY_LINE.fullmatch(before[before.rfind("\n") + 1 :])
    )
    if at_sentence_start and after[:1] in (",", ";", ":"):
        after = after[1:].lstrip(" \t")
    if (edit.capitalize or at_sentence_start) and after[:1].islower():
        after = after[0].upper() + after[1:]
    open_seam = not before or before.endswith(("\n", "(")) or not after
    seam = "" if open_seam or after[0] in ".,;:!?)\n" else " "
    joined = before + seam + after

    # The removal never crosses a newline, so a line it left empty (or bullet-only) was emptied
    # by it and goes too, along with the paragraph break it would otherwise double.
    pos = len(before)
    line_start = joined.rfind("\n", 0, pos) + 1
    line_end = joined.find("\n", pos)
    line_end = len(joined) if line_end == -1 else line_end
    if not _EMPTY_LINE.fullmatch(joined[line_start:line_end]):
        return joined
    head, tail = joined[:line_start], joined[line_end + 1 :]
    if not tail:
        return head.rstrip("\n")
    if not head or head.endswith("\n\n"):
        tail = tail.lstrip("\n")
    return head + tail
