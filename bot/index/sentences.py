"""Sentence vectors, computed once and kept: sha1(model, sentence) → MiniLM vector.

The offline answerer compares the question with every candidate sentence. Embedding ~100
sentences per answer took most of its 0.8 s on the 2-core machine; reading them back from SQLite
takes milliseconds. Ingest fills the cache for every sentence of every chunk; a sentence not
there (a persona-restricted passage, a store from before this cache) is embedded and added.
Vectors are keyed by content, so re-ingesting, overlap and duplicated files cost nothing.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.index.embed import Embedder

log = logging.getLogger(__name__)


QUESTIONS_KEPT = 64  # recent questions' vectors, in memory only: search and answer share one


class SentenceVectors:
    def __init__(self, path: Path, embedder: Embedder) -> None:
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL)")

    def _key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self.embedder.key}\x00{text}".encode()).digest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts`` (float32, one row each), from the cache where present."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            unique = list(dict.fromkeys(keys))
            for i in range(0, len(unique), 500):
                part = unique[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part)
                for k, v in rows:
                    found[k] = np.frombuffer(v, dtype=np.float16).astype(np.float32)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            vectors = self.embedder.embed_documents(missing)
            rows = []
            for t, v in zip(missing, vectors, strict=True):
                k = self._key(t)
                found[k] = np.asarray(v, dtype=np.float32)
                rows.append((k, np.asarray(v, dtype=np.float16).tobytes()))
            try:
                with self._lock, self._db:
                    self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
            except sqlite3.Error as exc:  # a read-only or full disk costs speed, not answers
                log.info("sentence vector cache not updated (%s)", exc)
        return np.stack([found[k] for k in keys])

    def question_first(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``[question, *sentences]``: the sentences from the cache, the question
        embedded afresh and never stored (users' questions are not the corpus, and would grow
        the cache without bound)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        question = self.query(texts[0])[None, :]
        if len(texts) == 1:
            return question
        return np.vstack([question, self.embed(texts[1:])])

    def query(self, text: str) -> np.ndarray:
        """A question's vector; the last QUESTIONS_KEPT are kept in memory (never on disk), so
        the answerer does not embed again what retrieval just embedded."""
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit
        vec = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        with self._lock:
            self._recent[text] = vec
            while len(self._recent) > QUESTIONS_KEPT:
                self._recent.popitem(last=False)
        return vec

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM vec").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
