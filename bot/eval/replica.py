"""A store ``scale`` times the size of an indexed one, built without embedding anything.

`panelist bench --scale 100` embeds a synthetic ×100 corpus: about 40,000 passages and their
sentences, which takes hours on a shared two-core machine. Search time at that size depends on
how many passages the dense index, BM25 and the catalog hold, not on what the vectors say, so the
bench's ``--replicate`` case copies the seeds' indexed passages ``scale`` times under new source
names, each copy's vector jittered a little (no two identical points in the vector index), and
times search and answers on that. It measures search at ×100 in minutes; it has no ingest figure.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.index.store import Store

JITTER = 0.01  # per-dimension noise on unit vectors: each copy stays ~0.98 cosine to its original


def replica_name(source: str, n: int) -> str:
    stem, dot, ext = source.rpartition(".")
    return f"{stem}~{n:03d}{dot}{ext}" if dot else f"{source}~{n:03d}"


def replicate(src: Store, dst: Store, scale: int, seed: int = 7) -> int:
    """Fill the empty store ``dst`` with ``scale`` copies of ``src``'s live passages; returns
    how many passages it holds. Sentence vectors are shared by content, so copying ``src``'s
    sentence cache file beforehand makes the answerer's cache complete too."""
    rng = np.random.default_rng(seed)
    for key in ("embedder", "glossary"):
        value = src.catalog.get_meta(key)
        if value is not None:
            dst.catalog.set_meta(key, value)
    people = json.loads(src.catalog.get_meta("people") or "{}")
    copied_people: dict[str, object] = {}
    total = 0
    by_source: dict[str, list] = {}
    for c in src.catalog.iter_chunks():
        by_source.setdefault(c.source, []).append(c)
    for record in src.catalog.sources():
        chunks = by_source.get(record.source, [])
        if not chunks:
            continue
        base = src.vectors.embeddings([c.id for c in chunks])
        for n in range(scale):
            name = replica_name(record.source, n)
            copies = [
                replace(c, id=f"{name}#{c.id.rpartition('#')[2]}", source=name) for c in chunks
            ]
            noisy = base + rng.normal(0.0, JITTER, base.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            dst.vectors.upsert(copies, noisy)
            dst.catalog.replace_source(
                replace(record, source=name, n_chunks=len(copies), ingested_at=time.time()),
                copies,
            )
            if record.source in people:
                copied_people[name] = people[record.source]
            total += len(copies)
    dst.catalog.set_meta("people", json.dumps(copied_people, sort_keys=True))
    return total


def copy_sentence_cache(src_dir: Path, dst_dir: Path) -> None:
    """The source store's sentence vectors, for the replica (same sentences, same keys)."""
    import sqlite3

    dst_dir.mkdir(parents=True, exist_ok=True)
    with (
        sqlite3.connect(src_dir / "sentences.sqlite3") as a,
        sqlite3.connect(dst_dir / "sentences.sqlite3") as b,
    ):
        a.backup(b)
