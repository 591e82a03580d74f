"""Running ``python -m bot`` as a user would, with embeddings from the loopback OpenAI fake:
``cli`` starts a real process (for kills and signals), ``cli_here`` runs the same command line
in-process (tests/cli.py) when only its output and exit code matter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli import Ran, run_cli
from tests.fakes.openai_server import FakeOpenAI
from tests.index.helpers import process_env

ROOT = Path(__file__).resolve().parents[2]


def cli_argv(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args, "--data-dir", str(data)]


def cli(
    data: Path, server: FakeOpenAI, *args: str, timeout: float = 120, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_argv(data, *args),
        cwd=ROOT,
        env=process_env(server, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_here(data: Path, server: FakeOpenAI, *args: str, **extra: str) -> Ran:
    """``cli`` without the process: same arguments, environment and exit codes."""
    env = process_env(server, **extra)
    return run_cli(
        *args,
        "--data-dir",
        str(data),
        env={
            k: v for k, v in env.items() if k.startswith(("OPENAI_", "PANELIST_", "CHROMA_", "HF_"))
        },
    )
