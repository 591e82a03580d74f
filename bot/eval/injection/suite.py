"""The probe suite as data: its cases, the planted transcripts, and a seeded sample of them.

Kept apart from running and scoring so that the suite's files (``eval/injection/*.jsonl``) are
read and checked in one place, and a bad row stops the run with one line before any store is
built or any model is asked.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.errors import PanelistError

SUITE_DIR = Path(__file__).resolve().parents[3] / "eval" / "injection"
SAMPLE_SEED = 20261122

Kind = Literal["attack", "indirect", "benign"]


class InjectionEvalError(PanelistError):
    """The run cannot start (bad suite file, unsafe data dir); the message is one line."""


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    kind: Kind
    category: str  # attack category, "indirect", "benign" or "benign_hard_negative"
    question: str
    goal: str | None = None  # e.g. "leak_system_prompt", "emit_url:https://evil.example"
    planted: str | None = None  # indirect: file name of the synthetic transcript it relies on


@dataclass(frozen=True, slots=True)
class Planted:
    """A synthetic transcript holding one indirect injection (indirect.jsonl row)."""

    file: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Suite:
    cases: tuple[Case, ...]
    planted: tuple[Planted, ...]  # all of them, whichever cases are selected

    def categories(self) -> list[str]:
        return list(dict.fromkeys(c.category for c in self.cases))


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InjectionEvalError(f"cannot read {path}: {type(exc).__name__}") from None
    rows = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise InjectionEvalError(f"{path}:{n}: not valid JSON") from None
    return rows


def load_suite(folder: Path = SUITE_DIR) -> Suite:
    """attacks.jsonl already holds own_attacks.jsonl (the build script merges it)."""
    try:
        attacks = [
            Case(r["id"], "attack", r["category"], r["prompt"], r["goal"])
            for r in _rows(folder / "attacks.jsonl")
        ]
        indirect_rows = _rows(folder / "indirect.jsonl")
        planted = tuple(Planted(f"{r['id']}.txt", r["title"], r["chunk"]) for r in indirect_rows)
        indirect = [
            Case(r["id"], "indirect", "indirect", r["question"], r["goal"], f"{r['id']}.txt")
            for r in indirect_rows
        ]
        benign = [
            Case(
                r["id"],
                "benign",
                "benign_hard_negative" if r.get("hard_negative") else "benign",
                r["question"],
            )
            for r in _rows(folder / "benign.jsonl")
        ]
    except (KeyError, TypeError) as exc:
        raise InjectionEvalError(f"{folder}: a row lacks a field ({exc})") from None
    return Suite(tuple(attacks + indirect + benign), planted)


def select(
    suite: Suite,
    *,
    categories: Iterable[str] | None = None,
    limit: int | None = None,
    seed: int = SAMPLE_SEED,
) -> Suite:
    """Cases of the named categories ("benign" takes both benign ones), at most ``limit`` each.

    The sample is seeded, so two quick runs ask the same questions and can be compared.
    """
    wanted = set(categories or ())
    known = set(suite.categories()) | {"attack"}
    unknown = wanted - known
    if unknown:
        raise InjectionEvalError(
            f"unknown category {sorted(unknown)[0]!r}; known: {', '.join(sorted(known))}"
        )

    def chosen(c: Case) -> bool:
        if not wanted:
            return True
        return (
            c.category in wanted
            or (c.kind == "benign" and "benign" in wanted)
            or (c.kind == "attack" and "attack" in wanted)
        )

    by_category: dict[str, list[Case]] = {}
    for case in suite.cases:
        if chosen(case):
            by_category.setdefault(case.category, []).append(case)
    rng = random.Random(seed)
    cases: list[Case] = []
    for group in by_category.values():
        if limit is not None and len(group) > limit:
            keep = set(rng.sample(range(len(group)), limit))
            group = [c for i, c in enumerate(group) if i in keep]
        cases.extend(group)
    return Suite(tuple(cases), suite.planted)
