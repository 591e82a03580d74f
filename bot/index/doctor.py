"""Compare the catalog with the vectors, and repair what differs (``panelist doctor``).

The catalog says what is searchable; Chroma must hold a vector for every chunk it lists, or dense
search silently misses those passages and ``ask`` answers "not covered". Things that break that:
a deleted or emptied Chroma directory, a Chroma server reset, a kill between a vector write and
its catalog commit (orphans), a rebuild killed before or after its switch (a leftover set or
collection). Repair needs no source files: the catalog keeps every chunk's text, so missing
vectors are re-embedded from it, and leftovers are removed as the next ingest would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.index.ingest import PENDING, RETIRED, Progress, recover
from bot.index.lock import WriterLock
from bot.index.store import Store


@dataclass(slots=True)
class Diagnosis:
    where: str  # which Chroma
    live_set: int
    passages: int  # chunks the catalog lists as searchable
    vectors: int  # vectors in the live collection
    missing: dict[str, int] = field(default_factory=dict)  # source → passages without a vector
    orphans: int = 0  # vectors the catalog does not list
    leftover_sets: list[int] = field(default_factory=list)  # a rebuild that never switched
    unfinished_cleanup: bool = False  # a rebuild's pending/retired collections still recorded

    @property
    def ok(self) -> bool:
        return not (self.missing or self.orphans or self.leftover_sets or self.unfinished_cleanup)

    def problems(self) -> list[str]:
        out = []
        if self.missing:
            n = sum(self.missing.values())
            names = ", ".join(f"{s} ({k})" for s, k in sorted(self.missing.items())[:5])
            more = ", …" if len(self.missing) > 5 else ""
            out.append(f"{n} of {self.passages} passages have no vector: {names}{more}")
        if self.orphans:
            out.append(f"{self.orphans} vectors belong to no indexed passage (orphans)")
        if self.leftover_sets:
            out.append(f"catalog rows of an unfinished rebuild (sets {self.leftover_sets})")
        if self.unfinished_cleanup:
            out.append("collections of an interrupted rebuild are still on disk")
        return out

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok, "problems": self.problems()}


def diagnose(store: Store) -> Diagnosis:
    """Read-only: safe while an ingest runs (its in-flight vectors then show as orphans)."""
    catalog = store.catalog
    vectors = store.vectors
    listed = catalog.chunk_ids()
    held = vectors.all_ids()
    missing_ids = listed - held
    per_source = Counter(cid.split("#", 1)[0] for cid in missing_ids)
    return Diagnosis(
        where=vectors.where,
        live_set=catalog.live_set,
        passages=len(listed),
        vectors=len(held),
        missing=dict(per_source),
        orphans=len(held - listed),
        leftover_sets=sorted(catalog.sets() - {catalog.live_set}),
        unfinished_cleanup=bool(catalog.get_meta(PENDING) or catalog.get_meta(RETIRED)),
    )


def repair(store: Store, progress: Progress | None = None) -> Diagnosis:
    """Fix what :func:`diagnose` finds, under the writer lock; returns the diagnosis after."""
    progress = progress or Progress()
    with WriterLock(store.data_dir):
        recover(store)
        missing = store.catalog.chunk_ids() - store.vectors.all_ids()
        chunks = list(store.catalog.iter_chunks(ids=missing)) if missing else []
        progress.total(len(chunks))
        batch = 256
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            vecs = store.embedder.embed_documents([c.index_text for c in part], progress.advance)
            store.vectors.upsert(part, vecs)
    return diagnose(store)
