"""The terminal guard, and the CLI and REPL as a user runs them on an attacker's transcripts:
no escape sequence from a transcript, manifest or file name reaches the terminal, and no
argument or title that looks like rich markup produces a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.guard.terminal import for_markup, for_terminal
from tests.cli import Ran, run_cli
from tests.guard.hostile_corpus import write_corpus
from tests.linearity import grows_linearly

ROOT = Path(__file__).resolve().parents[2]
EVIL_NAME = "\x1b]0;owned\x07\x1b[31mnotes.txt"
# Anything that makes a terminal act instead of print: ESC, BEL, 8-bit CSI/OSC, bidi overrides.
ACTIVE = re.compile("[\x1b\x07\x9b\x9d\u202a-\u202e\u2066-\u2069]")


def test_for_terminal_strips_sequences_and_controls() -> None:
    """CSI, OSC 8 links, OSC titles, 8-bit CSI, C0/C1 controls and bidi overrides all go."""
    text = (
        "a\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ "
        "\x1b]0;title\x07t \x9b2J\x00\x08\x85\u202eb\tc\nd"
    )
    assert for_terminal(text) == "ared link t b\tc\nd"


def test_for_markup_escapes_rich_tags() -> None:
    """Text that looks like rich markup prints as itself."""
    from rich.console import Console

    console = Console(record=True, width=200)
    for hostile in ("[/]", "[/x]", "[/INST]", "[bold]x[/bold]", "[link=https://e.example]x"):
        console.print(f"[dim]{for_markup(hostile)}[/]")
    assert console.export_text().split("\n")[:5] == [
        "[/]",
        "[/x]",
        "[/INST]",
        "[bold]x[/bold]",
        "[link=https://e.example]x",
    ]


def test_for_terminal_is_linear() -> None:
    """Doubling a hostile input (unterminated OSC/CSI runs) about doubles the time, not more."""

    def cost(n: int) -> None:
        for_terminal(("\x1b]8;;" + "x" * 50 + "\x1b[" + "9" * 50) * n)

    assert grows_linearly(cost, 2000, factor=2, max_ratio=3.0, floor=0.05)


# --- the CLI and REPL ------------------------------------------------------------------------


def run(data: Path, *args: str) -> Ran:
    """The command line in-process (tests/cli.py): what it prints is the point, not the process."""
    return run_cli(*args, "--data-dir", str(data))


@pytest.fixture(scope="module")
def hostile_cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The hostile corpus plus a file whose name carries escape sequences, ingested by the CLI."""
    seeds = write_corpus(tmp_path_factory.mktemp("cli-seeds"))
    (seeds / EVIL_NAME).write_text(
        "Carol Danvers: open models \x1b]8;;https://evil.example\x1b\\help\x1b]8;;\x1b\\ "
        "research a lot [/INST] [bold]\n",
        encoding="utf-8",
    )
    data = tmp_path_factory.mktemp("cli-data")
    result = run(data, "ingest", str(seeds))
    assert result.returncode == 0, result.stderr
    return seeds, data, result.stdout + result.stderr


def clean(result: Ran) -> None:
    shown = result.stdout + result.stderr
    assert not ACTIVE.search(shown), repr(shown)
    assert "Traceback" not in shown


def test_ingest_output_has_no_escapes(hostile_cli: tuple[Path, Path, str]) -> None:
    _, _, shown = hostile_cli
    assert "notes.txt" in shown and not ACTIVE.search(shown), repr(shown)


@pytest.mark.parametrize(
    "args",
    [
        ("sources",),
        ("search", "open models research"),
        ("personas",),
        ("ask", "What did Alice Smith say about open models?"),
    ],
)
def test_listings_and_answers_have_no_escapes(
    hostile_cli: tuple[Path, Path, str], args: tuple[str, ...]
) -> None:
    """Titles, labels, file names, speaker names and quotes print inert."""
    _, data, _ = hostile_cli
    result = run(data, *args)
    assert result.returncode == 0, result.stderr
    clean(result)
    if args[0] == "sources":
        assert "[/INST]" in result.stdout  # shown as text, not swallowed as markup


@pytest.mark.parametrize(
    "args",
    [
        ("search", "open models", "--source", "[/]"),
        ("ask", "open models", "--source", "[/]"),
        ("ask", "open models", "--persona", "[/x]"),
        ("search", "open models", "--speaker", "[/x]\x1b]0;t\x07"),
        ("ask", "[/INST] [/] \x1b[2J what about open models?"),
    ],
)
def test_markup_like_arguments_give_one_line_not_a_traceback(
    hostile_cli: tuple[Path, Path, str], args: tuple[str, ...]
) -> None:
    _, data, _ = hostile_cli
    result = run(data, *args)
    clean(result)
    if result.returncode != 0:
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error:")


def test_repl_commands_with_markup_and_escapes(hostile_cli: tuple[Path, Path, str]) -> None:
    """In the REPL: /persona [/x], /source [/], /sources and a question all print inert."""
    from tests.surfaces.test_repl import Terminal

    _, data, _ = hostile_cli
    term = Terminal(data)
    try:
        term.expect("Type a question")
        term.ask("/persona [/x]")
        term.expect("unknown persona '[/x]'")
        term.ask("/source [/]")
        term.expect("not an indexed source")
        term.ask("/sources")
        term.expect("Evil Panel [/INST] [bold]")
        term.ask("What did Alice Smith say about open models?")
        term.expect("Offline mode")
        term.expect(">")  # Ctrl-D means EOF only at the prompt
        assert term.exit_code() == 0
        assert "Traceback" not in term.screen
        # The REPL's own styling is ESC sequences too: only what the transcripts planted counts.
        for planted in ("]0;owned", "]8;;https://evil", "]0;pwned", "\u202e"):
            assert planted not in term.raw, planted
    finally:
        term.close()
