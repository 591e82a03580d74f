"""``panelist sources``: the indexed discussions with titles, dates and participants."""

from __future__ import annotations

from typing import Any

from bot.guard.terminal import for_markup
from bot.surfaces.cli.common import DataDir, JsonFlag, emit_json, with_store


def sources(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List the indexed discussions with titles, dates and participants."""
    from bot.surfaces.console import out

    def run(store: Any) -> list[Any]:
        return store.catalog.sources()

    recs = with_store(data_dir, run)
    if as_json:
        emit_json(
            [
                {
                    "source": r.source,
                    "title": r.title,
                    "show": r.show,
                    "date": r.date,
                    "participants": list(r.participants),
                    "url": r.url,
                    "format": r.format,
                    "chunks": r.n_chunks,
                }
                for r in recs
            ]
        )
        return
    if not recs:
        out.print("[dim]nothing indexed yet: run `panelist ingest`[/]")
    for r in recs:
        date = f" ({r.date})" if r.date else ""
        title, date, where = for_markup(r.title), for_markup(date), for_markup(r.source)
        out.print(f"[bold]{title}[/]{date}  [dim]{where}, {r.n_chunks} chunks[/]", highlight=False)
        if r.participants:
            out.print(f"  {for_markup(', '.join(r.participants))}", highlight=False)
