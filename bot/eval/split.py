"""The dev set's tuning/test split: thresholds and weights are fitted on one part only.

Every figure reached on the questions the code was tuned on overstates what a new question gets
(docs/retrieval.md). The split is a pure function of the question ids (a hash, not a random
seed), stratified by kind, so it is the same on every machine and a question never changes side
when others are added. Run ``python -m bot.eval.split`` after editing ``eval/dev_qa.jsonl`` or
``eval/tune_unanswerable.jsonl`` to rewrite ``eval/dev_tune.jsonl`` and ``eval/dev_test.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TEST_SHARE = 0.3
EVAL = Path(__file__).resolve().parents[2] / "eval"
DEV = EVAL / "dev_qa.jsonl"
EXTRA_TUNE = EVAL / "tune_unanswerable.jsonl"  # unanswerable near-misses, tuning only
TUNE = EVAL / "dev_tune.jsonl"
TEST = EVAL / "dev_test.jsonl"

Row = dict[str, Any]


def _key(row: Row) -> str:
    return hashlib.sha256(f"panelist-split:{row['id']}".encode()).hexdigest()


def split(rows: Sequence[Row], test_share: float = TEST_SHARE) -> tuple[list[Row], list[Row]]:
    """(tune, test), each in the input order; per kind, the ``test_share`` of rows with the
    smallest id hash go to test (rounded to the nearest row, at least one when a kind has 2+)."""
    test_ids: set[str] = set()
    for kind in sorted({r["kind"] for r in rows}):
        same = sorted((r for r in rows if r["kind"] == kind), key=_key)
        n = round(len(same) * test_share)
        if len(same) >= 2:
            n = max(n, 1)
        test_ids.update(r["id"] for r in same[:n])
    tune = [r for r in rows if r["id"] not in test_ids]
    test = [r for r in rows if r["id"] in test_ids]
    return tune, test


def read_rows(path: Path) -> list[Row]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def render(rows: Sequence[Row]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def expected_files() -> dict[Path, str]:
    """What eval/dev_tune.jsonl and eval/dev_test.jsonl must contain."""
    tune, test = split(read_rows(DEV))
    return {TUNE: render([*tune, *read_rows(EXTRA_TUNE)]), TEST: render(test)}


def main() -> int:
    for path, text in expected_files().items():
        path.write_text(text, encoding="utf-8")
        print(f"{path.name}: {text.count(chr(10))} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
