"""Files → parsed, chunked, embedded, stored. Idempotent and crash-safe.

Order of writes per file (see catalog.py for why): vectors upserted under content-derived
ids → catalog swap in one transaction → stale vectors deleted. Unchanged files (same bytes, same
parser and chunking settings) are skipped without loading the embedding model. Only one writer
works on a data directory at a time (bot/index/lock.py), so the orphan cleanup at the start of a
run can never delete vectors another ingest has written but not yet committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.index.catalog import SourceRecord
from bot.index.embed import EmbeddingError
from bot.index.lock import StoreLockedError, WriterLock
from bot.index.store import Store
from bot.index.vectors import VectorStoreError
from bot.ingest.chunk import chunk_segments
from bot.ingest.flags import INSTRUCTION_LIKE, instruction_like
from bot.ingest.glossary import Glossary, load_glossary, right_spellings_in
from bot.ingest.manifest import SourceMeta, load_manifest, meta_for
from bot.ingest.parse import parse_transcript
from bot.ingest.read import IngestError, file_kind, read_transcript
from bot.ingest.read import show as show_path
from bot.ingest.sentences import sentence_texts, widen
from bot.ingest.summary import ParseSummary, summarize
from bot.records import Chunk, ParseResult

log = logging.getLogger(__name__)

TRANSCRIPT_SUFFIXES = {".txt", ".vtt", ".srt", ".md", ".text", ".json"}
PIPELINE_VERSION = "4"  # bump when parsing/chunking changes what a file turns into
# Catalog meta keys a rebuild leaves while it runs / after it switched (see recover()).
PENDING = "rebuild_pending"
RETIRED = "retired_collections"
_NOT_TRANSCRIPTS = {"manifest.toml", "glossary.toml", "readme.md"}


@dataclass(slots=True)
class FileResult:
    path: str
    source: str
    status: str  # "added" | "updated" | "unchanged" | "failed" | "pruned"
    chunks: int = 0
    format: str | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    # What the parse found (see bot.ingest.summary); None/empty when the file was not parsed.
    segments: int | None = None
    speakers: list[str] = field(default_factory=list)
    start_s: float | None = None  # the file's time range in seconds; None when it has no times
    end_s: float | None = None
    confidence: float | None = None  # the format's detect score: 0.5 claims, 1 is certain

    def add_summary(self, summary: ParseSummary) -> FileResult:
        self.segments, self.speakers = summary.segments, list(summary.speakers)
        self.start_s, self.end_s, self.confidence = summary.start, summary.end, summary.confidence
        return self


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    orphans_removed: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    aborted: str | None = None  # set when a --rebuild was abandoned (the index is unchanged)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]


class Progress:
    """Hooks a surface can fill in; the default does nothing (quiet when piped)."""

    def total(self, n: int) -> None: ...

    def advance(self, n: int) -> None: ...


def expand_paths(
    paths: Iterable[Path], *, recursive: bool = False
) -> tuple[list[Path], list[Skipped]]:
    """Files to ingest, and what was passed over with the reason.

    Paths given explicitly are taken as given (reading them reports what is wrong). A folder
    contributes its transcript files (by suffix); its subfolders only with ``recursive``. Nothing
    is passed over silently except hidden files and the manifest/README: subfolders, other
    suffixes, dangling symlinks, symlink loops, FIFOs and devices are listed in ``skipped``.
    """
    files: list[Path] = []
    skipped: list[Skipped] = []
    visited: set[tuple[int, int]] = set()

    def walk(folder: Path) -> None:
        try:
            st = folder.stat()
            if (st.st_dev, st.st_ino) in visited:
                skipped.append(Skipped(str(folder), "symlink loop (folder already walked)"))
                return
            visited.add((st.st_dev, st.st_ino))
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(str(folder), f"cannot list folder ({exc.strerror or exc})"))
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith(".") or entry.name.lower() in _NOT_TRANSCRIPTS:
                continue
            kind = file_kind(path)
            if kind == "folder":
                if recursive:
                    walk(path)
                else:
                    skipped.append(Skipped(str(path), "subfolder (use --recursive to include)"))
            elif kind != "file":
                skipped.append(Skipped(str(path), kind))
            elif path.suffix.lower() in TRANSCRIPT_SUFFIXES:
                files.append(path)
            else:
                skipped.append(Skipped(str(path), f"not a transcript suffix ({path.suffix})"))

    for p in paths:
        p = Path(p)
        if file_kind(p) == "folder":
            walk(p)
        else:
            files.append(p)
    return files, skipped


def fingerprint(
    raw_text: str,
    meta: SourceMeta,
    chunk_tokens: int,
    overlap: int,
    glossary: Glossary | None = None,
) -> str:
    h = hashlib.sha256()
    h.update(raw_text.encode("utf-8"))
    h.update(repr((PIPELINE_VERSION, chunk_tokens, overlap, meta, meta.roles)).encode())
    if meta.known_as:  # only when given, so that files without names keep their fingerprint
        h.update(repr(meta.known_as).encode())
    h.update(repr(sorted((glossary or {}).items())).encode())
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
    summary: ParseSummary


def source_context(meta: SourceMeta) -> str:
    """ "No Priors with Emad Mostaque, Sarah Guo, Elad Gil", indexed with every chunk. Roles are
    added per chunk (with_roles): in every chunk of a panel they outweigh "speaking: Daphne
    Koller" in BM25."""
    names = [meta.cite_as] + [n for n in (meta.show,) if n and n != meta.cite_as]
    text = " / ".join(names)
    if meta.participants:
        text += " with " + ", ".join(meta.participants)
    return text


