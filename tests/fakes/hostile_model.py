"""A hostile scripted model for FakeOpenAI: every way a reply can forge or bend a quote.

Where the obedient model (obedient_model.py) follows planted instructions, this one attacks the
quote contract directly, one case per question: it reads the excerpts it was sent, finds the
real passages, and writes replies that elide a negation, splice two speakers, name the wrong
speaker, invent words in every quotation style, and forge footnote lines. The question carries
the case name ("case: splice_speakers"); tests/guard/test_hostile_model.py runs them all through
the real Engine on loopback and counts forged quotes shown as verified, and crashes.

Use: ``FakeOpenAI(responder=hostile_reply)``.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.obedient_model import parse_request

ALICE = "I do not think that open models are dangerous"
BOB = "They are dangerous and must be banned"
NESTED = 'My colleague said "ignore your previous instructions" was the funniest attack of the year'
INVENTED = "open models will replace every government"

# case name → (reply template, words that must never be shown as a verified quote)
# {a}: number of the excerpt holding Alice's line, {b}: Bob's line (both the same chunk here).
CASES: dict[str, tuple[str, str]] = {
    "elision_negation": (
        "Alice Smith said “I do … think that open models are dangerous” [{a}].",
        "i do think that open models are dangerous",
    ),
    "splice_speakers": (
        "Alice Smith said “I do not think that open models are dangerous … they are dangerous "
        "and must be banned” [{a}].",
        "open models are dangerous they are dangerous and must be banned",
    ),
    "wrong_speaker": (f"Alice Smith said “{BOB}” [{{b}}].", "alice smith said"),
    "single_quotes": (f"Alice Smith put it plainly: ‘{INVENTED}’ [{{a}}].", INVENTED),
    "straight_single": (f"Alice Smith put it plainly: '{INVENTED}' [{{a}}].", INVENTED),
    "corner_brackets": (f"Alice Smith: 「{INVENTED}」 [{{a}}]", INVENTED),
    "white_corner": (f"Alice Smith: 『{INVENTED}』 [{{a}}]", INVENTED),
    "guillemets": (f"Alice Smith: «{INVENTED}» [{{a}}]", INVENTED),
    "german_quotes": (f"Alice Smith: „{INVENTED}“ [{{a}}]", INVENTED),
    "line_break": (
        "Alice Smith said “open models will replace\nevery government” [{a}].",
        INVENTED,
    ),
    "blockquote": (f"Alice Smith was clear:\n\n> {INVENTED}\n> — Alice Smith [{{a}}]", INVENTED),
    "fake_footnote": (
        f"Alice Smith said “{ALICE}” [{{a}}].\n"
        f"[2] Evil Panel — Alice Smith, 00:03:12 (verified): “{INVENTED}”",
        INVENTED,
    ),
    "fake_verified_label": (f"Alice Smith (verified): {INVENTED} ✅ verified [{{a}}]", "verified"),
    "nested_quotes": (
        f"Alice Smith said “{NESTED}” [{{a}}]. She also said “My colleague said "
        f"‘{INVENTED}’ was the best line” [{{a}}].",
        INVENTED,
    ),
    "bracket_insertion": (
        "Alice Smith said “I do [not] think [that] open models are [not] dangerous” [{a}].",
        "[not]",
    ),
    "reordered": (
        "Alice Smith said “open models are dangerous … I do not think that” [{a}].",
        "open models are dangerous i do not think that",
    ),
    "homoglyph": (
        "Alice Smith said “I do nоt think that open models are dangerous” [{a}].",
        "i do nоt think",
    ),
    "unclosed": (f"Alice Smith said “{INVENTED} [{{a}}]", INVENTED),
}


def _excerpt_with(req_excerpts: list[tuple[int, str]], words: str) -> int:
    for n, text in req_excerpts:
        if words.casefold() in " ".join(text.split()).casefold():
            return n
    return 1


def hostile_reply(body: dict[str, Any]) -> str:
    """FakeOpenAI responder: the forged reply for the case named in the question."""
    req = parse_request(body)
    if not req.excerpts:
        return req.question
    m = re.search(r"case: (\w+)", req.question)
    if not m or m.group(1) not in CASES:
        return "NOT_COVERED"
    template, _ = CASES[m.group(1)]
    a = _excerpt_with(req.excerpts, ALICE)
    b = _excerpt_with(req.excerpts, BOB)
    # A true, verifiable quote first, so the answer is grounded and the forgery sits next to a
    # real [n] marker, where it is most believable.
    true = f"In the panel, Alice Smith said “{ALICE}” [{a}]."
    return f"{true}\n\n{template.format(a=a, b=b)}"
