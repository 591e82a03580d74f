"""QA files: JSONL rows ``{"id", "question", "source", "evidence", "kind"}``.

The evaluator finds each evidence string in the source file itself, so the ground truth is a span
of the original file and no hit can match by accident of chunking.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.read import IngestError


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str
    text: str
    char_start: int
    char_end: int


@dataclass(frozen=True, slots=True)
class QA:
    id: str
    question: str
    kind: str
    evidence: tuple[Evidence, ...]  # empty for unanswerable questions

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)


def locate(file_text: str, evidence: str) -> tuple[int, int] | None:
    """Exact match first, then a whitespace-insensitive one (evidence copied across a wrap)."""
    i = file_text.find(evidence)
    if i >= 0:
        return i, i + len(evidence)
    words = evidence.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, file_text)
    return (m.start(), m.end()) if m else None


def load_qa(path: Path, sources_dir: Path) -> list[QA]:
    """Load and resolve a QA file; any bad row is an error naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read QA file {path}: {type(exc).__name__}") from None
    texts: dict[str, str] = {}
    out: list[QA] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            sources = row.get("source")
            evidences = row.get("evidence")
            if isinstance(sources, str):
                sources, evidences = [sources], [evidences]
            ev: list[Evidence] = []
            for src, text in zip(sources or [], evidences or [], strict=True):
                if src not in texts:
                    texts[src] = (sources_dir / src).read_text(encoding="utf-8")
                span = locate(texts[src], text)
                if span is None:
                    raise ValueError(f"evidence not found in {src}: {text[:60]!r}")
                ev.append(Evidence(src, text, *span))
            out.append(QA(str(row["id"]), row["question"], row.get("kind", ""), tuple(ev)))
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise IngestError(f"{path}:{n}: bad QA row ({exc})") from None
    return out


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end
