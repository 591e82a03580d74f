"""The catalog: which sources and chunks are live, in one SQLite file under the data directory.

Chroma holds the vectors; the catalog is the source of truth for what is *searchable*. An ingest
writes new vectors first, then swaps a source's chunks here in one transaction, then deletes stale
vectors. A crash at any point leaves the previous state searchable and no duplicates visible (dense
hits are filtered to live ids), and the next ingest removes orphaned vectors.

Rows belong to a *set* (column ``sset``); the ``live`` meta key names the set readers see, and
every read filters on it inside the same statement. ``ingest --rebuild`` writes a whole new set
(with its own Chroma collection) next to the live one and switches ``live`` in one transaction
(:meth:`Catalog.commit_set`), so a kill at any point leaves either the old index or the new one,
never half of each, and the old one stays searchable until the switch.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.records import Chunk, Piece

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    sset INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
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
    ingested_at REAL NOT NULL,
    PRIMARY KEY (sset, source)
);
CREATE TABLE IF NOT EXISTS chunks (
    sset INTEGER NOT NULL DEFAULT 0,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    pieces TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',
    context TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sset, id)
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(sset, source, seq);
"""
# The set readers see, evaluated inside each statement so one read never mixes two sets.
LIVE = "COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key='live'), 0)"
_SOURCE_COLS = (
    "source, path, file_hash, title, label, show, date, participants, url, format, n_chunks, "
    "ingested_at"
)
_CHUNK_COLS = "id, source, seq, title, text, pieces, flags, context"


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
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._migrate()
        self._db.executescript(SCHEMA)

    def _migrate(self) -> None:
        """Stores made before sets existed: move their rows into set 0, in one transaction."""
        cols = {r[1] for r in self._db.execute("PRAGMA table_info(chunks)")}
        if not cols or "sset" in cols:
            return
        with self._db:
            self._db.execute("ALTER TABLE sources RENAME TO sources_v1")
            self._db.execute("ALTER TABLE chunks RENAME TO chunks_v1")
            self._db.execute("DROP INDEX IF EXISTS chunks_source")
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    self._db.execute(stmt)
            self._db.execute(
                f"INSERT INTO sources (sset, {_SOURCE_COLS}) SELECT 0, {_SOURCE_COLS} "
                "FROM sources_v1"
            )
            self._db.execute(
                f"INSERT INTO chunks (sset, {_CHUNK_COLS}) SELECT 0, {_CHUNK_COLS} FROM chunks_v1"
            )
            self._db.execute("DROP TABLE sources_v1")
            self._db.execute("DROP TABLE chunks_v1")

    def close(self) -> None:
        self._db.close()

    # --- meta --------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM meta WHERE key=?", (key,))

    @property
    def generation(self) -> int:
        """Bumped on every committed change, so long-running readers know to reload."""
        return int(self.get_meta("generation") or 0)

    @property
    def live_set(self) -> int:
        """The set of rows (and its Chroma collection) that readers see."""
        return self._db.execute(f"SELECT {LIVE}").fetchone()[0]

    def sets(self) -> set[int]:
        """Every set with rows: the live one, plus leftovers of a rebuild that never committed."""
        return {r[0] for r in self._db.execute("SELECT DISTINCT sset FROM sources")} | {
            r[0] for r in self._db.execute("SELECT DISTINCT sset FROM chunks")
        }

    def commit_set(self, sset: int, meta: dict[str, str], clear: Sequence[str] = ()) -> None:
        """Make ``sset`` live and drop every other set, with ``meta`` written, atomically."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('live', ?)", (str(sset),))
            for key, value in meta.items():
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            for key in clear:
                self._db.execute("DELETE FROM meta WHERE key=?", (key,))
            self._db.execute("DELETE FROM chunks WHERE sset != ?", (sset,))
            self._db.execute("DELETE FROM sources WHERE sset != ?", (sset,))
            self._bump()

    def drop_set(self, sset: int) -> None:
        """Remove a set that is not live (a rebuild that died before its switch)."""
        if sset == self.live_set:
            raise ValueError("refusing to drop the live set")
        with self._db:
            self._db.execute("DELETE FROM chunks WHERE sset=?", (sset,))
            self._db.execute("DELETE FROM sources WHERE sset=?", (sset,))

    # --- sources -----------------------------------------------------------------------------
    def sources(self, sset: int | None = None) -> list[SourceRecord]:
        where, args = self._in(sset)
        rows = self._db.execute(
            f"SELECT {_SOURCE_COLS} FROM sources WHERE {where} ORDER BY source", args
        ).fetchall()
        return [self._source(r) for r in rows]

    def source(self, name: str, sset: int | None = None) -> SourceRecord | None:
        where, args = self._in(sset)
        row = self._db.execute(
            f"SELECT {_SOURCE_COLS} FROM sources WHERE {where} AND source=?", (*args, name)
        ).fetchone()
        return self._source(row) if row else None

    @staticmethod
    def _in(sset: int | None) -> tuple[str, tuple[int, ...]]:
        return (f"sset = {LIVE}", ()) if sset is None else ("sset = ?", (sset,))

    @staticmethod
    def _source(r: tuple) -> SourceRecord:
        return SourceRecord(
            source=r[0], path=r[1], file_hash=r[2], title=r[3], label=r[4], show=r[5], date=r[6],
            participants=tuple(json.loads(r[7])), url=r[8], format=r[9], n_chunks=r[10],
            ingested_at=r[11],
        )  # fmt: skip

    def chunk_ids(self, source: str | None = None, sset: int | None = None) -> set[str]:
        where, args = self._in(sset)
        if source is None:
            return {r[0] for r in self._db.execute(f"SELECT id FROM chunks WHERE {where}", args)}
        return {
            r[0]
            for r in self._db.execute(
                f"SELECT id FROM chunks WHERE {where} AND source=?", (*args, source)
            )
        }

    def count_chunks(self, sset: int | None = None) -> int:
        where, args = self._in(sset)
        return self._db.execute(f"SELECT COUNT(*) FROM chunks WHERE {where}", args).fetchone()[0]

    def iter_chunks(self, sset: int | None = None, ids: set[str] | None = None) -> Iterator[Chunk]:
        where, args = self._in(sset)
        cur = self._db.execute(
            "SELECT id, source, title, text, pieces, flags, context FROM chunks "
            f"WHERE {where} ORDER BY source, seq",
            args,
        )
        for cid, source, title, text, pieces, flags, context in cur:
            if ids is not None and cid not in ids:
                continue
            yield Chunk(
                id=cid,
                source=source,
                title=title,
                text=text,
                pieces=_pieces_from_json(pieces),
                flags=tuple(json.loads(flags)),
                context=context,
            )

    def replace_source(
        self, record: SourceRecord, chunks: Sequence[Chunk], sset: int | None = None
    ) -> None:
        """Swap one source's chunks atomically: readers see the old set or the new, never both."""
        with self._db:
            target = self.live_set if sset is None else sset
            self._db.execute(
                "DELETE FROM chunks WHERE sset=? AND source=?", (target, record.source)
            )
            self._db.executemany(
                f"INSERT OR REPLACE INTO chunks (sset, {_CHUNK_COLS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        target,
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
                f"INSERT OR REPLACE INTO sources (sset, {_SOURCE_COLS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    target, record.source, record.path, record.file_hash, record.title,
                    record.label, record.show, record.date, json.dumps(list(record.participants)),
                    record.url, record.format, len(chunks), record.ingested_at or time.time(),
                ),
            )  # fmt: skip
            if target == self.live_set:
                self._bump()

    def set_path(self, name: str, path: str) -> None:
        """Record where a live source's file now is (its folder was moved; content unchanged)."""
        with self._db:
            self._db.execute(
                f"UPDATE sources SET path=? WHERE sset = {LIVE} AND source=?", (path, name)
            )

    def remove_source(self, name: str) -> None:
        with self._db:
            self._db.execute(f"DELETE FROM chunks WHERE sset = {LIVE} AND source=?", (name,))
            self._db.execute(f"DELETE FROM sources WHERE sset = {LIVE} AND source=?", (name,))
            self._bump()

    def _bump(self) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
