"""Run the ``panelist`` command line in-process: same parser, same output, same exit codes as
``python -m bot``, without paying a Python start-up and a model load per call.

Use it for anything that checks what a command prints and how it exits (JSON shape, one-line
errors). Start a real process only when the process itself is the point: a signal, a kill, a pty.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass

from typer.testing import CliRunner

from bot.surfaces.cli import app


@dataclass(frozen=True, slots=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str  # an uncaught exception's traceback is appended, as a real process would print


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Ran:
    """``panelist ARGS`` with no dotenv and no credentials except those in ``env``."""
    environ: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("OPENAI_", "PANELIST_", "DISCORD_"))
    }
    environ.update({"PANELIST_ENV_FILE": "", "HF_HUB_OFFLINE": "1", **(env or {})})
    result = CliRunner().invoke(app, list(args), env=environ, input=stdin)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(result.exception)
        )
    return Ran(result.exit_code, result.stdout, stderr)
