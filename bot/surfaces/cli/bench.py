"""``panelist bench``: ingest throughput, search latency, answer overhead, peak RSS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.surfaces.cli.common import (
    DataDir,
    JsonFlag,
    QaFile,
    emit_json,
    fail,
    friendly_errors,
    settings_for,
)


def bench(
    scale: Annotated[
        int, typer.Option(help="Also bench a synthetic corpus this many times the seeds (1: off).")
    ] = 100,
    qa: QaFile = Path("eval/dev_qa.jsonl"),
    work: Annotated[
        Path | None,
        typer.Option(
            help="Keep the corpora and stores here; a rerun reuses their embeddings (no re-ingest)."
        ),
    ] = None,
    replicate: Annotated[
        bool,
        typer.Option(
            help="Bench the x scale case on copies of the seeds' index (no embedding, no ingest "
            "figure): search and answers at scale in minutes."
        ),
    ] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest throughput, search latency, answer overhead and peak RSS (docs/benchmarks.md)."""
    from bot.eval.bench import bench as run_bench
    from bot.surfaces.console import out

    settings = settings_for(data_dir)
    with friendly_errors():
        try:
            results = run_bench(settings, scale, qa, work, replicate)
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
            name, str(r["chunks"]), str(r.get("ingest_s", "-")),
            str(r.get("ingest_chunks_per_s", "-")),
            f"{s['p50_ms']}/{s['p95_ms']}", str(o["p95_ms"]), str(e["p95_ms"]),
            str(r["peak_rss_mb"]),
        )  # fmt: skip
    out.print(table)
