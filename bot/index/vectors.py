"""Chroma, embedded (``PersistentClient`` under the data dir) or a server (``CHROMA_HOST``).

Every call goes through :meth:`VectorStore._call`, so a dead server or a damaged store surfaces as
one ``VectorStoreError`` line that names Chroma and where it is, never as a bare ``ConnectError``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bot.errors import PanelistError
from bot.index.embed import collection_name
from bot.records import Chunk, speaker_key
from bot.settings import IndexSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
# Chroma's HNSW index is approximate, and for a query far from every passage (a short question
# is) its default search list (ef 100) misses some of the nearest ones, differently in each
# process that rebuilds the graph: 20 of 275 tuning questions had a wrong dense top 30, so a
# question could rank differently on two runs. HNSW searches at least as wide as the number of
# results asked for, so every query asks for this many and keeps the first n: exact up to that
# many passages (the seeds have 421; 200 still missed some), closer at any size, for about a
# millisecond at most (docs/retrieval.md).
CANDIDATES = 500

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class VectorStoreError(PanelistError):
    """Chroma is unreachable or unusable; one line for the user."""


@dataclass(frozen=True, slots=True)
class DenseMatch:
    id: str
    similarity: float  # cosine similarity, 1 = identical direction


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": chunk.source}
    if chunk.speakers:
        meta["speakers"] = [speaker_key(s) for s in chunk.speakers]
    if chunk.flags:
        meta["flags"] = list(chunk.flags)
    return meta


def set_collection_name(embedder_key: str, sset: int) -> str:
    """Set 0 keeps the historical name; a rebuilt set gets its own collection beside it."""
    base = collection_name(embedder_key)
    return base if sset == 0 else f"{base}-g{sset}"


def where_clause(
    source: str | None, speaker: str | None, allowed: Collection[str] | None = None
) -> dict[str, Any] | None:
    """Chroma's ``where`` for the filters; ``allowed`` (a server's visible sources) narrows the
    search to those sources, whatever else is asked."""
    parts: list[dict[str, Any]] = []
    if source:
        parts.append({"source": source})
    if allowed is not None:
        parts.append({"source": {"$in": sorted(allowed)}})
    if speaker:
        parts.append({"speakers": {"$contains": speaker_key(speaker)}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


class VectorStore:
    def __init__(
        self, settings: IndexSettings, embedder_key: str, sset: int = 0, *, view: int = 0
    ) -> None:
        """``view`` > 0 opens the embedded store through a client of its own (see
        :meth:`bot.index.store.Store.refresh_vectors`); 0 shares the process-wide client."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_host:
                self.where = f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                self._client = chromadb.HttpClient(
                    host=settings.chroma_host,
                    port=settings.chroma_port,
                    ssl=settings.chroma_ssl,
                    settings=chroma_settings,
                )
            else:
                path = Path(settings.data_dir) / "chroma"
                self.where = f"embedded Chroma at {path}"
                path.mkdir(parents=True, exist_ok=True)
                # Chroma keeps one client per path string per process, and that client's index
                # never sees vectors other processes add later; "<path>/./…" is the same folder
                # under a new name, so a fresh client that loads what is on disk now.
                self.identity = str(path) + "/." * view
                self._client = chromadb.PersistentClient(
                    path=self.identity, settings=chroma_settings
                )
            self.name = set_collection_name(embedder_key, sset)
            self.sset = sset
            self._col = self._client.get_or_create_collection(
                self.name,
                metadata={"hnsw:space": "cosine", "embedder": embedder_key},
                embedding_function=None,
            )
        except Exception as exc:  # chromadb raises many types (httpx, ValueError, its own)
            raise VectorStoreError(
                f"cannot open {self._describe(settings)}: {_short(exc)}"
            ) from None
        self._max_batch = max(1, min(self._call(self._client.get_max_batch_size), 2000))

    def close(self) -> None:
        """Stop a private client (``view`` > 0); the shared one lives as long as the process."""
        identity = getattr(self, "identity", None)
        if identity is None or not identity.endswith("/."):
            return
        try:
            from chromadb.api.shared_system_client import SharedSystemClient

            system = SharedSystemClient._identifier_to_system.pop(identity, None)
            if system is not None:
                system.stop()
        except Exception:  # best effort: a leaked client only costs memory
            log.debug("could not stop a Chroma client", exc_info=True)

    def _call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        try:
            return fn(*args, **kw)
        except VectorStoreError:
            raise
        except Exception as exc:  # httpx, sqlite, chromadb's own: all mean "Chroma failed"
            log.debug("chroma call failed", exc_info=True)
            raise VectorStoreError(f"{self.where} failed: {_short(exc)}") from None

    def drop_collection(self, name: str) -> bool:
        """Delete a whole collection (a retired or abandoned set); False if it did not exist."""
        if name == self.name:
            raise ValueError("refusing to drop the collection in use")
        try:
            self._call(self._client.delete_collection, name)
        except VectorStoreError as exc:
            if "does not exist" in str(exc) or "not found" in str(exc).lower():
                return False
            raise
        return True

    @staticmethod
    def _describe(settings: IndexSettings) -> str:
        if settings.chroma_host:
            return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
        return f"the embedded Chroma store under {settings.data_dir}"

    def count(self) -> int:
        return self._call(self._col.count)

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            got = self._call(self._col.get, include=[], limit=5000, offset=offset)["ids"]
            ids.update(got)
            if len(got) < 5000:
                return ids
            offset += len(got)

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), self._max_batch):
            part = chunks[i : i + self._max_batch]
            self._call(
                self._col.upsert,
                ids=[c.id for c in part],
                embeddings=vectors[i : i + len(part)],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def existing(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), self._max_batch):
            part = list(ids[i : i + self._max_batch])
            found.update(self._call(self._col.get, ids=part, include=[])["ids"])
        return found

    def embeddings(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``ids``, in that order (KeyError for one not stored)."""
        by_id: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), self._max_batch):
            got = self._call(self._col.get, ids=list(ids[i : i + self._max_batch]),
                             include=["embeddings"])  # fmt: skip
            for cid, v in zip(got["ids"], got["embeddings"], strict=True):
                by_id[cid] = np.asarray(v, dtype=np.float32)
        return np.stack([by_id[c] for c in ids]) if ids else np.zeros((0, 0), dtype=np.float32)

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), self._max_batch):
            self._call(self._col.delete, ids=ids[i : i + self._max_batch])

    def query(
        self,
        vector: np.ndarray,
        n: int,
        *,
        source: str | None = None,
        speaker: str | None = None,
        allowed: Collection[str] | None = None,
    ) -> list[DenseMatch]:
        total = self.count()
        if total == 0 or (allowed is not None and not allowed):
            return []
        res = self._call(
            self._col.query,
            query_embeddings=[vector],
            n_results=min(max(n, CANDIDATES), total),
            where=where_clause(source, speaker, allowed),
            include=["distances"],
        )
        return [
            DenseMatch(id=i, similarity=1.0 - float(d))
            for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ][:n]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
