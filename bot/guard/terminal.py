"""Text from transcripts, file names, models and users, made safe to print on a terminal.

A transcript line can carry ANSI/OSC escape sequences (an OSC 8 hidden link, a window-title change,
a screen clear), C0/C1 controls and bidi overrides that reorder what the reader sees; and ``rich``
reads ``[bold]`` or ``[/]`` in any printed string as markup, so a title like ``[/INST]`` or an
argument like ``--source '[/]'`` used to crash the CLI with a traceback. Every interpolation of
untrusted text into human CLI/REPL output goes through ``for_markup`` (inside a markup string) or
``for_terminal`` (printed with ``markup=False``). Both are one regex pass: linear in the input.
"""

from __future__ import annotations

from rich.markup import escape

from bot.guard.unicode import strip_escapes, strip_invisible


def for_terminal(text: str) -> str:
    """Escape sequences, controls (tab and newline kept), invisible and bidi characters removed."""
    return strip_invisible(strip_escapes(text.replace("\r\n", "\n")))


def for_markup(text: object) -> str:
    """``for_terminal`` and then rich markup escaped, for use inside a markup string."""
    return escape(for_terminal(str(text)))
