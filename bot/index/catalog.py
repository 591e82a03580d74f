"""The catalog: which sources and chunks are live, in one SQLite file under the data directory.

Chroma holds the vectors; the catalog is the source of truth for what is *searchable*. An ingest
writes new vectors first, then swaps a source's chunks here in one transaction, then deletes stale
vectors. A crash at any point leaves the previous state searchable and no duplicates visible (dense
hits are filtered to live ids), and the next ingest removes orphaned vectors.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.chunk_types import Chunk, Piece

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    label TEXT NOT NULL,
    show TEXT,
    date TEXT,
    participants TEXT NOT NULL DEFAULT '[]',
    url TEXT,
    format TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    pieces TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',
    context TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source, seq);
"""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    source: str
    path: str
    file_hash: str
    title: str
    label: str  # short name for footnotes
    show: str | None
    date: str | None
    participants: tuple[str, ...]
    url: str | None
    format: str
    n_chunks: int
    ingested_at: float


def _pieces_to_json(pieces: Sequence[Piece]) -> str:
    return json.dumps(
        [[p.offset, p.char_start, p.length, p.start, p.end, p.speaker] for p in pieces],
        separators=(",", ":"),
    )


def _pieces_from_json(raw: str) -> tuple[Piece, ...]:
    return tuple(Piece(*row) for row in json.loads(raw))


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- meta --------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped on every committed change, so long-running readers know to reload."""
        return int(self.get_meta("generation") or 0)

    # --- sources -----------------------------------------------------------------------------
    def sources(self) -> list[SourceRecord]:
        rows = self._db.execute("SELECT * FROM sources ORDER BY source").fetchall()
        return [self._source(r) for r in rows]

    def source(self, name: str) -> SourceRecord | None:
        row = self._db.execute("SELECT * FROM sources WHERE source=?", (name,)).fetchone()
        return self._source(row) if row else None

    @staticmethod
    def _source(r: tuple) -> SourceRecord:
        return SourceRecord(
            source=r[0], path=r[1], file_hash=r[2], title=r[3], label=r[4], show=r[5], date=r[6],
            participants=tuple(json.loads(r[7])), url=r[8], format=r[9], n_chunks=r[10],
            ingested_at=r[11],
        )  # fmt: skip

    def chunk_ids(self, source: str | None = None) -> set[str]:
        if source is None:
            return {r[0] for r in self._db.execute("SELECT id FROM chunks")}
        return {r[0] for r in self._db.execute("SELECT id FROM chunks WHERE source=?", (source,))}

    def count_chunks(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def iter_chunks(self) -> Iterator[Chunk]:
        cur = self._db.execute(
            "SELECT id, source, title, text, pieces, flags, context FROM chunks "
            "ORDER BY source, seq"
        )
        for cid, source, title, text, pieces, flags, context in cur:
            yield Chunk(
                id=cid,
                source=source,
                title=title,
                text=text,
                pieces=_pieces_from_json(pieces),
                flags=tuple(json.loads(flags)),
                context=context,
            )

    def replace_source(self, record: SourceRecord, chunks: Sequence[Chunk]) -> None:
        """Swap one source's chunks atomically: readers see the old set or the new, never both."""
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE source=?", (record.source,))
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.id,
                        c.source,
                        i,
                        c.title,
                        c.text,
                        _pieces_to_json(c.pieces),
                        json.dumps(list(c.flags)),
                        c.context,
                    )
                    for i, c in enumerate(chunks)
                ],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.source, record.path, record.file_hash, record.title, record.label,
                    record.show,
                    record.date, json.dumps(list(record.participants)), record.url, record.format,
                    len(chunks), record.ingested_at or time.time(),
                ),
            )  # fmt: skip
            self._bump()

    def remove_source(self, name: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE source=?", (name,))
            self._db.execute("DELETE FROM sources WHERE source=?", (name,))
            self._bump()

    def _bump(self) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
