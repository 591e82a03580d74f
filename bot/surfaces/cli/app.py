"""The one wiring point of the ``panelist`` command line: which command lives where.

Each command group is a module named for it (``ingest``, ``search``, ``ask``, ``sources``,
``eval``, ``injection``, ``bench``, ``discord``, ``doctor``) holding plain functions (``inspect``
lives beside the format code it explains); this module alone turns them into commands. Shared
options and helpers are in ``common``. Every module imports only what ``--help`` needs at the top;
the pipeline is imported inside the commands.
"""

from __future__ import annotations

import sys

import typer

from bot.surfaces.cli import (
    ask,
    bench,
    discord,
    doctor,
    eval,
    ingest,
    injection,
    search,
    sources,
)
from bot.surfaces.inspect import inspect_command

app = typer.Typer(
    name="panelist",
    help="Ask recorded discussions questions; answers quote them with verified citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(
    help="Measure retrieval, answers and injection resistance.", no_args_is_help=True
)

app.command("ingest")(ingest.ingest)
app.command("search")(search.search)
app.command("ask")(ask.ask)
app.command("personas")(ask.personas)
app.command("repl")(ask.repl)
app.command("sources")(sources.sources)
app.add_typer(eval_app, name="eval")
eval_app.command("answers")(eval.eval_answers)
app.add_typer(discord.discord_app, name="discord")
app.command("doctor")(doctor.doctor)
app.command("feedback")(discord.feedback)
app.command("inspect")(inspect_command)
eval_app.command("injection")(injection.eval_injection)
app.command("bench")(bench.bench)
eval_app.command("retrieval")(eval.eval_retrieval)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
