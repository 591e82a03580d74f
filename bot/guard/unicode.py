"""Characters a reader cannot see but a model (or Discord's parser) still acts on.

One table for every guard: zero-width and bidi controls, Unicode "tag" characters (which mirror
ASCII and can smuggle a whole instruction past a human), and C0/C1 controls.
"""

from __future__ import annotations

import re

_ZERO_WIDTH = "\u200b-\u200f\u2060-\u2064\ufeff"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_TAGS = "\U000e0000-\U000e007f"
# C0/C1 controls and DEL, except tab and newline (kept: they carry a question's structure).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
INVISIBLE_RE = re.compile(f"[{_ZERO_WIDTH}{_BIDI}{_TAGS}{_CONTROLS}]")
_TAG_RE = re.compile(f"[{_TAGS}]")


def strip_invisible(text: str) -> str:
    """Remove characters a reader cannot see but a model (or Discord's parser) still acts on."""
    return INVISIBLE_RE.sub("", text)


def decode_tag_text(text: str) -> str:
    """Tag characters mirror ASCII (U+E0041 is a hidden "A"): decoding shows what was smuggled."""
    return "".join(
        chr(ord(c) - 0xE0000) for c in _TAG_RE.findall(text) if 0x20 <= ord(c) - 0xE0000 < 0x7F
    )
