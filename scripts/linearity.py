"""Time the text paths the robustness work made linear, at doubling sizes (docs/robustness.md).

Usage: python scripts/linearity.py   (CPU seconds, best of 3; ratios near 2 mean linear)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from bot.answer.output_guard import OutputGuard
from bot.index.ingest import prepare_chunks
from bot.ingest.manifest import SourceMeta

WORDS = ["alpha", "beta", "gamma", "model", "data", "train", "large", "small", "edge", "open"]


def best(fn: Callable[[], object], runs: int = 3) -> float:
    out = float("inf")
    for _ in range(runs):
        began = time.process_time()
        fn()
        out = min(out, time.process_time() - began)
    return out


def one_cue_vtt(n: int) -> str:
    rng = random.Random(n)
    words = " ".join(rng.choice(WORDS) for _ in range(n // 6))
    return "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n" + words + "\n"


def prepare(n: int) -> float:
    text = one_cue_vtt(n)
    meta = SourceMeta(file="x.vtt", title="")
    return best(lambda: prepare_chunks(Path("x.vtt"), text, meta, 192, 1))


def guard_stream(n: int) -> float:
    reply = ("the panel said small models win on the edge " * (n // 44 + 1))[:n]

    def run() -> None:
        guard = OutputGuard(
            system_prompt="You answer from transcripts only. " * 50,
            canary="cnry-0123456789abcdef",
            allowed_urls=(),
            refusal_text="no",
        )
        for i in range(0, len(reply), 4):
            guard.feed(reply[i : i + 4])
        guard.check(reply)

    return best(run)


def main() -> None:
    for name, fn, sizes in (
        ("parse+chunk, one VTT cue, no full stop", prepare, (500_000, 1_000_000, 2_000_000)),
        ("output guard, streamed in 4-char deltas", guard_stream, (100_000, 200_000, 400_000)),
    ):
        prev = None
        for n in sizes:
            t = fn(n)
            ratio = f"  ×{t / prev:.2f}" if prev else ""
            print(f"{name:42} {n / 1e6:5.2f} MB  {t:7.3f} s{ratio}")
            prev = t


if __name__ == "__main__":
    main()
