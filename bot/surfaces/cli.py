"""The ``panelist`` command line (also ``python -m bot``). Thin: parse, call, render.

Heavy imports (torch, chromadb, openai) happen inside commands so ``--help`` stays instant.
Every failure a user can fix prints one line to stderr and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.guard.terminal import for_markup, for_terminal
from bot.settings import Settings, SettingsError, load_settings

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
app.add_typer(eval_app, name="eval")

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Store and indexes (default: PANELIST_DATA_DIR or ./data)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def fail(message: str, code: int = 1) -> None:
    from bot.surfaces.console import err

    err.print(f"[bold red]error:[/] {for_markup(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Known errors → one line and exit 1; anything else → a generic line, details at DEBUG."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except SettingsError as exc:
        fail(str(exc))
    except Exception as exc:
        from bot.errors import PanelistError, user_message

        if not isinstance(exc, PanelistError):
            logging.getLogger("panelist").debug("unexpected error", exc_info=True)
        fail(user_message(exc))


def settings_for(data_dir: Path | None) -> Settings:
    settings = load_settings(data_dir=data_dir)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    return settings


def batch_lines(question: str | None, batch: Path | None) -> list[str] | None:
    """The non-blank lines of ``--batch FILE``, or None for a single question; exactly one of
    the two must be given (exit 2 otherwise), and an unreadable file is exit 1."""
    if (question is None) == (batch is None):
        fail("give a question or --batch FILE (not both)", 2)
    if batch is None:
        return None
    try:
        text = batch.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {batch}: {type(exc).__name__}")
    return [line for line in text.splitlines() if line.strip()]


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def with_store(data_dir: Path | None, fn: Callable[..., T], **kw: Any) -> T:
    from bot.index.store import Store

    with friendly_errors():
        store = Store(settings_for(data_dir), **kw)
        try:
            return fn(store)
        finally:
            store.close()


# --- ingest ------------------------------------------------------------------------------------
@app.command()
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
        if as_json:
            return
        from bot.guard.terminal import for_markup
        from bot.surfaces.inspect import describe

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


# --- search ------------------------------------------------------------------------------------
@app.command()
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


# --- ask / personas / repl -------------------------------------------------------------------
def with_engine(data_dir: Path | None, fn: Callable[[Any], Any]) -> Any:
    """Build the engine once, run an async function with it, always close it."""
    import asyncio

    from bot.answer.engine import Engine

    async def run() -> Any:
        engine = Engine(settings_for(data_dir))
        try:
            return await fn(engine)
        finally:
            await engine.aclose()

    with friendly_errors():
        return asyncio.run(run())


@app.command()
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


@app.command()
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


@app.command()
def repl(
    persona: Annotated[str | None, typer.Option(help="Start with this persona.")] = None,
    source: Annotated[str | None, typer.Option(help="Start limited to this source.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Interactive session: ask, follow up, switch persona or source (type /help)."""
    from bot.surfaces.repl import run_repl

    with friendly_errors():
        run_repl(settings_for(data_dir), persona=persona, source=source)


# --- sources -----------------------------------------------------------------------------------
@app.command()
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


