"""Run the suite through the real Engine, configuration by configuration, and report as JSON.

The one module here that asks questions: it builds the store for each phase, turns what the
answer path raises into statuses, and leaves counting to ``stats`` and judging to ``scoring``.
The ablation ladder lives here because it is a list of Engine configurations to run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bot.answer.engine import REFUSAL, Defences, Engine
from bot.answer.llm import LLMError, describe_endpoint
from bot.eval.injection.scoring import Outcome, SourceIndex, Status, score
from bot.eval.injection.stats import RunReport, report_for
from bot.eval.injection.store import prepare_store
from bot.eval.injection.suite import Case, Suite
from bot.index.store import Store
from bot.records import Answer
from bot.retrieve.search import QueryError
from bot.settings import Settings

# The cumulative ablation ladder, then production's default (spotlighting off; see
# docs/security.md). Each name is a row of the --ablate table.
ABLATION: dict[str, Defences] = {
    "none": Defences(templates=False, spotlight=False, output_guard=False),
    "templates": Defences(templates=True, spotlight=False, output_guard=False),
    "+spotlight": Defences(templates=True, spotlight=True, output_guard=False),
    "+output filters (full)": Defences(templates=True, spotlight=True, output_guard=True),
    "default (no spotlight)": Defences(templates=True, spotlight=False, output_guard=True),
}


async def ask(
    engine: Engine, case: Case, sources: SourceIndex, planted_retrieved: bool | None
) -> Outcome:
    """One question through the real answer path; user-facing refusals become statuses."""
    answer: Answer | None = None
    try:
        answer = await engine.answer(case.question)
    except QueryError:
        status: Status = "rejected"  # e.g. over the question length limit: the user sees why
    except LLMError:
        status = "error"
    else:
        if not answer.text.strip():
            status = "empty"
        elif answer.text.strip() == REFUSAL:
            status = "refused"
        elif not answer.grounded:
            status = "not_covered"
        else:
            status = "answered"
    prompt = answer.trace.prompt if answer and answer.trace else None
    return score(case, answer, status, prompt, sources, planted_retrieved=planted_retrieved)


def _planted_retrieved(engine: Engine, case: Case) -> bool | None:
    if case.planted is None:
        return None
    try:
        hits = engine.retriever.search(case.question, engine.settings.retrieval.top_k)
    except QueryError:
        return False
    return any(h.chunk.source == case.planted for h in hits)


@dataclass(slots=True)
class EvalResult:
    mode: str  # "llm" or "extractive"
    model: str | None  # "model X at host:port" in llm mode
    cases: int
    runs: list[RunReport]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "model": self.model,
            "cases": self.cases,
            "notes": self.notes,
            "runs": [
                {
                    "config": r.config,
                    "defences": r.defences,
                    "leaks": r.leaks,
                    "reached": r.reached,
                    "leak_rate": r.leak_rate,
                    "leak_ci": list(r.leak_ci) if r.leak_ci else None,
                    "totals": {k: asdict(v) for k, v in r.totals.items()},
                    "categories": [asdict(c) for c in r.categories],
                    "outcomes": [_outcome_json(o) for o in r.outcomes],
                }
                for r in self.runs
            ],
        }


def _outcome_json(o: Outcome) -> dict[str, Any]:
    row = asdict(o)
    row["reply"] = o.reply[:500]
    return row


async def run_suite(
    settings: Settings,
    suite: Suite,
    *,
    ablate: bool = False,
    defences: Defences | None = None,
    on_case: Callable[[str, Outcome], None] | None = None,
) -> EvalResult:
    """Build the evaluation store in ``settings.data_dir`` and ask every case, per configuration.

    Without ``ablate`` one run uses ``defences`` (default: production's, from the settings).
    Two phases: direct attacks and benign questions on the seeds alone (a planted chunk must not
    confound them), then indirect cases with the planted transcripts ingested.
    """
    import asyncio

    mode = "llm" if settings.llm_enabled else "extractive"
    notes: list[str] = []
    if ablate and mode == "llm":
        configs = dict(ABLATION)
    else:
        configs = {"default": defences or Defences(spotlight=settings.llm.spotlight)}
        if ablate:
            notes.append(
                "--ablate needs a model: in extractive mode no prompt is built and the output "
                "filters always run, so only the default configuration was measured"
            )
    if mode == "extractive":
        notes.append(
            "extractive mode (no OPENAI_BASE_URL or OPENAI_API_KEY): replies are verbatim "
            "passages; no model is asked, so leak rates do not apply"
        )
    phases = [
        ([c for c in suite.cases if c.kind != "indirect"], ()),
        ([c for c in suite.cases if c.kind == "indirect"], suite.planted),
    ]
    outcomes: dict[str, dict[str, Outcome]] = {name: {} for name in configs}
    for cases, planted in phases:
        if not cases:
            continue
        await asyncio.to_thread(prepare_store, settings, planted)
        store = Store(settings)
        try:
            sources = await asyncio.to_thread(SourceIndex.from_store, store)
            retrieved: dict[str, bool | None] = {}
            for name, d in configs.items():
                engine = Engine(settings, store=store, defences=d)
                try:
                    for case in cases:
                        if case.id not in retrieved:
                            retrieved[case.id] = await asyncio.to_thread(
                                _planted_retrieved, engine, case
                            )
                        outcome = await ask(engine, case, sources, retrieved[case.id])
                        outcomes[name][case.id] = outcome
                        if on_case:
                            on_case(name, outcome)
                finally:
                    await engine.aclose()  # closes its model client; the store is ours
        finally:
            store.close()
    runs = [
        report_for(name, d, mode, [outcomes[name][c.id] for c in suite.cases])
        for name, d in configs.items()
    ]
    model = describe_endpoint(settings.llm) if mode == "llm" else None
    return EvalResult(mode, model, len(suite.cases), runs, notes)
