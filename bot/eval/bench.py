"""``panelist bench``: ingest throughput, search latency, answer overhead and peak memory.

Each corpus runs in its own subprocess so peak RSS belongs to that corpus alone. The synthetic
corpus is the seeds' own segments resampled (fixed seed) into ``scale``× as much text, written as
Whisper transcripts, so parsing, chunking and embedding do real work on realistic text.

Embedding the ×100 corpus takes most of half an hour on two cores, so ``--work DIR`` keeps the
corpora and their stores: a rerun with the same chunking finds every file unchanged, skips the
embedding and measures search and answers on the new code in minutes (its ingest figures then
time a no-op, and say so with ``reused_files``).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.eval.qa import load_qa
from bot.index.ingest import expand_paths, ingest
from bot.index.store import Store
from bot.ingest.manifest import load_manifest
from bot.ingest.parse import parse_transcript
from bot.ingest.read import read_transcript
from bot.retrieve.search import Retriever
from bot.settings import Settings, load_settings

WARMUP = 20
RUNS = 200
EXTRACTIVE_RUNS = 50  # full offline answers are ~10× slower than a search; fewer keep bench short


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
    }


def synth_corpus(seeds: Path, out: Path, scale: int, seed: int = 7) -> int:
    """Resample seed segments into ``scale``× the seeds' text; returns bytes written."""
    rng = random.Random(seed)
    manifest = load_manifest(seeds)
    texts: list[str] = []
    for path in expand_paths([seeds])[0]:
        meta = manifest.get(path.name)
        parsed = parse_transcript(
            read_transcript(path, max_bytes=1 << 30),
            participants=meta.participants if meta else (),
            aliases=meta.aliases if meta else None,
        )
        texts.extend(s.text for s in parsed.segments)
    target = sum(p.stat().st_size for p in expand_paths([seeds])[0]) * scale
    out.mkdir(parents=True, exist_ok=True)
    written, n = 0, 0
    per_file = 1_000_000
    while written < target:
        lines, t, size = [], 0.0, 0
        while size < per_file and written + size < target:
            seg = rng.choice(texts)
            dur = 2 + len(seg) / 15
            lines.append(f"[{_ts(t)} --> {_ts(t + dur)}]  {seg}\n")
            size += len(lines[-1].encode())
            t += dur
        (out / f"synthetic_{n:04d}.txt").write_text("".join(lines), encoding="utf-8")
        written += size
        n += 1
    return written


def _ts(seconds: float) -> str:
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def run_corpus(settings: Settings, corpus: Path, qa_file: Path) -> dict[str, Any]:
    """Measure one corpus in this process (called in a fresh subprocess by ``bench``)."""
    started = time.perf_counter()
    store = Store(settings)
    report = ingest(store, [corpus])
    ingest_s = time.perf_counter() - started
    chunks = store.catalog.count_chunks()
    size = sum(p.stat().st_size for p in expand_paths([corpus])[0])
    return {
        "files": len(report.files),
        "bytes": size,
        "chunks": chunks,
        "reused_files": sum(f.status == "unchanged" for f in report.files),
        "ingest_s": round(ingest_s, 2),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1),
        "ingest_mb_per_s": round(size / 1e6 / ingest_s, 3),
    } | measure(settings, store, qa_file)


def run_replica(settings: Settings, source_dir: Path, scale: int, qa_file: Path) -> dict[str, Any]:
    """Measure ``scale`` copies of the store in ``source_dir`` (bot/eval/replica.py)."""
    from bot.eval.replica import copy_sentence_cache, replicate

    source = Store(load_settings(data_dir=source_dir, seeds_dir=settings.seeds_dir))
    data = Path(settings.data_dir)
    if not (data / "catalog.sqlite3").exists():
        copy_sentence_cache(source_dir, data)
    store = Store(settings)
    started = time.perf_counter()
    if not store.catalog.count_chunks():
        replicate(source, store, scale)
    build_s = time.perf_counter() - started
    return {
        "files": len(store.catalog.sources()),
        "chunks": store.catalog.count_chunks(),
        "replicated_from": str(source_dir),
        "build_s": round(build_s, 2),
    } | measure(settings, store, qa_file)