def with_roles(chunk: Chunk, meta: SourceMeta) -> Chunk:
    """The chunk, indexed also under the roles of the people speaking in it ("CEO of Cohere"),
    or of everyone in the discussion when its file labels nobody."""
    who = [s for s in chunk.speakers if s in meta.roles] or (
        [] if chunk.speakers else [p for p in meta.participants if p in meta.roles]
    )
    if not who:
        return chunk
    return _with_suffix(chunk, " — roles: " + "; ".join(f"{p}: {meta.roles[p]}" for p in who))


def with_terms(chunk: Chunk, glossary: Glossary) -> Chunk:
    """The chunk, indexed also under the right spellings of the terms it mishears."""
    found = right_spellings_in(chunk.text, glossary)
    if not found:
        return chunk
    return _with_suffix(chunk, " — terms: " + ", ".join(found))


def _with_suffix(chunk: Chunk, suffix: str) -> Chunk:
    """Context added after chunking; the id changes with it, so the vector is re-made."""
    digest = hashlib.sha1(f"{chunk.id}\x00{suffix}".encode()).hexdigest()[:16]
    return replace(chunk, id=f"{chunk.source}#{digest}", context=chunk.context + suffix)


def prepare_chunks(
    path: Path,
    text: str,
    entry: SourceMeta,
    chunk_tokens: int,
    overlap: int,
    glossary: Glossary | None = None,
) -> tuple[SourceMeta, list[Chunk], str, list[str], ParseSummary]:
    parsed = parse_for(text, entry)
    meta = meta_for(path, {entry.file: entry}, parsed)
    chunks = chunk_segments(
        parsed.segments,
        source=meta.file,
        title=meta.title,
        max_tokens=chunk_tokens,
        overlap=overlap,
        context=source_context(meta),
    )
    chunks = [with_roles(c, meta) for c in chunks] if meta.roles else chunks
    chunks = [with_terms(c, glossary) for c in chunks] if glossary else chunks
    flagged = [
        replace(c, flags=(INSTRUCTION_LIKE,)) if instruction_like(c.text) else c for c in chunks
    ]
    return meta, flagged, parsed.format, list(parsed.warnings), summarize(parsed)


def parse_for(text: str, entry: SourceMeta) -> ParseResult:
    """``text`` parsed with its manifest entry: participants, default speaker, label map."""
    return parse_transcript(
        text,
        participants=entry.participants,
        default_speaker=entry.default_speaker,
        aliases=entry.name_map,
    )


