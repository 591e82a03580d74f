"""One handle on the index: catalog + Chroma collection + the embedder that made its vectors."""

from __future__ import annotations

from pathlib import Path

from bot.index.catalog import Catalog
from bot.index.embed import Embedder, make_embedder
from bot.index.vectors import VectorStore
from bot.settings import Settings


class StoreMismatchError(Exception):
    """The store was built by another embedding model; searching it would return nonsense."""


class Store:
    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, *, rebuild: bool = False
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.data_dir = Path(settings.data_dir)
        self.catalog = Catalog(self.data_dir / "catalog.sqlite3")
        if rebuild:
            for rec in self.catalog.sources():
                self.catalog.remove_source(rec.source)
        self._check_embedder()
        self.vectors = VectorStore(settings, self.embedder.key)
        if rebuild:
            self.vectors.delete(sorted(self.vectors.all_ids()))

    def _check_embedder(self) -> None:
        stored = self.catalog.get_meta("embedder")
        if stored and stored != self.embedder.key and self.catalog.count_chunks():
            raise StoreMismatchError(
                f"the store in {self.data_dir} was built with embeddings {stored!r} but the "
                f"settings ask for {self.embedder.key!r}; run `panelist ingest --rebuild` or "
                "use the matching PANELIST_EMBEDDING_BACKEND/PANELIST_EMBEDDING_MODEL"
            )
        if stored != self.embedder.key:
            self.catalog.set_meta("embedder", self.embedder.key)

    def close(self) -> None:
        self.catalog.close()
