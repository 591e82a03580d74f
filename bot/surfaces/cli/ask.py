"""``panelist ask``, ``personas`` and ``repl``: the commands that answer, all through the Engine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.guard.terminal import for_markup, for_terminal
from bot.surfaces.cli.common import (
    DataDir,
    JsonFlag,
    batch_lines,
    emit_json,
    fail,
    friendly_errors,
    settings_for,
    with_engine,
)


def ask(
    question: Annotated[str | None, typer.Argument(help="Your question.")] = None,
    persona: Annotated[
        str | None, typer.Option(help="Answer as this speaker (see `panelist personas`).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this source (file name).")] = None,
    batch: Annotated[
        Path | None, typer.Option(help="File with one question per line (JSON lines out).")
    ] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from the discussions, quoting them with verified citations."""
    from bot.answer.answer_json import answer_json
    from bot.answer.render import plain_text
    from bot.errors import PanelistError, user_message
    from bot.surfaces.console import out

    lines = batch_lines(question, batch)

    async def run(engine: Any) -> None:
        if lines is None:
            answer = await engine.answer(question or "", persona=persona, source=source)
            if as_json:
                emit_json(answer_json(answer))
            else:
                out.print(for_terminal(plain_text(answer)), highlight=False, markup=False)
            return
        ok = 0
        for line in lines:
            try:
                answer = await engine.answer(line, persona=persona, source=source)
                emit_json(answer_json(answer))
                ok += 1
            except PanelistError as exc:
                emit_json({"error": user_message(exc), "question": line[:200]})
        if lines and not ok:
            fail(f"all {len(lines)} lines of --batch failed")

    with_engine(data_dir, run)


def personas(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List the speakers you can ask to answer in their own (simulated) voice."""
    from bot.surfaces.console import out

    async def run(engine: Any) -> list[Any]:
        return engine.personas()

    found = with_engine(data_dir, run)
    if as_json:
        emit_json(
            [{"name": p.name, "sources": list(p.sources), "passages": p.passages} for p in found]
        )
        return
    if not found:
        out.print("[dim]no labelled speakers indexed yet: run `panelist ingest`[/]")
    for p in found:
        where = for_markup(", ".join(p.sources))
        out.print(f"[bold]{for_markup(p.name)}[/]  [dim]{where}[/]", highlight=False)


def repl(
    persona: Annotated[str | None, typer.Option(help="Start with this persona.")] = None,
    source: Annotated[str | None, typer.Option(help="Start limited to this source.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Interactive session: ask, follow up, switch persona or source (type /help)."""
    from bot.surfaces.repl import run_repl

    with friendly_errors():
        run_repl(settings_for(data_dir), persona=persona, source=source)