def measure(settings: Settings, store: Store, qa_file: Path) -> dict[str, Any]:
    retriever = Retriever(store)
    questions = [q.question for q in load_qa(qa_file, settings.seeds_dir)]
    load_started = time.perf_counter()
    retriever.state()
    index_load_s = time.perf_counter() - load_started
    for q in questions[:WARMUP]:
        retriever.search(q, 5)
    search = []
    for i in range(RUNS):
        t = time.perf_counter()
        retriever.search(questions[i % len(questions)], 5)
        search.append(time.perf_counter() - t)
    overhead, extractive = asyncio.run(answer_timings(settings, store, questions))
    return {
        "index_load_s": round(index_load_s, 3),
        "search_hybrid_k5": ms(search),
        "answer_overhead_llm_path": ms(overhead),
        "answer_extractive": ms(extractive),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def answer_timings(
    settings: Settings, store: Store, questions: list[str]
) -> tuple[list[float], list[float]]:
    """Our own per-answer work with the model's time excluded: retrieval, prompt building, quote
    verification, citations and output guards run for real on a reply quoting the top excerpt;
    plus the full extractive answer (which has no model)."""
    from bot.answer.engine import Engine
    from bot.answer.prompts import build_prompt

    engine = Engine(settings.offline(), store=store)
    engine.warm()  # as the REPL and the bot do at start-up
    overhead: list[float] = []
    extractive: list[float] = []
    for i in range(WARMUP + RUNS):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        found = await engine.retrieve(q, k=settings.retrieval.top_k)  # the LLM path's k
        budget = settings.llm.context_window
        prompt = build_prompt(q, found.excerpts, persona=None, budget_tokens=budget)
        first = " ".join(prompt.excerpts[0].chunk.text.split()[:12]) if prompt.excerpts else ""
        reply = f'They said "{first}" [1], and "a quote nobody said" [2].'
        engine.finish(reply, prompt)
        if i >= WARMUP:
            overhead.append(time.perf_counter() - t)
        if WARMUP <= i < WARMUP + EXTRACTIVE_RUNS:
            t = time.perf_counter()
            await engine.answer(q)
            extractive.append(time.perf_counter() - t)
    return overhead, extractive


def bench(
    settings: Settings,
    scale: int,
    qa_file: Path,
    work: Path | None = None,
    replicate: bool = False,
) -> dict[str, Any]:
    """``work``: a folder kept between runs (stores reused, see above); None: a fresh temporary
    one. ``replicate``: the ×``scale`` case copies the seeds' index instead of embedding a
    synthetic corpus (bot/eval/replica.py)."""
    if work is None:
        work = Path(tempfile.mkdtemp(prefix="panelist-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "embedding": settings.index.embedding_backend + ":" + settings.index.embedding_model,
        "chunk_tokens": settings.index.chunk_tokens,
        "corpora": {},
    }
    corpora = {"seeds": Path(settings.seeds_dir)}
    if scale > 1 and not replicate:
        synth = work / f"synthetic_x{scale}"
        if not synth.is_dir():  # the corpus is a pure function of (seeds, scale, seed)
            synth_corpus(Path(settings.seeds_dir), synth, scale)
        corpora[f"seeds_x{scale}"] = synth
    runs = {name: [str(corpus), str(qa_file)] for name, corpus in corpora.items()}
    if scale > 1 and replicate:
        runs[f"seeds_x{scale}_replica"] = [
            "--replica",
            str(work / "data-seeds"),
            str(scale),
            str(qa_file),
        ]
    for name, args in runs.items():
        data = work / f"data-{name}"
        data.mkdir(exist_ok=True)
        env = dict(os.environ, PANELIST_DATA_DIR=str(data), PANELIST_ENV_FILE="")
        proc = subprocess.run(
            [sys.executable, "-m", "bot.eval.bench", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"bench of {name} failed: {tail}")
        results["corpora"][name] = json.loads(proc.stdout)
    return results


def _child() -> None:
    settings = load_settings()
    if sys.argv[1] == "--replica":
        source, scale, qa_file = Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(run_replica(settings, source, scale, qa_file)))
        return
    corpus, qa_file = Path(sys.argv[1]), Path(sys.argv[2])
    print(json.dumps(run_corpus(settings, corpus, qa_file)))


if __name__ == "__main__":
    _child()
