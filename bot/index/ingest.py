"""Files → parsed, chunked, embedded, stored. Idempotent and crash-safe.

Order of writes per file (see catalog.py for why): vectors upserted under content-derived
ids → catalog swap in one transaction → stale vectors deleted. Unchanged files (same bytes, same
parser and chunking settings) are skipped without loading the embedding model.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.index.catalog import SourceRecord
from bot.index.store import Store
from bot.ingest.chunk import chunk_segments
from bot.ingest.chunk_types import Chunk
from bot.ingest.flags import INSTRUCTION_LIKE, instruction_like
from bot.ingest.manifest import SourceMeta, load_manifest, meta_for
from bot.ingest.parse import parse_transcript
from bot.ingest.read import IngestError, read_transcript

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = {".txt", ".vtt", ".srt", ".md", ".text"}
PIPELINE_VERSION = "2"  # bump when parsing/chunking changes what a file turns into


@dataclass(slots=True)
class FileResult:
    path: str
    source: str
    status: str  # "added" | "updated" | "unchanged" | "failed" | "pruned"
    chunks: int = 0
    format: str | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    orphans_removed: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]


class Progress:
    """Hooks a surface can fill in; the default does nothing (quiet when piped)."""

    def total(self, n: int) -> None: ...

    def advance(self, n: int) -> None: ...


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Directories expand to their transcript files; explicit files are taken as given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.iterdir()
                    if f.is_file()
                    and f.suffix.lower() in TRANSCRIPT_SUFFIXES
                    and not f.name.startswith(".")
                    and f.name.lower() != "readme.md"
                )
            )
        else:
            out.append(p)
    return out


def fingerprint(raw_text: str, meta: SourceMeta, chunk_tokens: int, overlap: int) -> str:
    h = hashlib.sha256()
    h.update(raw_text.encode("utf-8"))
    h.update(repr((PIPELINE_VERSION, chunk_tokens, overlap, meta)).encode())
    return h.hexdigest()


@dataclass(slots=True)
class Prepared:
    path: Path
    meta: SourceMeta
    chunks: list[Chunk]
    format: str
    warnings: list[str]
    fingerprint: str
    existed: bool


def source_context(meta: SourceMeta) -> str:
    names = [meta.cite_as] + [n for n in (meta.show,) if n and n != meta.cite_as]
    text = " / ".join(names)
    if meta.participants:
        text += " with " + ", ".join(meta.participants)
    return text


def prepare_chunks(
    path: Path, text: str, entry: SourceMeta, chunk_tokens: int, overlap: int
) -> tuple[SourceMeta, list[Chunk], str, list[str]]:
    parsed = parse_transcript(
        text,
        participants=entry.participants,
        default_speaker=entry.default_speaker,
        aliases=entry.aliases,
    )
    meta = meta_for(path, {entry.file: entry}, parsed)
    chunks = chunk_segments(
        parsed.segments,
        source=meta.file,
        title=meta.title,
        max_tokens=chunk_tokens,
        overlap=overlap,
        context=source_context(meta),
    )
    flagged = [
        replace(c, flags=(INSTRUCTION_LIKE,)) if instruction_like(c.text) else c for c in chunks
    ]
    return meta, flagged, parsed.format, list(parsed.warnings)


def ingest(
    store: Store,
    paths: Sequence[Path],
    *,
    prune: bool = False,
    progress: Progress | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    progress = progress or Progress()
    settings = store.settings
    report = IngestReport()
    report.orphans_removed = _remove_orphans(store)

    files = expand_paths(paths)
    manifests: dict[Path, dict[str, SourceMeta]] = {}
    pending: list[Prepared] = []
    max_bytes = int(settings.max_file_mb * 1024 * 1024)

    def done(result: FileResult) -> None:
        report.files.append(result)
        if on_file:
            on_file(result)

    for path in files:
        try:
            text = read_transcript(path, max_bytes=max_bytes)
            folder = path.resolve().parent
            if folder not in manifests:
                manifests[folder] = load_manifest(folder)
            entry = manifests[folder].get(path.name) or SourceMeta(file=path.name, title="")
        except IngestError as exc:
            done(FileResult(str(path), path.name, "failed", message=str(exc)))
            continue
        fp = fingerprint(text, entry, settings.chunk_tokens, settings.chunk_overlap)
        existing = store.catalog.source(entry.file)
        if existing and existing.file_hash == fp:
            ids = store.catalog.chunk_ids(entry.file)
            if len(store.vectors.existing(sorted(ids))) == len(ids):
                done(
                    FileResult(
                        str(path), entry.file, "unchanged", existing.n_chunks, existing.format
                    )
                )
                continue
        meta, chunks, fmt, warnings = prepare_chunks(
            path, text, entry, settings.chunk_tokens, settings.chunk_overlap
        )
        if not chunks:
            done(FileResult(str(path), meta.file, "failed", message="no transcript text found"))
            continue
        pending.append(Prepared(path, meta, chunks, fmt, warnings, fp, existing is not None))

    progress.total(sum(len(p.chunks) for p in pending))
    for item in pending:
        path, meta, chunks = item.path, item.meta, item.chunks
        old_ids = store.catalog.chunk_ids(meta.file)
        have = store.vectors.existing([c.id for c in chunks])
        todo = [c for c in chunks if c.id not in have]
        progress.advance(len(chunks) - len(todo))
        if todo:
            vectors = store.embedder.embed_documents([c.index_text for c in todo], progress.advance)
            store.vectors.upsert(todo, vectors)
        record = SourceRecord(
            source=meta.file,
            path=str(path.resolve()),
            file_hash=item.fingerprint,
            title=meta.title,
            label=meta.cite_as,
            show=meta.show,
            date=meta.date,
            participants=tuple(meta.participants),
            url=meta.url,
            format=item.format,
            n_chunks=len(chunks),
            ingested_at=time.time(),
        )
        store.catalog.replace_source(record, chunks)
        stale = old_ids - {c.id for c in chunks}
        if stale:
            store.vectors.delete(sorted(stale))
        status = "updated" if item.existed else "added"
        done(
            FileResult(
                str(path), meta.file, status, len(chunks), item.format, warnings=item.warnings
            )
        )

    if prune:
        for rec in store.catalog.sources():
            if not Path(rec.path).exists():
                ids = store.catalog.chunk_ids(rec.source)
                store.catalog.remove_source(rec.source)
                store.vectors.delete(sorted(ids))
                done(FileResult(rec.path, rec.source, "pruned", len(ids)))
    report.seconds = time.perf_counter() - started
    return report


def _remove_orphans(store: Store) -> int:
    """Vectors whose ids the catalog does not list: left by an interrupted ingest."""
    if store.vectors.count() == store.catalog.count_chunks():
        return 0
    orphans = store.vectors.all_ids() - store.catalog.chunk_ids()
    if orphans:
        log.info("removing %d orphaned vectors", len(orphans))
        store.vectors.delete(sorted(orphans))
    return len(orphans)
