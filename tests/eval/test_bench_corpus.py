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
