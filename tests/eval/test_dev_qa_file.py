"""Schema and verbatim-evidence checks for eval/dev_qa.jsonl."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QA_PATH = ROOT / "eval" / "dev_qa.jsonl"
SEEDS = ROOT / "seeds"

KINDS = {"factual", "paraphrase", "speaker", "multi", "unanswerable"}
KEYS = {"id", "question", "source", "evidence", "kind"}
MIN_TOTAL = 60
MIN_PER_KIND = {"unanswerable": 12, "multi": 4, "paraphrase": 20}
MIN_ANSWERABLE_PER_SOURCE = 6
EVIDENCE_LEN = (40, 250)
SEED_FILES = (
    "000_fda30917f4cc1cf7.txt",
    "001_aff530d4b2c4dde0.txt",
    "002_0a6e188aa2508fc6.txt",
    "003_45c6a50c9d8a6def.txt",
    "004_ec03862bfd892207.txt",
)

# Things that must never be inside an evidence string: they are transcript
# structure, not spoken text.
TIMESTAMP_RE = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?\.\d{3} -->")
SPEAKER_LABEL_RE = re.compile(r"^(?:[A-Z]{1,4}|[A-Z][a-z]+(?: [A-Z][a-zA-Z-]+)*): ")


def _load_rows() -> list[dict]:
    rows = []
    with QA_PATH.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"line {lineno} is not valid JSON: {exc}")
    return rows


ROWS = _load_rows()
ANSWERABLE = [r for r in ROWS if r["kind"] != "unanswerable"]


def _pairs(row: dict) -> list[tuple[str, str]]:
    """(source, evidence) pairs of an answerable row."""
    if row["kind"] == "multi":
        return list(zip(row["source"], row["evidence"], strict=True))
    return [(row["source"], row["evidence"])]


def _seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def test_file_not_empty_and_total_count():
    assert len(ROWS) >= MIN_TOTAL


def test_keys_and_types():
    for row in ROWS:
        assert set(row) == KEYS, row.get("id")
        assert isinstance(row["id"], str)
        assert isinstance(row["question"], str)
        assert row["question"].strip()
        assert "\n" not in row["question"]


def test_ids_unique_and_well_formed():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    for i in ids:
        assert re.fullmatch(r"q\d{3}", i), i


def test_kinds_valid_and_counts():
    counts = Counter(r["kind"] for r in ROWS)
    assert set(counts) <= KINDS, counts
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, (kind, counts[kind])


def test_questions_unique():
    questions = [r["question"].strip().lower() for r in ROWS]
    assert len(questions) == len(set(questions))


def test_unanswerable_rows_have_null_source_and_evidence():
    for row in ROWS:
        if row["kind"] == "unanswerable":
            assert row["source"] is None, row["id"]
            assert row["evidence"] is None, row["id"]


def test_multi_rows_have_two_sources_and_evidences():
    for row in ROWS:
        if row["kind"] == "multi":
            assert isinstance(row["source"], list) and len(row["source"]) == 2, row["id"]
            assert isinstance(row["evidence"], list) and len(row["evidence"]) == 2, row["id"]
            assert row["evidence"][0] != row["evidence"][1], row["id"]
        elif row["kind"] != "unanswerable":
            assert isinstance(row["source"], str), row["id"]
            assert isinstance(row["evidence"], str), row["id"]


def test_sources_exist():
    for row in ANSWERABLE:
        for source, _ in _pairs(row):
            assert "/" not in source, (row["id"], source)
            assert (SEEDS / source).is_file(), (row["id"], source)


@pytest.mark.parametrize("row", ANSWERABLE, ids=[r["id"] for r in ANSWERABLE])
def test_evidence_is_verbatim_single_line(row):
    for source, evidence in _pairs(row):
        assert isinstance(evidence, str)
        assert "\n" not in evidence and "\r" not in evidence, row["id"]
        assert evidence == evidence.strip(), row["id"]
        lo, hi = EVIDENCE_LEN
        assert lo <= len(evidence) <= hi, (row["id"], len(evidence))
        assert not TIMESTAMP_RE.search(evidence), row["id"]
        assert "Starting point is" not in evidence, row["id"]
        assert not SPEAKER_LABEL_RE.match(evidence), row["id"]
        assert evidence[0] not in "-–•*", row["id"]
        text = _seed_text(source)
        assert evidence in text, (row["id"], source, evidence)
        # Lying within one line follows from "no newline in evidence" + substring.
        assert text.count(evidence) == 1, (row["id"], "evidence is not unique in its file")


def test_every_seed_has_enough_answerable_questions():
    per_source: Counter[str] = Counter()
    for row in ANSWERABLE:
        for source in {s for s, _ in _pairs(row)}:
            per_source[source] += 1
    for seed in SEED_FILES:
        assert per_source[seed] >= MIN_ANSWERABLE_PER_SOURCE, (seed, per_source[seed])
