"""What the bot must remember across a restart: conversation memory and cooldowns, in SQLite.

Why SQLite: a deploy restarts the bot, and a follow-up asked a minute later ("and why does he
think so?") should still be understood, while a restart must not reset everyone's cooldown. One
file under the data directory (``PANELIST_DISCORD_STATE_FILE``, default
``<data dir>/discord_state.sqlite3``) survives that, and several shard processes on one machine
could open the same file (WAL mode; each write is one short transaction). Both tables are
bounded: turns per conversation, conversations overall (least recently used dropped), and
cooldown rows older than the cooldown itself.

The calls are small indexed reads and single-row writes (well under a millisecond), made on the
event loop like the in-memory versions they replace; they have the same methods
(``bot.answer.conversation.Conversations``, ``limits.Cooldown``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bot.answer.prompts import Turn
from bot.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (conversation, seq)
);
CREATE INDEX IF NOT EXISTS turns_at ON turns (at);
CREATE TABLE IF NOT EXISTS cooldowns (user_id INTEGER PRIMARY KEY, last REAL NOT NULL);
"""


def state_path(settings: Settings) -> Path:
    return settings.discord_state_file or settings.data_dir / "discord_state.sqlite3"


class StateDB:
    """One connection to the state file, shared by the stores below."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        self.conn.close()


class SqliteConversations:
    """``Conversations`` kept in SQLite: the last ``max_turns`` per key, ``max_conversations``."""

    def __init__(self, db: StateDB, max_turns: int = 6, max_conversations: int = 2000) -> None:
        self.db = db
        self.max_turns = max_turns
        self.max_conversations = max_conversations

    def history(self, key: str) -> list[Turn]:
        rows = self.db.conn.execute(
            "SELECT question, answer FROM turns WHERE conversation = ? ORDER BY seq DESC LIMIT ?",
            (key, self.max_turns),
        ).fetchall()
        return [Turn(q, a) for q, a in reversed(rows)]

    def add(self, key: str, question: str, answer: str) -> None:
        conn = self.db.conn
        with _transaction(conn):
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM turns WHERE conversation = ?", (key,)
            ).fetchone()
            conn.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                (key, last + 1, question, answer, time.time()),
            )
            conn.execute(
                "DELETE FROM turns WHERE conversation = ? AND seq <= ?",
                (key, last + 1 - self.max_turns),
            )
            (count,) = conn.execute("SELECT COUNT(DISTINCT conversation) FROM turns").fetchone()
            if count > self.max_conversations:
                conn.execute(
                    "DELETE FROM turns WHERE conversation IN (SELECT conversation FROM turns "
                    "GROUP BY conversation ORDER BY MAX(at) LIMIT ?)",
                    (count - self.max_conversations,),
                )

    def reset(self, key: str) -> None:
        self.db.conn.execute("DELETE FROM turns WHERE conversation = ?", (key,))


class SqliteCooldown:
    """``Cooldown`` kept in SQLite, on the wall clock so it means the same after a restart."""

    def __init__(self, db: StateDB, seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.seconds = seconds
        self._clock = clock

    def retry_after(self, user_id: int) -> float:
        row = self.db.conn.execute(
            "SELECT last FROM cooldowns WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is None:
            return 0.0
        return max(0.0, self.seconds - (self._clock() - row[0]))

    def start(self, user_id: int) -> None:
        now = self._clock()
        conn = self.db.conn
        with _transaction(conn):
            conn.execute("INSERT OR REPLACE INTO cooldowns VALUES (?, ?)", (user_id, now))
            conn.execute("DELETE FROM cooldowns WHERE last < ?", (now - self.seconds,))


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
