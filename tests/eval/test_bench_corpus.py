"""The bench's synthetic corpus builds (it broke unnoticed when expand_paths changed shape)."""

from __future__ import annotations

from pathlib import Path

from bot.eval.bench import synth_corpus
from bot.index.ingest import expand_paths

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_synthetic_corpus_is_scale_times_the_seeds(tmp_path):
    seeds_bytes = sum(p.stat().st_size for p in expand_paths([SEEDS])[0])
    written = synth_corpus(SEEDS, tmp_path / "x2", 2)
    files = expand_paths([tmp_path / "x2"])[0]
    assert files and written == sum(p.stat().st_size for p in files)
    assert 2 * seeds_bytes <= written < 2 * seeds_bytes + 2000


def test_replica_holds_scale_copies_that_search_like_the_original(seeded_data_dir, tmp_path):
    """The bench's ×N search case: N copies of every passage, under new source names, with
    vectors close to the originals, the people facts carried over; nothing is embedded."""
    from bot.eval.replica import copy_sentence_cache, replicate
    from bot.index.store import Store
    from bot.retrieve.search import Retriever
    from bot.settings import load_settings

    source = Store(load_settings(data_dir=seeded_data_dir, seeds_dir=SEEDS))
    copy_sentence_cache(seeded_data_dir, tmp_path)
    replica = Store(load_settings(data_dir=tmp_path, seeds_dir=SEEDS))
    try:
        n = source.catalog.count_chunks()
        assert replicate(source, replica, 2) == 2 * n == replica.catalog.count_chunks()
        assert replica.vectors.count() == 2 * n
        assert replica.sentences.count() == source.sentences.count()
        hits = Retriever(replica).search("what did the cohere guy say about open source", 5)
        assert hits and all("~" in h.chunk.source for h in hits)
        assert any("Aidan Gomez" in h.chunk.speakers for h in hits)
    finally:
        source.close()
        replica.close()
