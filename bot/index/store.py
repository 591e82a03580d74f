"""One handle on the index: catalog + Chroma collection + the embedder that made its vectors.

The Chroma collection is opened lazily and follows the catalog's live set: ``sources`` needs only
the catalog and keeps working while Chroma is down, and a reader that outlives a
``ingest --rebuild`` switches to the new collection the moment the catalog commits it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.errors import PanelistError
from bot.index.catalog import Catalog
from bot.index.embed import Embedder, make_embedder
from bot.index.lock import writer_active
from bot.index.sentences import SentenceVectors
from bot.index.vectors import VectorStore
from bot.settings import Settings


class StoreMismatchError(PanelistError):
    """The store was built by another embedding model; searching it would return nonsense."""


class StoreInconsistentError(PanelistError):
    """The catalog lists passages whose vectors are gone; answers would silently miss them."""


# A start-up check looks at this many catalog ids at most (evenly spaced), so it stays O(1).
_CHECK_SAMPLE = 2000


class Store:
    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, *, rebuild: bool = False
    ) -> None:
        """``rebuild=True`` accepts a store built by another embedder (the rebuild replaces it);
        nothing is deleted here: ``ingest(..., rebuild=True)`` swaps in the new index whole."""
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.index, settings.llm)
        self.data_dir = Path(settings.data_dir)
        self.catalog = Catalog(self.data_dir / "catalog.sqlite3")
        self._vectors: VectorStore | None = None
        self._vlock = threading.Lock()
        # Keyed by embedder and sentence text, so a rebuild with another model never reads them.
        self.sentences = SentenceVectors(self.data_dir / "sentences.sqlite3", self.embedder)
        self._views = 0
        self._retired: list[VectorStore] = []
        if not rebuild:
            self._check_embedder()

    def _check_embedder(self) -> None:
        stored = self.catalog.get_meta("embedder")
        if stored and stored != self.embedder.key and self.catalog.count_chunks():
            raise StoreMismatchError(
                f"the store in {self.data_dir} was built with embeddings {stored!r} but the "
                f"settings ask for {self.embedder.key!r}; run `panelist ingest --rebuild` or "
                "use the matching PANELIST_EMBEDDING_BACKEND/PANELIST_EMBEDDING_MODEL"
            )
        if stored != self.embedder.key and not self.catalog.count_chunks():
            self.catalog.set_meta("embedder", self.embedder.key)

    @property
    def vectors(self) -> VectorStore:
        """The live set's collection (reopened when a rebuild has switched sets)."""
        live = self.catalog.live_set
        current = self._vectors
        if current is not None and current.sset == live:
            return current
        with self._vlock:
            if self._vectors is None or self._vectors.sset != live:
                key = self.catalog.get_meta("embedder") or self.embedder.key
                view = 0
                if self._vectors is not None:  # a rebuild switched sets: open it fresh, as below
                    self._retired.append(self._vectors)
                    self._views += 1
                    view = self._views
                self._vectors = VectorStore(self.settings.index, key, live, view=view)
            return self._vectors

    def refresh_vectors(self) -> None:
        """Reopen the collection so this process sees vectors other processes committed.

        A long-running reader (the bot, the REPL) calls this when the catalog generation moves:
        an embedded Chroma client never sees vectors another process adds after it loaded a
        collection, so without this, dense search would miss every passage ingested since the
        bot started. The previous client is kept until the next refresh, as a query may still be
        using it. With a Chroma server nothing is cached client-side and nothing is reopened.
        """
        if self.settings.index.chroma_host:
            return
        with self._vlock:
            if self._vectors is None:
                return
            self._views += 1
            key = self.catalog.get_meta("embedder") or self.embedder.key
            fresh = VectorStore(self.settings.index, key, self.catalog.live_set, view=self._views)
            while self._retired:
                self._retired.pop().close()
            self._retired.append(self._vectors)
            self._vectors = fresh

    def vectors_for(self, sset: int) -> VectorStore:
        """A collection for a set that is being built (not live yet)."""
        return VectorStore(self.settings.index, self.embedder.key, sset)

    def check_vectors(self) -> None:
        """Raise StoreInconsistentError when the catalog lists passages Chroma does not hold.

        Used at start-up by ``ask``, the REPL and the bot, so a deleted or emptied vector store
        is reported instead of every question being answered "not covered". Cheap: a count, then
        an existence check of at most ``_CHECK_SAMPLE`` evenly spaced ids. An ingest in flight
        legitimately differs for a moment, so the check is skipped while one holds the lock.
        """
        listed = self.catalog.count_chunks()
        if not listed or writer_active(self.data_dir):
            return
        vectors = self.vectors
        held = vectors.count()
        missing = 0
        if held >= listed:
            ids = sorted(self.catalog.chunk_ids())
            step = max(1, len(ids) // _CHECK_SAMPLE)
            sample = ids[::step]
            missing = len(sample) - len(vectors.existing(sample))
        if held < listed or missing:
            what = f"holds {held} vectors for {listed} indexed passages"
            if held >= listed:
                what = f"lacks vectors for indexed passages ({missing} of {len(sample)} checked)"
            raise StoreInconsistentError(
                f"the vector store ({vectors.where}) {what}; answers would miss them. "
                "Run `panelist doctor --repair` (or `panelist ingest --rebuild`)"
            )

    def close(self) -> None:
        for old in [*self._retired, *([self._vectors] if self._vectors else [])]:
            old.close()
        self._retired.clear()
        self.catalog.close()
        self.sentences.close()
