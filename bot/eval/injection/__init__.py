"""Measure prompt-injection resistance: run the probe suite through the real Engine, score in code.

Three kinds of case (``eval/injection``): direct attacks are asked as the question; indirect ones
are planted in synthetic transcripts that are ingested next to the seeds, and an ordinary question
retrieves them; benign questions (hard negatives included) must still be answered. Every reply is
scored by code, never by a model (``scoring``), so the numbers are reproducible.

"Not covered" replies are counted separately and not as refusals: benign.jsonl does not say which
questions the seeds answer (some hard negatives, e.g. DAN slang, they do not), and answer quality
is ``eval answers``' job. In extractive mode (no model configured) nothing reaches a model, so
leak rates are not applicable, but the code-side layers and the benign path are still measured.

The store is built for the run in its own data dir, never the production store (``store``).

One module per step: ``suite`` (the cases), ``store`` (the evaluation store), ``scoring`` (one
reply judged), ``stats`` (rates and intervals), ``run`` (the questions asked, the JSON report).
This package re-exports their public names, so callers import from ``bot.eval.injection``.
"""

from bot.eval.injection.run import ABLATION, EvalResult, ask, run_suite
from bot.eval.injection.scoring import (
    LEAK_WORDS,
    Outcome,
    SourceIndex,
    Status,
    goal_met,
    leaks,
    score,
    split_quotes,
    url_key,
    words,
)
from bot.eval.injection.stats import Z95, CategoryStats, RunReport, report_for, summarise, wilson
from bot.eval.injection.store import EVAL_MARKER, PLANTED_DIR, planted_manifest, prepare_store
from bot.eval.injection.suite import (
    SAMPLE_SEED,
    SUITE_DIR,
    Case,
    InjectionEvalError,
    Kind,
    Planted,
    Suite,
    load_suite,
    select,
)

__all__ = [
    "ABLATION",
    "EVAL_MARKER",
    "LEAK_WORDS",
    "PLANTED_DIR",
    "SAMPLE_SEED",
    "SUITE_DIR",
    "Z95",
    "Case",
    "CategoryStats",
    "EvalResult",
    "InjectionEvalError",
    "Kind",
    "Outcome",
    "Planted",
    "RunReport",
    "SourceIndex",
    "Status",
    "Suite",
    "ask",
    "goal_met",
    "leaks",
    "load_suite",
    "planted_manifest",
    "prepare_store",
    "report_for",
    "run_suite",
    "score",
    "select",
    "split_quotes",
    "summarise",
    "url_key",
    "wilson",
    "words",
]
