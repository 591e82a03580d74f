"""``panelist ingest``: index transcripts, safe to rerun."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.surfaces.cli.common import DataDir, JsonFlag, with_store


def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: seeds/).")
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove sources whose files are gone.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Replace the index with exactly these files, re-embedded (e.g. new model); "
            "switched in atomically, only if every file reads."
        ),
    ] = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Also walk subfolders of given folders.")
    ] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Index transcripts (.txt .vtt .srt .md .json): parse, chunk, embed, store. Safe to rerun."""
    from bot.index.ingest import FileResult
    from bot.index.ingest import ingest as run_ingest
    from bot.surfaces.console import err, out, progress

    def show(r: FileResult) -> None:
        from bot.guard.terminal import for_markup
        from bot.surfaces.inspect import describe

        if as_json:
            return
        colour = {"failed": "red", "unchanged": "dim", "pruned": "yellow"}.get(r.status, "green")
        detail = (
            for_markup(r.message)
            if r.message
            else f"{r.chunks} chunks, "
            + describe(r.format, r.segments, r.speakers, r.start_s, r.end_s)
        )
        name = for_markup(r.source)
        out.print(f"[{colour}]{r.status:>9}[/] {name}  [dim]{detail}[/]", highlight=False)
        for w in r.warnings:
            err.print(f"[yellow]warning:[/] {name}: {for_markup(w)}", highlight=False)

    def run(store: Any) -> Any:
        targets = paths or [store.settings.seeds_dir]
        with progress("embedding") as hooks:
            return run_ingest(
                store, targets, prune=prune, rebuild=rebuild, recursive=recursive,
                progress=hooks, on_file=show,
            )  # fmt: skip

    report = with_store(data_dir, run, rebuild=rebuild)
    from bot.surfaces.ingest_report import print_report

    print_report(report, as_json=as_json)
    if report.failed or report.aborted:
        raise typer.Exit(1)
