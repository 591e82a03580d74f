"""Compare chunk sizes and overlaps with the retrieval eval (the table in docs/retrieval.md).

    .venv/bin/python scripts/sweep_chunking.py [--qa eval/dev_qa.jsonl] [--sizes 96,128,160,224]

Each configuration is ingested into its own temporary data directory (the ONNX model export is
shared), then evaluated with `panelist eval retrieval`. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(sizes: list[int], overlaps: list[int], qa: str, k: int) -> list[dict]:
    rows = []
    for size in sizes:
        for overlap in overlaps:
            with tempfile.TemporaryDirectory(prefix="panelist-sweep-") as data:
                env = dict(
                    os.environ, PANELIST_CHUNK_TOKENS=str(size), PANELIST_CHUNK_OVERLAP=str(overlap)
                )
                cli = [sys.executable, "-m", "bot"]
                t = time.perf_counter()
                ing = subprocess.run(
                    [*cli, "ingest", "--data-dir", data, "--json"],
                    env=env, cwd=ROOT, check=True, capture_output=True, text=True,
                )  # fmt: skip
                seconds = time.perf_counter() - t
                chunks = sum(f["chunks"] for f in json.loads(ing.stdout)["files"])
                out = subprocess.run(
                    [*cli, "eval", "retrieval", "--qa", qa, "-k", str(k), "--data-dir", data,
                     "--json"],
                    env=env, cwd=ROOT, check=True, capture_output=True, text=True,
                )  # fmt: skip
                res = json.loads(out.stdout)["modes"]
                rows.append(
                    {"size": size, "overlap": overlap, "chunks": chunks, "ingest_s": seconds}
                    | {f"{m}_recall": res[m]["recall"] for m in res}
                    | {f"{m}_mrr": res[m]["mrr"] for m in res}
                )
                print(rows[-1], file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", default="eval/dev_qa.jsonl")
    ap.add_argument("--sizes", default="96,128,160,224")
    ap.add_argument("--overlaps", default="0,1,2")
    ap.add_argument("-k", type=int, default=5)
    a = ap.parse_args()
    rows = run(
        [int(x) for x in a.sizes.split(",")], [int(x) for x in a.overlaps.split(",")], a.qa, a.k
    )
    print(f"| tokens | overlap (segments) | chunks | dense R@{a.k} | BM25 R@{a.k} | hybrid R@{a.k} "
          "| hybrid MRR | ingest s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['size']} | {r['overlap']} | {r['chunks']} | {r['dense_recall']:.3f} "
            f"| {r['lexical_recall']:.3f} | {r['hybrid_recall']:.3f} | {r['hybrid_mrr']:.3f} "
            f"| {r['ingest_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
