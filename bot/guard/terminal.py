"""Text from transcripts, file names, models and users, made safe to print on a terminal.

A transcript line can carry ANSI/OSC escape sequences (an OSC 8 hidden link, a window-title change,
a screen clear), C0/C1 controls and bidi overrides that reorder what the reader sees; and ``rich``
reads ``[bold]`` or ``[/]`` in any printed string as markup, so a title like ``[/INST]`` or an
argument like ``--source '[/]'`` used to crash the CLI with a traceback. Every interpolation of
untrusted text into human CLI/REPL output goes through ``for_markup`` (inside a markup string) or
``for_terminal`` (printed with ``markup=False``). Both are one regex pass: linear in the input.
"""

from __future__ import annotations

import re

from rich.markup import escape

from bot.guard.unicode import strip_invisible

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


def for_terminal(text: str) -> str:
    """Escape sequences, controls (tab and newline kept), invisible and bidi characters removed."""
    return strip_invisible(_ESCAPES.sub("", text.replace("\r\n", "\n")))


def for_markup(text: object) -> str:
    """``for_terminal`` and then rich markup escaped, for use inside a markup string."""
    return escape(for_terminal(str(text)))