def ingest(
    store: Store,
    paths: Sequence[Path],
    *,
    prune: bool = False,
    rebuild: bool = False,
    recursive: bool = False,
    progress: Progress | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    held: WriterLock | None = None,
    replacing: Collection[str] = (),
) -> IngestReport:
    """Index ``paths`` under the data directory's writer lock (see bot/index/lock.py).

    Each file fails alone (named, one line) and the others are indexed. With ``rebuild`` the
    whole index is replaced by exactly these files, but only if every one of them reads and
    parses: the new index is built beside the live one and switched in one transaction.
    ``held``: the caller already holds the lock (it places files first, as an upload does).
    ``replacing``: source names that may come from a new path although their old file still
    exists (an upload's new version, placed beside the old one until it is indexed).
    """
    if held is not None:
        if not held.held or held.path.parent != Path(store.data_dir):
            raise RuntimeError("ingest(held=...) needs this data directory's lock, held")
        return _ingest_locked(
            store, paths, prune=prune, rebuild=rebuild, recursive=recursive,
            progress=progress or Progress(), on_file=on_file, replacing=frozenset(replacing),
        )  # fmt: skip
    with WriterLock(store.data_dir):
        return _ingest_locked(
            store, paths, prune=prune, rebuild=rebuild, recursive=recursive,
            progress=progress or Progress(), on_file=on_file, replacing=frozenset(replacing),
        )  # fmt: skip


def _ingest_locked(
    store: Store,
    paths: Sequence[Path],
    *,
    prune: bool,
    rebuild: bool,
    recursive: bool,
    progress: Progress,
    on_file: Callable[[FileResult], None] | None,
    replacing: frozenset[str] = frozenset(),
) -> IngestReport:
    started = time.perf_counter()
    settings = store.settings
    report = IngestReport()

    def done(result: FileResult) -> None:
        report.files.append(result)
        if on_file:
            on_file(result)

    if rebuild:
        missing = [p for p in paths if not os.path.lexists(p)]
        if missing:
            raise IngestError(
                f"{show_path(missing[0])}: no such file or folder; --rebuild changed nothing"
            )
    report.orphans_removed = recover(store)
    files, report.skipped = expand_paths(paths, recursive=recursive)
    manifests: dict[Path, dict[str, SourceMeta]] = {}
    glossaries: dict[Path, Glossary] = {}
    pending: list[Prepared] = []
    failed: list[FileResult] = []
    seen: dict[str, Path] = {}
    max_bytes = int(settings.index.max_file_mb * 1024 * 1024)

    for path in files:
        result = _prepare_one(
            store, path, manifests, glossaries, seen, max_bytes,
            rebuild=rebuild, replacing=replacing,
        )  # fmt: skip
        if isinstance(result, Prepared):
            pending.append(result)
        elif rebuild and result.status == "failed":
            failed.append(result)  # reported below, once we know the rebuild is abandoned
        else:
            done(result)

    if rebuild and failed:
        for result in failed:
            done(result)
        report.aborted = (
            f"--rebuild abandoned: {len(failed)} of {len(files)} files failed; "
            "the index is unchanged"
        )
        report.seconds = time.perf_counter() - started
        return report

    save_people_and_glossary(store, [p.meta for p in pending], glossaries.values())
    progress.total(sum(len(p.chunks) for p in pending))
    if rebuild:
        _rebuild(store, pending, progress, done)
    else:
        for item in pending:
            done(_commit_one(store, item, progress))

    if prune and not rebuild:
        for rec in store.catalog.sources():
            if not Path(rec.path).exists():
                ids = store.catalog.chunk_ids(rec.source)
                store.catalog.remove_source(rec.source)
                store.vectors.delete(sorted(ids))
                done(FileResult(rec.path, rec.source, "pruned", len(ids)))
    report.seconds = time.perf_counter() - started
    return report


