"""``panelist doctor``: is every indexed passage searchable? ``--repair`` makes it so.

A command of its own (not an ingest flag) because it needs no source files and is what a user
is told to run when ``ask`` or the bot finds the vector store damaged at start-up.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bot.surfaces.cli.common import DataDir, JsonFlag, with_store


def doctor(
    repair: Annotated[
        bool, typer.Option("--repair", help="Re-embed missing vectors, drop orphans/leftovers.")
    ] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Compare the catalog with the vector store; exit 1 if they disagree (after --repair: if
    anything is still wrong)."""
    from bot.index.doctor import diagnose
    from bot.index.doctor import repair as run_repair
    from bot.surfaces.console import err, out, progress

    def run(store):  # type: ignore[no-untyped-def]
        before = diagnose(store)
        if not repair or before.ok:
            return before, None
        with progress("re-embedding") as hooks:
            return before, run_repair(store, hooks)

    before, after = with_store(data_dir, run, rebuild=True)
    final = after or before
    if as_json:
        doc = {"before": before.as_json(), "after": after.as_json() if after else None}
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        out.print(
            f"{before.passages} passages in the catalog, {before.vectors} vectors in "
            f"{before.where}",
            highlight=False,
            markup=False,
        )
        for line in before.problems():
            err.print(f"problem: {line}", highlight=False, markup=False)
        if after is not None:
            out.print("repaired" if after.ok else "repair incomplete", highlight=False)
            for line in after.problems():
                err.print(f"still: {line}", highlight=False, markup=False)
        elif before.ok:
            out.print("ok: every indexed passage has its vector", highlight=False)
        else:
            err.print("run `panelist doctor --repair` to fix", highlight=False, markup=False)
    if not final.ok:
        raise typer.Exit(1)
