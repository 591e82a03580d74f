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


# ESC-introduced sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-character escapes) and their
# 8-bit C1 forms. Each alternative consumes a bounded class run, so the pass is linear.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: hyperlinks (8), window titles (0/2)
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # other escapes (charset switches, RIS) and a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit OSC/DCS/SOS/PM/APC
)


def strip_escapes(text: str) -> str:
    """Terminal escape sequences removed whole, so no "]0;title" residue is left behind either."""
    return _ESCAPES.sub("", text)
