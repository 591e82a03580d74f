"""How an ingest report is shown: one line per file, then what was skipped, failed or abandoned.

Kept out of the command module so every surface that runs an ingest prints the same summary, and
so nothing is passed over without a word (subfolders, symlinks, FIFOs, a refused rebuild).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bot.index.ingest import IngestReport
from bot.ingest.read import show


def report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "files": [
            {k: getattr(f, k) for k in f.__slots__}  # type: ignore[attr-defined]
            for f in report.files
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "aborted": report.aborted,
        "orphans_removed": report.orphans_removed,
        "seconds": round(report.seconds, 3),
    }


def print_report(report: IngestReport, *, as_json: bool) -> None:
    from bot.guard.terminal import for_markup as escape
    from bot.surfaces.console import err, out

    if as_json:
        sys.stdout.write(json.dumps(report_json(report), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    for s in report.skipped:
        out.print(
            f"[yellow]{'skipped':>9}[/] {escape(show(s.path))}  [dim]{escape(s.reason)}[/]",
            highlight=False,
        )
    ok = sum(1 for f in report.files if f.status != "failed")
    skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
    out.print(f"[dim]{ok} ok, {len(report.failed)} failed{skipped} in {report.seconds:.1f}s[/]")
    for f in report.failed:
        err.print(f"[bold red]error:[/] {escape(f.message or f.path)}", highlight=False)
    if report.aborted:
        err.print(f"[bold red]error:[/] {escape(report.aborted)}", highlight=False)
