"""Terminal plumbing shared by the CLI and REPL: rich consoles, progress that hides when piped."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.index.ingest import Progress as ProgressHooks

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class RichProgress(ProgressHooks):
    def __init__(self, bar: Progress, label: str) -> None:
        self._bar = bar
        self._task = bar.add_task(label, total=None)

    def total(self, n: int) -> None:
        self._bar.update(self._task, total=n)

    def advance(self, n: int) -> None:
        self._bar.advance(self._task, n)


@contextmanager
def progress(label: str) -> Iterator[ProgressHooks]:
    """A progress bar on an interactive stderr; silent hooks when output goes to a pipe or file."""
    if not sys.stderr.isatty():
        yield ProgressHooks()
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bar:
        yield RichProgress(bar, label)
