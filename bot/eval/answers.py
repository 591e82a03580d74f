"""Answer quality on a QA file: citation precision, citation recall, refusal accuracy.

- citation precision: verified quotes / all quotes the answer path produced (removed ones count
  against it; in extractive mode every quote is an exact slice, so this checks the mapping);
- citation recall: answerable questions whose answer has a verified citation overlapping the
  evidence span in the file;
- grounded and right: answerable questions whose answer is grounded (confident) *and* cites the
  evidence: what a reader can take at face value;
- refusal accuracy: unanswerable questions answered "not covered" (not grounded).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.answer.engine import Engine
from bot.eval.qa import QA, overlaps
from bot.ingest.read import IngestError
from bot.records import Answer


@dataclass(slots=True)
class AnswerEval:
    mode: str
    questions: int = 0
    quotes: int = 0
    verified: int = 0
    answerable: int = 0
    recalled: int = 0
    unanswerable: int = 0
    refused: int = 0
    grounded_answerable: int = 0
    grounded_right: int = 0
    errors: int = 0
    misses: list[str] = field(default_factory=list)
    false_answers: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.verified / self.quotes if self.quotes else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.answerable if self.answerable else 0.0

    @property
    def grounded_right_share(self) -> float:
        return self.grounded_right / self.answerable if self.answerable else 0.0

    @property
    def refusal_accuracy(self) -> float:
        return self.refused / self.unanswerable if self.unanswerable else 1.0

    def as_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "questions": self.questions,
            "citation_precision": round(self.precision, 4),
            "citation_recall": round(self.recall, 4),
            "refusal_accuracy": round(self.refusal_accuracy, 4),
            "quotes": self.quotes,
            "verified_quotes": self.verified,
            "answerable": self.answerable,
            "answerable_grounded": self.grounded_answerable,
            "grounded_and_right": round(self.grounded_right_share, 4),
            "unanswerable": self.unanswerable,
            "errors": self.errors,
            "misses": self.misses,
            "false_answers": self.false_answers,
            "p50_seconds": round(statistics.median(self.seconds), 4) if self.seconds else None,
        }


def cites_evidence(answer: Answer, qa: QA) -> bool:
    return any(
        c.verified
        and c.char_start is not None
        and c.char_end is not None
        and c.source == ev.source
        and overlaps(c.char_start, c.char_end, ev.char_start, ev.char_end)
        for c in answer.citations
        for ev in qa.evidence
    )


async def evaluate(
    engine: Engine, qas: Sequence[QA], on_progress: Callable[[int], None] | None = None
) -> AnswerEval:
    result = AnswerEval(mode=engine.mode)
    for qa in qas:
        result.questions += 1
        started = time.perf_counter()
        try:
            answer = await engine.answer(qa.question)
        except Exception as exc:  # a failure is a data point here, not a crash of the eval
            if isinstance(exc, IngestError):
                raise
            result.errors += 1
            result.misses.append(qa.id)
            continue
        finally:
            result.seconds.append(time.perf_counter() - started)
            if on_progress:
                on_progress(1)
        result.quotes += len(answer.citations) + answer.dropped_quotes
        result.verified += sum(1 for c in answer.citations if c.verified)
        if qa.answerable:
            result.answerable += 1
            result.grounded_answerable += answer.grounded
            if cites_evidence(answer, qa):
                result.recalled += 1
                result.grounded_right += answer.grounded
            else:
                result.misses.append(qa.id)
        else:
            result.unanswerable += 1
            if answer.grounded:
                result.false_answers.append(qa.id)
            else:
                result.refused += 1
    return result


def run(engine: Engine, qas: Sequence[QA]) -> AnswerEval:
    return asyncio.run(evaluate(engine, qas))
