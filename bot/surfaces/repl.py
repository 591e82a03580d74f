"""``panelist repl``: ask, follow up, switch persona or source, from a terminal.

prompt_toolkit gives line editing and persistent history; rich shows the answer as it streams.
Ctrl-C cancels the answer being written (not the session); Ctrl-D or /quit leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass, field
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.text import Text

from bot.answer.conversation import Conversations
from bot.answer.engine import Engine
from bot.answer.render import footnotes
from bot.errors import PanelistError, user_message
from bot.guard.terminal import for_markup, for_terminal
from bot.records import Answer
from bot.settings import Settings
from bot.surfaces.console import out

HELP = """Commands:
  /persona NAME   answer as one speaker (simulated from their words); /persona off to stop
  /source NAME    only use one discussion; /source off for all
  /personas       list speakers          /sources   list discussions
  /reset          forget the conversation so far
  /help           this help              /quit      leave (or Ctrl-D)
Anything else is a question. Ctrl-C cancels an answer in progress."""

KEY = "repl"


@dataclass
class Session:
    engine: Engine
    persona: str | None = None
    source: str | None = None
    memory: Conversations = field(default_factory=Conversations)


def run_repl(settings: Settings, *, persona: str | None = None, source: str | None = None) -> None:
    asyncio.run(_main(settings, persona, source))


async def _main(settings: Settings, persona: str | None, source: str | None) -> None:
    engine = Engine(settings)
    warming: asyncio.Task[None] | None = None
    try:
        session = Session(engine, memory=Conversations(settings.llm.history_turns))
        session.persona = engine.resolve_persona(persona)
        session.source = engine.retriever.resolve_source(source)
        banner(session)
        # The index loads while the user types: the first answer does not wait for it.
        warming = asyncio.create_task(engine.awarm())
        history_file = Path(settings.data_dir) / "repl_history"
        history_file.parent.mkdir(parents=True, exist_ok=True)
        prompt: PromptSession[str] = PromptSession(history=FileHistory(str(history_file)))
        while True:
            try:
                line = await prompt.prompt_async(prompt_label(session))
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if not command(session, line):
                    break
                continue
            await ask(session, line)
    finally:
        if warming is not None:
            with contextlib.suppress(Exception):  # a broken index is reported by the answers
                await warming
        await engine.aclose()
    out.print("[dim]bye[/]")


def banner(session: Session) -> None:
    n = len(session.engine.store.catalog.sources())
    if n == 0:
        out.print("[yellow]Nothing is indexed yet: run `panelist ingest` first.[/]")
    mode = session.engine.mode
    how = "generated answers" if mode == "llm" else "offline: verbatim passages (no LLM configured)"
    out.print(f"[bold]panelist[/] — {n} discussions, {how}. Type a question, /help, or Ctrl-D.")


def prompt_label(session: Session) -> str:
    bits = [for_terminal(b) for b in (session.persona, session.source) if b]
    return f"[{' | '.join(bits)}] > " if bits else "> "


def command(session: Session, line: str) -> bool:
    """Handle a /command; False means leave."""
    name, _, arg = line[1:].partition(" ")
    arg = arg.strip()
    engine = session.engine
    try:
        if name in ("quit", "exit", "q"):
            return False
        if name == "help":
            out.print(HELP, highlight=False, markup=False)
        elif name == "reset":
            session.memory.reset(KEY)
            out.print("[dim]conversation cleared[/]")
        elif name == "persona":
            session.persona = None if arg in ("", "off", "none") else engine.resolve_persona(arg)
            session.memory.reset(KEY)
            who = for_markup(session.persona or "the discussions (panel voice)")
            out.print(f"[dim]persona: {who}[/]", highlight=False)
        elif name == "source":
            session.source = (
                None if arg in ("", "off", "all") else engine.retriever.resolve_source(arg)
            )
            out.print(f"[dim]source: {for_markup(session.source or 'all discussions')}[/]")
        elif name == "sources":
            for r in engine.store.catalog.sources():
                date = f" ({r.date})" if r.date else ""
                label, date, where = for_markup(r.label), for_markup(date), for_markup(r.source)
                out.print(f"[bold]{label}[/]{date} [dim]{where}[/]\n  {for_markup(r.title)}")
        elif name == "personas":
            for p in engine.personas():
                where = for_markup(", ".join(p.sources))
                out.print(f"[bold]{for_markup(p.name)}[/] [dim]{where}[/]")
        else:
            out.print(f"[yellow]unknown command /{for_markup(name)}; /help lists them[/]")
    except PanelistError as exc:
        out.print(f"[red]{for_markup(user_message(exc))}[/]", highlight=False)
    return True


async def ask(session: Session, question: str) -> None:
    live = Live(Text(""), console=out, transient=True, refresh_per_second=8)

    def show(partial: str) -> None:
        live.update(Text(for_terminal(partial)))

    task = asyncio.ensure_future(
        session.engine.answer(
            question,
            persona=session.persona,
            source=session.source,
            history=session.memory.history(KEY),
            on_text=show,
        )
    )
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        with live:
            answer = await task
    except asyncio.CancelledError:
        out.print("[dim]cancelled[/]")
        return
    except PanelistError as exc:
        out.print(f"[red]{for_markup(user_message(exc))}[/]", highlight=False)
        return
    finally:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)
    render(answer)
    if answer.grounded:
        session.memory.add(KEY, question, answer.text)


def render(answer: Answer, console: Console = out) -> None:
    """The answer, every quote and footnote in full, wrapped to the terminal's width (the shared
    console does not wrap, so that piped output keeps its lines; here a cut quote would hide the
    evidence)."""
    console.print(Markdown(for_terminal(answer.text)), soft_wrap=False)
    notes = footnotes(answer)
    if notes:
        console.print()
        for note in notes:
            console.print(Text(for_terminal(note), style="cyan"), soft_wrap=False)
    if answer.notice:
        console.print(Text(for_terminal(answer.notice), style="dim"), soft_wrap=False)
    console.print()
