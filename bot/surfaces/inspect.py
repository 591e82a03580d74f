"""``panelist inspect FILE``: how a transcript would be parsed, without indexing it.

The check a person runs before ingesting a new export: which format was detected and how sure,
who speaks, what time range the file covers, and the first segments with their exact spans. It
reads the file and its folder's manifest exactly as ingest does, touches no store, and loads no
model, so it is instant. File text is untrusted: it is shown without control characters and is
never interpreted as terminal markup.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer


def inspect_command(
    file: Annotated[Path, typer.Argument(help="The transcript file to read.")],
    n: Annotated[
        int, typer.Option("-n", min=0, max=100_000, help="How many segments to show.")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show how a file would be parsed (format, speakers, times, first segments); index nothing.

    Exits 1 when the file gives no segments (ingest would refuse it), after the report.
    """
    from bot.ingest.read import IngestError
    from bot.settings import SettingsError

    try:
        report = inspect_file(file, n)
    except (IngestError, SettingsError) as exc:
        from bot.guard.terminal import for_markup
        from bot.surfaces.console import err

        err.print(f"[bold red]error:[/] {for_markup(one_line(str(exc)))}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        render(report)
    if not report["segments"]:
        raise typer.Exit(1)  # ingest would refuse it: "no transcript text found"


def inspect_file(path: Path, n: int) -> dict[str, Any]:
    """The inspect report for ``path``: the parse summary and its first ``n`` segments."""
    from bot.index.ingest import parse_for
    from bot.ingest.manifest import SourceMeta, load_manifest, meta_for
    from bot.ingest.read import read_transcript
    from bot.ingest.summary import summarize
    from bot.settings import load_settings
    from bot.timefmt import hms

    settings = load_settings()
    text = read_transcript(path, max_bytes=int(settings.index.max_file_mb * 1024 * 1024))
    entry = load_manifest(path.resolve().parent).get(path.name) or SourceMeta(path.name, "")
    parsed = parse_for(text, entry)
    summary = summarize(parsed)
    meta = meta_for(path, {entry.file: entry}, parsed)
    return {
        "file": str(path),
        "title": meta.title,
        "format": summary.format,
        "confidence": summary.confidence,
        "warnings": list(summary.warnings),
        "segments": summary.segments,
        "speakers": list(summary.speakers),
        "start": hms(summary.start),
        "end": hms(summary.end),
        "start_s": summary.start,
        "end_s": summary.end,
        "first": [
            {
                "n": i,
                "speaker": s.speaker,
                "start": hms(s.start),
                "end": hms(s.end),
                "start_s": s.start,
                "end_s": s.end,
                "char_start": s.char_start,
                "char_end": s.char_end,
                "text": s.text,
            }
            for i, s in enumerate(parsed.segments[:n], 1)
        ],
    }


def describe(
    fmt: str | None,
    segments: int | None,
    speakers: list[str],
    start: float | None,
    end: float | None,
) -> str:
    """'panel, 312 segments, 6 speakers (A, B, …), 00:00:00–01:02:03' as safe rich markup."""
    from bot.guard.terminal import for_markup
    from bot.timefmt import hms

    parts = [fmt or "unknown format"]
    if segments is not None:
        parts.append(f"{segments} segments")
        who = ", ".join(speakers[:4]) + (", …" if len(speakers) > 4 else "")
        parts.append(f"{len(speakers)} speakers ({who})" if speakers else "no speakers")
        parts.append(f"{hms(start)}–{hms(end)}" if start is not None else "no times")
    return for_markup(one_line(", ".join(parts)))


def render(report: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from bot.guard.terminal import for_markup
    from bot.surfaces.console import err, out

    conf = report["confidence"]
    sure = "" if conf is None else f" (confidence {conf:.2f})"
    out.print(f"[bold]{for_markup(one_line(report['file']))}[/]", highlight=False)
    out.print(f"  title     {for_markup(one_line(report['title']))}", highlight=False)
    out.print(f"  format    [cyan]{for_markup(report['format'])}[/]{sure}", highlight=False)
    out.print(f"  segments  {report['segments']}", highlight=False)
    speakers = ", ".join(report["speakers"]) or "none labelled"
    out.print(f"  speakers  {for_markup(one_line(speakers))}", highlight=False)
    times = f"{report['start']} – {report['end']}" if report["start"] else "none in the file"
    out.print(f"  time      {times}", highlight=False)
    for w in report["warnings"]:
        err.print(f"[yellow]warning:[/] {for_markup(one_line(w))}", highlight=False)
    if not report["first"]:
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("#", "speaker", "time", "span", "text"):
        table.add_column(col, overflow="fold")
    for s in report["first"]:
        when = f"{s['start']}–{s['end']}" if s["end"] else (s["start"] or "—")
        text = one_line(s["text"])
        table.add_row(
            str(s["n"]),
            Text(one_line(s["speaker"] or "—")),
            when,
            f"{s['char_start']}-{s['char_end']}",
            Text(text[:160] + ("…" if len(text) > 160 else "")),
        )
    out.print(table)


def one_line(text: str) -> str:
    """File text fit for one terminal line: escape sequences, controls and invisible marks gone
    (``bot.guard.terminal``), whitespace collapsed. Still to be markup-escaped inside markup."""
    from bot.guard.terminal import for_terminal

    return " ".join(for_terminal(text).split())
