"""Fit the offline answerer's confidence model on the tuning questions; print the curve.

    PYTHONPATH=. python scripts/calibrate_extractive.py eval/dev_tune.jsonl eval/tune_blind.jsonl
    PYTHONPATH=. python scripts/calibrate_extractive.py --fit [--max-wrong 0.04] FILE…
    PYTHONPATH=. python scripts/calibrate_extractive.py --dump rows.jsonl FILE…

For each question it runs the extractive answer path (the engine's own ``assembly``) and records
the features bot/answer/confidence.py reads and whether the reply cites the evidence. Without
--fit it prints the curve of the model in use: for a sweep of thresholds on its probability, the
share of all questions answered (grounded), the share of answerable questions grounded and right,
and the share of unanswerable questions wrongly answered.

--fit fits an L2-regularised logistic regression (numpy, standardised features) to "the reply
cites the evidence of an answerable question" (1) against everything else (0), chooses the
regularisation by 5-fold cross-validated log-loss, prints the weights in the units of
``confidence.Model``, and the curve of the out-of-fold probabilities, so the operating point is
chosen on probabilities no question was fitted with: the lowest threshold at which at most
--max-wrong (default 4 %) of the unanswerable questions are answered. Never run it on a test set.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import numpy as np

from bot.answer import confidence, offline
from bot.answer.engine import Engine
from bot.eval.answers import cites_evidence
from bot.eval.qa import load_qa
from bot.records import Answer
from bot.settings import load_settings

THRESHOLDS = (0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)


async def collect(paths: list[Path]) -> list[dict]:
    settings = load_settings()
    engine = Engine(settings.offline())
    rows: list[dict] = []
    try:
        for path in paths:
            for qa in load_qa(path, settings.seeds_dir):
                found = await engine.retrieve(qa.question)
                made = engine.assembly(found) if found.relevant else None
                row = {"id": qa.id, "file": path.name, "kind": qa.kind, "q": qa.question}
                row["answerable"] = qa.answerable
                if made is None:
                    row |= {"features": None, "p": 0.0, "cites": False, "lead": ""}
                else:
                    # The label is what a confident reply would show: its first QUOTES quotes.
                    shown = made.citations[: offline.QUOTES]
                    answer = Answer(made.text, "extractive", made.confident, None, shown)
                    row |= {
                        "features": made.features.vector(),
                        "p": made.probability,
                        "cites": qa.answerable and cites_evidence(answer, qa),
                        "lead_cites": qa.answerable
                        and cites_evidence(
                            Answer("", "extractive", True, None, made.citations[:1]), qa
                        ),
                        "lead": made.citations[0].quote[:200],
                        "named": engine.retriever.speakers_named_in(found.query),
                        "lead_speaker": made.citations[0].speaker,
                    }
                rows.append(row)
    finally:
        await engine.aclose()
    return rows


def tally(rows: list[dict], probs: np.ndarray, threshold: float) -> tuple[int, int]:
    """(grounded and right, unanswerable answered) when replies at ``threshold`` or above are
    grounded."""
    on = probs >= threshold
    right = sum(1 for r, g in zip(rows, on, strict=True) if g and r["cites"])
    wrong = sum(1 for r, g in zip(rows, on, strict=True) if g and not r["answerable"])
    return right, wrong


def curve(rows: list[dict], probs: np.ndarray, title: str) -> None:
    n_ans = sum(r["answerable"] for r in rows)
    n_un = len(rows) - n_ans
    print(f"\n{title}")
    print("| threshold | answered (all) | grounded and right | unanswerable answered |")
    print("|---|---|---|---|")
    for t in THRESHOLDS:
        right, wrong = tally(rows, probs, t)
        print(
            f"| {t:.2f} | {(probs >= t).mean():.2f} | {right / max(n_ans, 1):.2f} ({right}/{n_ans})"
            f" | {wrong / max(n_un, 1):.2f} ({wrong}/{n_un}) |"
        )


def _fit(x: np.ndarray, y: np.ndarray, lam: float, iters: int = 500) -> np.ndarray:
    """Logistic regression by Newton's method; x has a leading column of ones (not penalised)."""
    w = np.zeros(x.shape[1])
    pen = np.full(x.shape[1], lam)
    pen[0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + pen * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(pen) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _prob(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))