@eval_app.command("answers")
def eval_answers(
    qa: QaFile = Path("eval/dev_qa.jsonl"),
    mode: Annotated[
        str, typer.Option(help="auto (LLM if configured) | extractive | llm | both")
    ] = "auto",
    min_recall: Annotated[float | None, typer.Option(help="Exit 1 below this recall.")] = None,
    min_precision: Annotated[float | None, typer.Option(help="Exit 1 below this.")] = None,
    min_refusal: Annotated[
        float | None, typer.Option(help="Exit 1 below this refusal accuracy.")
    ] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Citation precision, citation recall and refusal accuracy of the answer path, per mode."""
    import asyncio

    from bot.answer.engine import Engine
    from bot.eval.answers import evaluate
    from bot.eval.qa import load_qa
    from bot.surfaces.console import out, progress

    if mode not in ("auto", "extractive", "llm", "both"):
        fail("--mode must be auto, extractive, llm or both", 2)
    settings = settings_for(data_dir)
    if mode in ("llm", "both") and not settings.llm_enabled:
        fail("--mode llm needs OPENAI_BASE_URL or OPENAI_API_KEY")
    offline = settings.model_copy(update={"openai_base_url": None, "openai_api_key": None})
    runs = {
        "auto": [settings],
        "extractive": [offline],
        "llm": [settings],
        "both": [offline, settings],
    }[mode]

    async def run_all() -> list[Any]:
        results = []
        qas = load_qa(qa, settings.seeds_dir)
        for cfg in runs:
            engine = Engine(cfg)
            try:
                with progress(f"answering ({engine.mode})") as hooks:
                    hooks.total(len(qas))
                    results.append(await evaluate(engine, qas, hooks.advance))
            finally:
                await engine.aclose()
        return results

    with friendly_errors():
        results = asyncio.run(run_all())
    if as_json:
        emit_json({"qa": str(qa), "results": [r.as_json() for r in results]})
    else:
        from rich.table import Table

        table = Table(title=f"answers on {qa}")
        cols = ("mode", "citation precision", "citation recall", "grounded+right", "refusal acc.")
        for col in (*cols, "n"):
            table.add_column(col)
        for r in results:
            table.add_row(
                r.mode,
                f"{r.precision:.3f} ({r.verified}/{r.quotes})",
                f"{r.recall:.3f} ({r.recalled}/{r.answerable})",
                f"{r.grounded_right_share:.3f} ({r.grounded_right}/{r.answerable})",
                f"{r.refusal_accuracy:.3f} ({r.refused}/{r.unanswerable})",
                str(r.questions),
            )
        out.print(table)
    for r in results:
        for name, value, floor in (
            ("citation recall", r.recall, min_recall),
            ("citation precision", r.precision, min_precision),
            ("refusal accuracy", r.refusal_accuracy, min_refusal),
        ):
            if floor is not None and value < floor:
                fail(f"{r.mode} {name} {value:.3f} is below {floor}")


from bot.surfaces.discord.cli import discord_app, feedback_command  # noqa: E402
from bot.surfaces.inspect import inspect_command  # noqa: E402

app.add_typer(discord_app, name="discord")
from bot.surfaces.doctor import doctor_command  # noqa: E402

app.command("doctor")(doctor_command)
app.command("feedback")(feedback_command)
app.command("inspect")(inspect_command)
from bot.eval.injection_cli import eval_injection  # noqa: E402

eval_app.command("injection")(eval_injection)


@app.command()
def bench(
    scale: Annotated[
        int, typer.Option(help="Also bench a synthetic corpus this many times the seeds (1: off).")
    ] = 100,
    qa: QaFile = Path("eval/dev_qa.jsonl"),
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest throughput, search latency, answer overhead and peak RSS (docs/benchmarks.md)."""
    from bot.eval.bench import bench as run_bench
    from bot.surfaces.console import out

    settings = settings_for(data_dir)
    with friendly_errors():
        try:
            results = run_bench(settings, scale, qa)
        except RuntimeError as exc:
            fail(str(exc))
    if as_json:
        emit_json(results)
        return
    from rich.table import Table

    table = Table(title=f"panelist bench ({results['machine']['cpus']} CPUs, {results['date']})")
    for col in ("corpus", "chunks", "ingest s", "chunks/s", "search p50/p95 ms",
                "overhead p95 ms", "extractive p95 ms", "peak RSS MB"):  # fmt: skip
        table.add_column(col)
    for name, r in results["corpora"].items():
        s, o, e = r["search_hybrid_k5"], r["answer_overhead_llm_path"], r["answer_extractive"]
        table.add_row(
            name, str(r["chunks"]), str(r["ingest_s"]), str(r["ingest_chunks_per_s"]),
            f"{s['p50_ms']}/{s['p95_ms']}", str(o["p95_ms"]), str(e["p95_ms"]),
            str(r["peak_rss_mb"]),
        )  # fmt: skip
    out.print(table)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


# --- eval --------------------------------------------------------------------------------------
QaFile = Annotated[Path, typer.Option("--qa", help="QA file (JSONL).")]


@eval_app.command("retrieval")
def eval_retrieval(
    qa: QaFile = Path("eval/dev_qa.jsonl"),
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 5,
    min_recall: Annotated[
        float | None, typer.Option(help="Exit 1 if hybrid recall@k is below this.")
    ] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """recall@k and MRR for dense-only, BM25-only and hybrid retrieval."""
    from bot.eval.qa import load_qa
    from bot.eval.retrieval import evaluate
    from bot.retrieve.search import Retriever
    from bot.surfaces.console import out

    def run(store: Any) -> Any:
        qas = load_qa(qa, store.settings.seeds_dir)
        return qas, evaluate(Retriever(store), qas, k)

    qas, results = with_store(data_dir, run)
    answerable = sum(1 for q in qas if q.answerable)
    if as_json:
        emit_json(
            {
                "k": k,
                "questions": len(qas),
                "answerable": answerable,
                "modes": {
                    m: {
                        "recall": round(r.recall, 4),
                        "mrr": round(r.mrr, 4),
                        "misses": r.misses,
                        "top_similarity_answerable": r.top_similarity_answerable,
                        "top_similarity_unanswerable": r.top_similarity_unanswerable,
                    }
                    for m, r in results.items()
                },
            }
        )
    else:
        from rich.table import Table

        table = Table(title=f"retrieval on {qa} ({answerable} answerable of {len(qas)})")
        for col in ("mode", f"recall@{k}", "MRR", "misses"):
            table.add_column(col)
        for m, r in results.items():
            table.add_row(m, f"{r.recall:.3f}", f"{r.mrr:.3f}", " ".join(r.misses[:12]))
        out.print(table)
    if min_recall is not None and results["hybrid"].recall < min_recall:
        fail(f"hybrid recall@{k} {results['hybrid'].recall:.3f} is below {min_recall}")
