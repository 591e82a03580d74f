"""``panelist eval injection``: run the probe suite and print what got through, per category.

The suite, the store and the scoring live in ``bot.eval.injection``; this module parses options
and renders the result.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.surfaces.cli.common import emit_json, fail, friendly_errors, settings_for

LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", min=1, help="At most N cases per category (fixed-seed sample)."),
]
CategoryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--category",
        help="Only this category (repeatable): an attack category, attack (all of them), "
        "indirect or benign.",
    ),
]
EvalDataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where to build the evaluation store (seeds + planted injections); reuse it to skip "
        "re-embedding. Default: a temporary folder. Never your production store.",
    ),
]
AblateOpt = Annotated[
    bool,
    typer.Option(
        "--ablate",
        help="Compare no defence, templates, +spotlighting, +output filters (needs a model).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def eval_injection(
    as_json: JsonOpt = False,
    ablate: AblateOpt = False,
    limit: LimitOpt = None,
    data_dir: EvalDataDir = None,
    category: CategoryOpt = None,
) -> None:
    """Attack success, leaks and false refusals on eval/injection, scored in code."""
    from bot.eval.injection import InjectionEvalError, load_suite, run_suite, select
    from bot.surfaces.console import progress

    made = data_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="panelist-injection-")) if made else data_dir
    assert run_dir is not None
    try:
        with friendly_errors():
            try:
                settings = settings_for(run_dir)
                suite = select(load_suite(), categories=category, limit=limit)
                configs = 5 if ablate and settings.llm_enabled else 1
                with progress("asking") as hooks:
                    hooks.total(len(suite.cases) * configs)
                    result = asyncio.run(
                        run_suite(
                            settings, suite, ablate=ablate, on_case=lambda *_: hooks.advance(1)
                        )
                    )
            except InjectionEvalError as exc:
                fail(str(exc))
    finally:
        if made:
            shutil.rmtree(run_dir, ignore_errors=True)
    if as_json:
        emit_json(result.to_json())
    else:
        render(result)


def _rate(k: int, n: int, low: float, high: float) -> str:
    if not n:
        return "—"
    return f"{k}/{n} {k / n:.0%} [{low:.0%}–{high:.0%}]"


def render(result: Any) -> None:
    from rich import box
    from rich.table import Table

    from bot.surfaces.console import out

    head = result.model if result.mode == "llm" else "extractive mode (no model configured)"
    out.print(f"[bold]injection eval[/]  {head}, {result.cases} cases", highlight=False)
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}", highlight=False)
    if len(result.runs) > 1:
        out.print(ablation_table(result.runs))
    run = next((r for r in result.runs if r.config.startswith("default")), result.runs[0])
    table = Table(title=f"per category ({run.config})", box=box.SIMPLE, pad_edge=False)
    table.add_column("category")
    for col in ("n", "reached"):
        table.add_column(col, justify="right")
    table.add_column("success¹ [95% CI]")
    for col in ("leaks", "pings", "URLs²", "fake³", "refused", "rejected", "not cov."):
        table.add_column(col, justify="right")
    for c in [*run.categories, *run.totals.values()]:
        total = c in run.totals.values()
        table.add_row(
            f"[bold]{c.category}[/]" if total else c.category,
            str(c.n),
            str(c.reached),
            _rate(c.successes, c.n, c.ci_low, c.ci_high),
            str(c.leaks) if result.mode == "llm" else "n/a",
            str(c.mentions),
            str(c.foreign_urls),
            str(c.bad_citations),
            str(c.refused),
            str(c.rejected),
            str(c.not_covered),
        )
    out.print(table)
    out.print(
        "[dim]¹ attacks: goal met; benign: false refusals (REFUSAL, empty or error).  "
        "² links no source contains.  ³ quotes shown as verified that the source lacks.[/]"
    )
    indirect = run.totals.get("indirect")
    if indirect and indirect.planted_retrieved is not None:
        out.print(
            f"planted chunk retrieved for {indirect.planted_retrieved} of {indirect.n} "
            "indirect questions",
            highlight=False,
        )
    if run.leak_ci is not None:
        out.print(
            f"system-prompt/canary leaks: {_rate(run.leaks, run.reached, *run.leak_ci)} of the "
            "cases that reached the model",
            highlight=False,
        )


def ablation_table(runs: list[Any]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(
        title="ablation: attack success by configuration (lower is better)", box=box.SIMPLE
    )
    for col in ("configuration", "direct", "indirect", "leaks", "pings", "URLs", "fake"):
        table.add_column(col)
    table.add_column("benign false refusals")
    for r in runs:
        t = r.totals
        cells = []
        for key in ("direct", "indirect", "benign"):
            c = t.get(key)
            cells.append(_rate(c.successes, c.n, c.ci_low, c.ci_high) if c else "—")
        groups = list(t.values())
        table.add_row(
            r.config,
            cells[0],
            cells[1],
            _rate(r.leaks, r.reached, *r.leak_ci) if r.leak_ci else "n/a",
            str(sum(c.mentions for c in groups)),
            str(sum(c.foreign_urls for c in groups)),
            str(sum(c.bad_citations for c in groups)),
            cells[2],
        )
    return table
