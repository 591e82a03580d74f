"""Schema and verbatim-evidence checks for eval/dev_qa.jsonl and eval/hard_qa.jsonl, and the
row rules every blind-written set shares (test_qa, tune_blind, tune_blind2).

dev_qa.jsonl is worded the way Discord users ask; hard_qa.jsonl keeps the
original adversarial paraphrases (same ids, sources and evidence). Both files
get the same schema and evidence checks; only the dev file is also checked for
copying a run of words from its evidence.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QA_PATH = ROOT / "eval" / "dev_qa.jsonl"
HARD_QA_PATH = ROOT / "eval" / "hard_qa.jsonl"
QA_FILES = {"dev": QA_PATH, "hard": HARD_QA_PATH}
# The blind-written sets (eval/README.md) follow the same row rules, with four more kinds and
# their own id prefixes.
BLIND_FILES = {
    "test_qa": (ROOT / "eval" / "test_qa.jsonl", r"t[ab]\d{3}"),
    "tune_blind": (ROOT / "eval" / "tune_blind.jsonl", r"tu\d{3}"),
    "tune_blind2": (ROOT / "eval" / "tune_blind2.jsonl", r"tw\d{3}"),
}
ID_PATTERN = {"dev": r"q\d{3}", "hard": r"q\d{3}"} | {n: p for n, (_, p) in BLIND_FILES.items()}
SEEDS = ROOT / "seeds"

KINDS = {"factual", "paraphrase", "speaker", "multi", "unanswerable"}
BLIND_KINDS = KINDS | {"role", "short", "followup", "typo"}
KEYS = {"id", "question", "source", "evidence", "kind"}
MIN_TOTAL = 60
MIN_PER_KIND = {"unanswerable": 12, "multi": 4, "paraphrase": 20}
MIN_ANSWERABLE_PER_SOURCE = 6
EVIDENCE_LEN = (40, 250)
# A dev question may not repeat this many consecutive words of its evidence.
MAX_COPIED_RUN = 6
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


def _load_rows(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"line {lineno} is not valid JSON: {exc}")
    return rows


ROWS_BY_FILE = {name: _load_rows(path) for name, path in QA_FILES.items()} | {
    name: _load_rows(path) for name, (path, _) in BLIND_FILES.items()
}
ROWS = ROWS_BY_FILE["dev"]
ANSWERABLE_CASES = [
    (name, row)
    for name, rows in ROWS_BY_FILE.items()
    for row in rows
    if row["kind"] != "unanswerable"
]
WORD_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

# Every schema test runs once per file.
qa_file = pytest.mark.parametrize("rows", list(ROWS_BY_FILE.values()), ids=list(ROWS_BY_FILE))
named_qa_file = pytest.mark.parametrize(
    ("name", "rows"), list(ROWS_BY_FILE.items()), ids=list(ROWS_BY_FILE)
)


def _pairs(row: dict) -> list[tuple[str, str]]:
    """(source, evidence) pairs of an answerable row."""
    if row["kind"] == "multi":
        return list(zip(row["source"], row["evidence"], strict=True))
    return [(row["source"], row["evidence"])]


def _seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


@qa_file
def test_file_not_empty_and_total_count(rows):
    assert len(rows) >= MIN_TOTAL


@qa_file
def test_keys_and_types(rows):
    for row in rows:
        assert set(row) == KEYS, row.get("id")
        assert isinstance(row["id"], str)
        assert isinstance(row["question"], str)
        assert row["question"].strip()
        assert "\n" not in row["question"]


@named_qa_file
def test_ids_unique_and_well_formed(name, rows):
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    for i in ids:
        assert re.fullmatch(ID_PATTERN[name], i), i


@named_qa_file
def test_kinds_valid_and_counts(name, rows):
    counts = Counter(r["kind"] for r in rows)
    assert set(counts) <= (KINDS if name in QA_FILES else BLIND_KINDS), counts
    if name not in QA_FILES:
        assert counts["unanswerable"] >= 15, counts  # issue 9: at least 15 near-misses a set
        return
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, (kind, counts[kind])


@qa_file
def test_questions_unique(rows):
    questions = [r["question"].strip().lower() for r in rows]
    assert len(questions) == len(set(questions))


@qa_file
def test_unanswerable_rows_have_null_source_and_evidence(rows):
    for row in rows:
        if row["kind"] == "unanswerable":
            assert row["source"] is None, row["id"]
            assert row["evidence"] is None, row["id"]


@qa_file
def test_multi_rows_have_two_sources_and_evidences(rows):
    for row in rows:
        if row["kind"] == "multi":
            assert isinstance(row["source"], list) and len(row["source"]) == 2, row["id"]
            assert isinstance(row["evidence"], list) and len(row["evidence"]) == 2, row["id"]
            assert row["evidence"][0] != row["evidence"][1], row["id"]
        elif row["kind"] != "unanswerable":
            assert isinstance(row["source"], str), row["id"]
            assert isinstance(row["evidence"], str), row["id"]


@qa_file
def test_sources_exist(rows):
    for row in rows:
        if row["kind"] == "unanswerable":
            continue
        for source, _ in _pairs(row):
            assert "/" not in source, (row["id"], source)
            assert (SEEDS / source).is_file(), (row["id"], source)


@pytest.mark.parametrize(
    ("qa_name", "row"),
    ANSWERABLE_CASES,
    ids=[f"{name}-{row['id']}" for name, row in ANSWERABLE_CASES],
)
def test_evidence_is_verbatim_single_line(qa_name, row):
    for source, evidence in _pairs(row):
        assert isinstance(evidence, str)
        assert "\n" not in evidence and "\r" not in evidence, row["id"]
        assert evidence == evidence.strip(), row["id"]
        text = _seed_text(source)
        assert evidence in text, (row["id"], source, evidence)
        # Lying within one line follows from "no newline in evidence" + substring.
        assert text.count(evidence) == 1, (row["id"], "evidence is not unique in its file")
        if qa_name not in QA_FILES:
            continue  # the blind writers' spans may be shorter, or a notes line's whole bullet
        lo, hi = EVIDENCE_LEN
        assert lo <= len(evidence) <= hi, (row["id"], len(evidence))
        assert not TIMESTAMP_RE.search(evidence), row["id"]
        assert "Starting point is" not in evidence, row["id"]
        assert not SPEAKER_LABEL_RE.match(evidence), row["id"]
        assert evidence[0] not in "-–•*", row["id"]


@qa_file
def test_every_seed_has_enough_answerable_questions(rows):
    per_source: Counter[str] = Counter()
    for row in rows:
        if row["kind"] == "unanswerable":
            continue
        for source in {s for s, _ in _pairs(row)}:
            per_source[source] += 1
    for seed in SEED_FILES:
        assert per_source[seed] >= MIN_ANSWERABLE_PER_SOURCE, (seed, per_source[seed])


def test_hard_file_matches_dev_except_questions():
    """hard_qa.jsonl is the same set (ids, sources, evidence, kinds), only worded differently."""
    dev = {r["id"]: r for r in ROWS_BY_FILE["dev"]}
    hard = {r["id"]: r for r in ROWS_BY_FILE["hard"]}
    assert set(dev) == set(hard)
    for qid, row in dev.items():
        for key in ("source", "evidence", "kind"):
            assert row[key] == hard[qid][key], (qid, key)


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def _copied_run(question: str, evidence: str, n: int = MAX_COPIED_RUN) -> list[str] | None:
    """The first run of n consecutive question words that also occurs in evidence."""
    ev = _words(evidence)
    grams = {tuple(ev[i : i + n]) for i in range(len(ev) - n + 1)}
    q = _words(question)
    for i in range(len(q) - n + 1):
        if tuple(q[i : i + n]) in grams:
            return q[i : i + n]
    return None


def test_copied_run_helper():
    evidence = "we will have better code models than copilot."
    assert _copied_run("When will Stability have BETTER code models than Copilot?", evidence)
    assert _copied_run("when will its code models beat copilot?", evidence) is None


@pytest.mark.parametrize(
    "row",
    [r for r in ROWS if r["kind"] != "unanswerable"],
    ids=[r["id"] for r in ROWS if r["kind"] != "unanswerable"],
)
def test_dev_question_does_not_copy_evidence(row):
    for _, evidence in _pairs(row):
        run = _copied_run(row["question"], evidence)
        assert run is None, (row["id"], " ".join(run))


# --- the tuning/test split (bot/eval/split.py) ----------------------------------------------
def test_split_files_are_what_the_split_rule_gives():
    """eval/dev_tune.jsonl and eval/dev_test.jsonl are regenerated, never hand-edited: a row
    moved by hand from test to tune would silently turn a held-out figure into a tuned one."""
    from bot.eval.split import expected_files

    for path, text in expected_files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run python -m bot.eval.split"
        )


def test_split_is_disjoint_covers_dev_and_is_stratified():
    from bot.eval.split import TEST, TUNE, read_rows

    tune, test = read_rows(TUNE), read_rows(TEST)
    dev_ids = {r["id"] for r in ROWS}
    test_ids = {r["id"] for r in test}
    tune_dev_ids = {r["id"] for r in tune} & dev_ids
    assert not test_ids & tune_dev_ids
    assert test_ids | tune_dev_ids == dev_ids
    kinds = Counter(r["kind"] for r in ROWS)
    in_test = Counter(r["kind"] for r in test)
    for kind, n in kinds.items():
        assert 0.2 * n <= in_test[kind] <= 0.4 * n + 1, (kind, in_test[kind], n)


def test_split_does_not_depend_on_row_order_or_other_rows():
    """A question keeps its side when the file is reordered or rows are added."""
    from bot.eval.split import split

    rows = [{"id": f"q{i:03d}", "kind": "factual"} for i in range(1, 61)]
    _, test = split(rows)
    _, test_reversed = split(rows[::-1])
    assert {r["id"] for r in test} == {r["id"] for r in test_reversed}
    _, test_more = split([*rows, *({"id": f"q{i:03d}", "kind": "factual"} for i in range(61, 64))])
    moved = {r["id"] for r in test} - {r["id"] for r in test_more}
    assert len(moved) <= 1  # rounding may hand one row back, never reshuffle the rest


def test_tuning_split_has_forty_unanswerable_near_misses():
    from bot.eval.split import EXTRA_TUNE, TUNE, read_rows

    tune = read_rows(TUNE)
    assert sum(r["kind"] == "unanswerable" for r in tune) >= 40
    extra = read_rows(EXTRA_TUNE)
    for row in extra:
        assert set(row) == KEYS and row["kind"] == "unanswerable", row
        assert row["source"] is None and row["evidence"] is None
        assert re.fullmatch(r"q\d{3}", row["id"])
    ids = [r["id"] for r in tune]
    assert len(ids) == len(set(ids))
    questions = [r["question"].strip().lower() for r in tune]
    assert len(questions) == len(set(questions))
