"""The ``panelist`` command line (also ``python -m bot``). Thin: parse, call, render.

Wired in ``app``; ``main`` is the console-script entry point.
"""

from bot.surfaces.cli.app import app, main

__all__ = ["app", "main"]