def _prepare_one(
    store: Store,
    path: Path,
    manifests: dict[Path, dict[str, SourceMeta]],
    glossaries: dict[Path, Glossary],
    seen: dict[str, Path],
    max_bytes: int,
    *,
    rebuild: bool,
    replacing: frozenset[str] = frozenset(),
) -> Prepared | FileResult:
    """Read, parse and chunk one file; any failure is this file's alone, as one line."""
    settings = store.settings
    shown = show_path(path)
    try:
        text = read_transcript(path, max_bytes=max_bytes)
        folder = path.resolve().parent
        if folder not in manifests:
            manifests[folder] = load_manifest(folder)
            glossaries[folder] = load_glossary(folder)
        glossary = glossaries[folder]
        entry = manifests[folder].get(path.name) or SourceMeta(file=path.name, title="")
        clash = _name_clash(
            store, path, entry.file, seen, rebuild=rebuild, replacing=entry.file in replacing
        )
        if clash:
            return FileResult(str(path), entry.file, "failed", message=clash)
        index = settings.index
        fp = fingerprint(text, entry, index.chunk_tokens, index.chunk_overlap, glossary)
        existing = None if rebuild else store.catalog.source(entry.file)
        if existing and existing.file_hash == fp:
            ids = store.catalog.chunk_ids(entry.file)
            if len(store.vectors.existing(sorted(ids))) == len(ids):
                if existing.path != str(path.resolve()):  # same file, moved folder
                    store.catalog.set_path(entry.file, str(path.resolve()))
                result = FileResult(
                    str(path), entry.file, "unchanged", existing.n_chunks, existing.format
                )
                return result.add_summary(summarize(parse_for(text, entry)))
        meta, chunks, fmt, warnings, summary = prepare_chunks(
            path, text, entry, settings.index.chunk_tokens, settings.index.chunk_overlap, glossary
        )
    except IngestError as exc:
        message = str(exc) if str(exc).startswith(shown) else f"{shown}: {exc}"
        return FileResult(str(path), path.name, "failed", message=message)
    except (VectorStoreError, StoreLockedError):
        raise
    except Exception as exc:  # a parser bug must cost this file, not the batch
        log.debug("preparing %s failed", shown, exc_info=True)
        return FileResult(
            str(path), path.name, "failed",
            message=f"{shown}: could not be parsed ({type(exc).__name__}: {_short(exc)})",
        )  # fmt: skip
    if not chunks:
        why = f" ({'; '.join(warnings)})" if warnings else ""
        return FileResult(
            str(path), meta.file, "failed", message=f"{shown}: no transcript text found{why}"
        )
    return Prepared(path, meta, chunks, fmt, warnings, fp, existing is not None, summary)


def _name_clash(
    store: Store,
    path: Path,
    name: str,
    seen: dict[str, Path],
    *,
    rebuild: bool,
    replacing: bool = False,
) -> str | None:
    """Sources are identified by file name (citations and --source use it), so two files with
    one name in different folders would overwrite each other: refuse the second, naming both
    (unless the caller says this file is the indexed one's replacement)."""
    here = path.resolve()
    first = seen.setdefault(name, here)
    if first != here:
        return (
            f"{show_path(path)}: another file named {name!r} is in this ingest ({first}); "
            "sources are identified by file name, so rename one of them"
        )
    if rebuild or replacing:
        return None
    existing = store.catalog.source(name)
    if existing and Path(existing.path) != here and Path(existing.path).exists():
        return (
            f"{show_path(path)}: a different file named {name!r} is already indexed from "
            f"{existing.path}; sources are identified by file name, so rename one of them"
        )
    return None


def _record(item: Prepared) -> SourceRecord:
    meta = item.meta
    return SourceRecord(
        source=meta.file,
        path=str(item.path.resolve()),
        file_hash=item.fingerprint,
        title=meta.title,
        label=meta.cite_as,
        show=meta.show,
        date=meta.date,
        participants=tuple(meta.participants),
        url=meta.url,
        format=item.format,
        n_chunks=len(item.chunks),
        ingested_at=time.time(),
    )


def _commit_one(store: Store, item: Prepared, progress: Progress) -> FileResult:
    """Vectors first, then the catalog swap, then stale vectors (see catalog.py)."""
    meta, chunks = item.meta, item.chunks
    vectors = store.vectors
    old_ids = store.catalog.chunk_ids(meta.file)
    have = vectors.existing([c.id for c in chunks])
    todo = [c for c in chunks if c.id not in have]
    progress.advance(len(chunks) - len(todo))
    if todo:
        try:
            texts = [c.index_text for c in todo]
            embedded = store.embedder.embed_documents(texts, progress.advance)
        except EmbeddingError as exc:
            return FileResult(
                str(item.path), meta.file, "failed",
                message=f"{show_path(item.path)}: {exc}",
            )  # fmt: skip
        vectors.upsert(todo, embedded)
    _warm_sentences(store, chunks)
    store.catalog.replace_source(_record(item), chunks)
    stale = old_ids - {c.id for c in chunks}
    if stale:
        vectors.delete(sorted(stale))
    status = "updated" if item.existed else "added"
    result = FileResult(
        str(item.path), meta.file, status, len(chunks), item.format, warnings=item.warnings
    )
    return result.add_summary(item.summary)