def operating_point(rows: list[dict], probs: np.ndarray, max_wrong: float) -> float:
    """The lowest threshold at which at most ``max_wrong`` of the unanswerable questions are
    answered: the most right answers the refusal target allows."""
    n_un = sum(not r["answerable"] for r in rows)
    for t in sorted(set(np.round(probs, 3))):
        if tally(rows, probs, t)[1] <= max_wrong * n_un:
            return float(t)
    return 1.0


def fit(rows: list[dict], use: list[str], max_wrong: float) -> None:
    usable = [r for r in rows if r["features"] is not None]
    cols = [confidence.FEATURES.index(name) for name in use]
    raw = np.array([[r["features"][c] for c in cols] for r in usable])
    y = np.array([1.0 if r["cites"] else 0.0 for r in usable])
    mu, sd = raw.mean(0), raw.std(0) + 1e-9
    x = np.hstack([np.ones((len(raw), 1)), (raw - mu) / sd])
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(x)) % 5
    results = []
    for lam in (0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0):
        oof = np.zeros(len(x))
        for k in range(5):
            tr, te = fold != k, fold == k
            oof[te] = _prob(x[te], _fit(x[tr], y[tr], lam))
        loss = -np.mean(y * np.log(oof + 1e-9) + (1 - y) * np.log(1 - oof + 1e-9))
        print(f"lambda {lam:>5}: cross-validated log-loss {loss:.4f}")
        results.append((loss, lam, oof))
    # The strongest regularisation whose loss is within 0.5 % of the best: where the loss is flat,
    # smaller weights carry over to new questions better.
    least = min(r[0] for r in results)
    _, lam, oof = max((r for r in results if r[0] <= least * 1.005), key=lambda r: r[1])
    w = _fit(x, y, lam)
    weights = w[1:] / sd
    bias = w[0] - float((w[1:] * mu / sd).sum())
    full = dict.fromkeys(confidence.FEATURES, 0.0) | dict(zip(use, weights, strict=True))
    print(f"\nchosen lambda {lam}; weights in feature units (confidence.Model):")
    for name in confidence.FEATURES:
        print(f"  {name:>16}: {full[name]: .3f}")
    print(f"  {'bias':>16}: {bias: .3f}")
    probs = np.zeros(len(rows))
    it = iter(oof)
    for i, r in enumerate(rows):
        probs[i] = next(it) if r["features"] is not None else 0.0
    curve(rows, probs, "out-of-fold probabilities (5-fold):")
    t = operating_point(rows, probs, max_wrong)
    right, wrong = tally(rows, probs, t)
    print(
        f"\noperating point (at most {max_wrong:.0%} of unanswerable answered, out of fold):"
        f" threshold {t:.3f}: {right} grounded and right, {wrong} unanswerable answered"
    )
    print(f"MODEL = Model(weights=({', '.join(f'{full[n]:.3f}' for n in confidence.FEATURES)}),")
    print(f"              bias={bias:.3f}, threshold={t:.3f})")


def main() -> None:
    args = sys.argv[1:]
    dump = None
    if "--dump" in args:
        i = args.index("--dump")
        dump = Path(args[i + 1])
        del args[i : i + 2]
    max_wrong = 0.04
    if "--max-wrong" in args:
        i = args.index("--max-wrong")
        max_wrong = float(args[i + 1])
        del args[i : i + 2]
    do_fit = "--fit" in args
    args = [a for a in args if a != "--fit"]
    use = list(confidence.FEATURES)
    if "--use" in args:
        i = args.index("--use")
        use = args[i + 1].split(",")
        del args[i : i + 2]
    paths = [Path(a) for a in args] or [Path("eval/dev_tune.jsonl")]
    if any("test" in p.name for p in paths):
        sys.exit("calibrate only on the tuning questions, never on a test set")
    rows = asyncio.run(collect(paths))
    if dump:
        dump.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if do_fit:
        fit(rows, use, max_wrong)
    else:
        curve(rows, np.array([r["p"] for r in rows]), "the model in use (confidence.MODEL):")


if __name__ == "__main__":
    main()
