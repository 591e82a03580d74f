"""``panelist search``: the passages that best match a question, as a table or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.surfaces.cli.common import DataDir, JsonFlag, batch_lines, emit_json, fail, with_store


def search(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="Hits to return.")] = 5,
    source: Annotated[str | None, typer.Option(help="Only this source (file name).")] = None,
    speaker: Annotated[str | None, typer.Option(help="Only passages with this speaker.")] = None,
    batch: Annotated[
        Path | None, typer.Option(help="File with one question per line (JSON lines out).")
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid | dense | lexical")] = "hybrid",
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Find the passages that best match a question (hybrid dense + BM25)."""
    from bot.retrieve.hit_json import hit_json
    from bot.retrieve.search import QueryError, Retriever

    lines = batch_lines(query, batch)
    if mode not in ("hybrid", "dense", "lexical"):
        fail("--mode must be hybrid, dense or lexical", 2)

    def run(store: Any) -> None:
        retriever = Retriever(store)
        if lines is not None:
            ok = 0
            for line in lines:
                try:
                    hits = retriever.search(
                        line,
                        k,
                        source=source,
                        speaker=speaker,
                        mode=mode,  # type: ignore[arg-type]
                    )
                    emit_json([hit_json(h) for h in hits])
                    ok += 1
                except QueryError as exc:
                    emit_json({"error": str(exc), "question": line[:200]})
            if lines and not ok:
                fail(f"all {len(lines)} lines of --batch failed")
            return
        hits = retriever.search(
            query or "",
            k,
            source=source,
            speaker=speaker,
            mode=mode,  # type: ignore[arg-type]
        )
        if as_json:
            emit_json([hit_json(h) for h in hits])
        else:
            render_hits(hits)

    with_store(data_dir, run)


def render_hits(hits: list[Any]) -> None:
    from bot.guard.terminal import for_markup
    from bot.surfaces.console import out
    from bot.timefmt import hms

    if not hits:
        out.print("[dim]no matching passages[/]")
    for i, h in enumerate(hits, 1):
        c = h.chunk
        when = hms(c.start) or "—"
        who = ", ".join(c.speakers) or "unknown speaker"
        out.print(
            f"[bold]{i}. {for_markup(c.title)}[/]  [cyan]{when}[/]  {for_markup(who)}  "
            f"[dim]{for_markup(c.source)}:{c.char_start}-{c.char_end} score {h.score:.4f}[/]",
            highlight=False,
        )
        text = " ".join(c.text.split())
        out.print(for_markup(text[:600] + ("…" if len(text) > 600 else "")), highlight=False)
        out.print()
