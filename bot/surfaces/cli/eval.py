"""``panelist eval retrieval`` and ``eval answers``: the quality gates, as tables or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.surfaces.cli.common import (
    DataDir,
    JsonFlag,
    QaFile,
    emit_json,
    fail,
    friendly_errors,
    settings_for,
    with_store,
)


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
    offline = settings.offline()
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