def _rebuild(
    store: Store,
    pending: list[Prepared],
    progress: Progress,
    done: Callable[[FileResult], None],
) -> None:
    """Build a whole new set beside the live one, then switch in one catalog transaction."""
    catalog = store.catalog
    live = catalog.live_set
    new = max(catalog.sets() | {live}) + 1
    target = store.vectors_for(new)
    old_name = store.vectors.name
    catalog.set_meta(PENDING, json.dumps({"sset": new, "collection": target.name}))
    results = []
    for item in pending:
        vectors = store.embedder.embed_documents(
            [c.index_text for c in item.chunks], progress.advance
        )
        target.upsert(item.chunks, vectors)
        _warm_sentences(store, item.chunks)
        catalog.replace_source(_record(item), item.chunks, sset=new)
        results.append(
            FileResult(
                str(item.path), item.meta.file, "added", len(item.chunks), item.format,
                warnings=item.warnings,
            ).add_summary(item.summary)
        )  # fmt: skip
    catalog.commit_set(
        new,
        {"embedder": store.embedder.key, RETIRED: json.dumps([old_name])},
        clear=(PENDING,),
    )
    _drop_retired(store)
    for result in results:
        done(result)


def _warm_sentences(store: Store, chunks: Sequence[Chunk]) -> None:
    """Embed the sentences the offline answerer will score (chunks widened as it reads them);
    sentences already cached cost a lookup."""
    texts: list[str] = []
    for i, c in enumerate(chunks):
        before = chunks[i - 1] if i > 0 else None
        after = chunks[i + 1] if i + 1 < len(chunks) else None
        texts.extend(sentence_texts(widen(c, before, after)))
    store.sentences.embed(list(dict.fromkeys(texts)))


def save_people_and_glossary(
    store: Store, metas: Sequence[SourceMeta], glossaries: Iterable[Glossary]
) -> None:
    """Roles, aliases, the discussions' other names and the glossary, for the query side
    (bot/retrieve/people.py, discussions.py, expand.py).

    Kept in the catalog's meta table, per source for people, so searching never reads the seeds
    folder and a source ingested from another folder keeps its own manifest's facts."""
    people = json.loads(store.catalog.get_meta("people") or "{}")
    for meta in metas:
        people[meta.file] = {
            name: {
                "role": meta.roles.get(name, ""),
                "aliases": sorted(a for a, full in meta.name_map.items() if full == name),
            }
            for name in meta.participants
        }
    store.catalog.set_meta("people", json.dumps(people, sort_keys=True))
    names = json.loads(store.catalog.get_meta("discussions") or "{}")
    for meta in metas:
        names[meta.file] = list(meta.known_as)
    store.catalog.set_meta("discussions", json.dumps(names, sort_keys=True))
    merged: dict[str, list[str]] = json.loads(store.catalog.get_meta("glossary") or "{}")
    for glossary in glossaries:
        merged.update({right: list(heard) for right, heard in glossary.items()})
    store.catalog.set_meta("glossary", json.dumps(merged, sort_keys=True))


def recover(store: Store) -> int:
    """Undo what a killed writer left behind; call only under the writer lock.

    A rebuild that died before its switch leaves a set of catalog rows and a collection that were
    never live: both go. One that died after it leaves the old collection: it goes. Vectors in
    the live collection that the catalog does not list (an ingest killed between its vector write
    and its catalog commit) are deleted; returns how many.
    """
    catalog = store.catalog
    raw = catalog.get_meta(PENDING)
    if raw:
        info = json.loads(raw)
        if int(info["sset"]) != catalog.live_set:
            store.vectors.drop_collection(str(info["collection"]))
        catalog.delete_meta(PENDING)
    _drop_retired(store)
    for sset in catalog.sets() - {catalog.live_set}:
        catalog.drop_set(sset)
    return _remove_orphans(store)


def _drop_retired(store: Store) -> None:
    raw = store.catalog.get_meta(RETIRED)
    if not raw:
        return
    live = store.vectors
    for name in json.loads(raw):
        if name != live.name:
            live.drop_collection(name)
    store.catalog.delete_meta(RETIRED)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] or type(exc).__name__


def _remove_orphans(store: Store) -> int:
    """Vectors whose ids the catalog does not list: left by an interrupted ingest."""
    if store.vectors.count() == store.catalog.count_chunks():
        return 0
    orphans = store.vectors.all_ids() - store.catalog.chunk_ids()
    if orphans:
        log.info("removing %d orphaned vectors", len(orphans))
        store.vectors.delete(sorted(orphans))
    return len(orphans)
