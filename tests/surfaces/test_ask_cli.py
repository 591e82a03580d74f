"""``panelist ask`` and ``panelist personas`` as a user runs them: parser, output, exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.cli import Ran, run_cli
from tests.fakes.openai_server import FakeOpenAI, Text

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-test-SECRET-0123456789abcdef"
YANN_Q = "What does Yann LeCun think about legislating open source?"
YANN = "So if you legislate open source out of existence because of fears, you slow down progress"
PERU_Q = "what is the capital of peru?"
ANSWER_KEYS = {"answer", "mode", "grounded", "persona", "citations", "notice"}
CITATION_KEYS = {
    "n",
    "source",
    "title",
    "speaker",
    "start",
    "quote",
    "verified",
    "char_start",
    "char_end",
    "label",
    "url",
}


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Ran:
    """``panelist ARGS --data-dir DATA`` in-process, with no dotenv and no real credentials."""
    return run_cli(*args, "--data-dir", str(data_dir), env=env)


def assert_user_error(result: Ran, *words: str) -> str:
    """Exit 1, nothing on stdout, and one line on stderr without a traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith("error: ") and "\n" not in line, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in line
    return line


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- ask --json --------------------------------------------------------------------------


def test_ask_json_has_exact_shape(seeded_data_dir: Path) -> None:
    """ask --json prints one object with exactly the documented keys and types."""
    result = run(seeded_data_dir, "ask", YANN_Q, "--json")
    assert result.returncode == 0, result.stderr
    (obj,) = json_lines(result.stdout)
    assert set(obj) == ANSWER_KEYS
    assert obj["mode"] == "extractive" and obj["grounded"] is True and obj["persona"] is None
    assert isinstance(obj["answer"], str) and isinstance(obj["notice"], str)
    assert obj["citations"]
    for n, cite in enumerate(obj["citations"], 1):
        assert set(cite) == CITATION_KEYS
        assert cite["n"] == n and cite["verified"] is True
        assert isinstance(cite["char_start"], int) and isinstance(cite["char_end"], int)
        assert f"[{n}]" in obj["answer"]
    first = obj["citations"][0]
    assert first["source"] == "004_ec03862bfd892207.txt" and first["speaker"] == "Yann LeCun"
    assert first["label"] == "WEF Davos panel" and YANN in first["quote"]


def test_ask_json_start_is_hms(seeded_data_dir: Path) -> None:
    """Timestamps in --json are HH:MM:SS strings, as every surface shows them (null for a quote
    from an untimed source such as the notes or the panel page)."""
    result = run(seeded_data_dir, "ask", "Can small models outperform large models?", "--json")
    (obj,) = json_lines(result.stdout)
    starts = [c["start"] for c in obj["citations"] if c["start"] is not None]
    assert starts and all(isinstance(s, str) and len(s.split(":")) == 3 for s in starts)


def test_ask_json_not_covered(seeded_data_dir: Path) -> None:
    """An unanswerable question exits 0 with grounded false and no citations."""
    result = run(seeded_data_dir, "ask", PERU_Q, "--json")
    assert result.returncode == 0, result.stderr
    (obj,) = json_lines(result.stdout)
    assert obj["grounded"] is False and obj["citations"] == []


def test_ask_json_persona(seeded_data_dir: Path) -> None:
    """--persona resolves a short name and every quote is that speaker's."""
    result = run(seeded_data_dir, "ask", "What about open source?", "--persona", "yann", "--json")
    assert result.returncode == 0, result.stderr
    (obj,) = json_lines(result.stdout)
    assert obj["persona"] == "Yann LeCun"
    assert {c["speaker"] for c in obj["citations"]} == {"Yann LeCun"}


def test_ask_plain_prints_answer_footnotes_and_notice(seeded_data_dir: Path) -> None:
    """Without --json: the answer, a footnote per citation, then the offline notice."""
    result = run(seeded_data_dir, "ask", YANN_Q)
    assert result.returncode == 0, result.stderr
    assert YANN in result.stdout
    assert "[1] WEF Davos panel — Yann LeCun" in result.stdout
    assert result.stdout.rstrip().endswith("(set OPENAI_BASE_URL or OPENAI_API_KEY).")


def test_ask_json_with_llm_endpoint(seeded_data_dir: Path, openai_server: FakeOpenAI) -> None:
    """With OPENAI_BASE_URL set the model writes the answer, and its quote is verified."""
    openai_server.default = Text(f'Yann LeCun warned that "{YANN}" [1].')
    env = {"OPENAI_BASE_URL": openai_server.base_url, "OPENAI_API_KEY": KEY}
    result = run(seeded_data_dir, "ask", YANN_Q, "--json", env=env)
    assert result.returncode == 0, result.stderr
    (obj,) = json_lines(result.stdout)
    assert obj["mode"] == "llm" and obj["grounded"] is True
    assert obj["answer"] == f'Yann LeCun warned that "{YANN}" [1].'
    assert [c["quote"] for c in obj["citations"]] == [YANN]
    assert openai_server.chat_requests


# --- ask --batch ---------------------------------------------------------------------------


def test_batch_answers_each_line_in_order(seeded_data_dir: Path, tmp_path: Path) -> None:
    """One JSON line per question, in file order; blank lines skipped; answers independent."""
    batch = tmp_path / "questions.txt"
    small = "Can small models outperform large models?"
    batch.write_text(f"{YANN_Q}\n\n{PERU_Q}\n{small}\n", encoding="utf-8")
    result = run(seeded_data_dir, "ask", "--batch", str(batch), "--json")
    assert result.returncode == 0, result.stderr
    objs = json_lines(result.stdout)
    assert len(objs) == 3 and all(set(o) == ANSWER_KEYS for o in objs)
    assert objs[0]["citations"][0]["source"] == "004_ec03862bfd892207.txt"
    assert objs[1]["grounded"] is False and objs[1]["citations"] == []
    assert objs[2]["citations"][0]["source"] == "000_fda30917f4cc1cf7.txt"


def test_batch_bad_line_is_an_error_object(seeded_data_dir: Path, tmp_path: Path) -> None:
    """A line that cannot be asked yields an error object; the lines after it still answer."""
    batch = tmp_path / "questions.txt"
    batch.write_text(f"{'why ' * 2500}\n{YANN_Q}\n", encoding="utf-8")
    result = run(seeded_data_dir, "ask", "--batch", str(batch), "--json")
    assert result.returncode == 0, result.stderr
    bad, good = json_lines(result.stdout)
    assert set(bad) == {"error", "question"}
    assert "limit is 1000" in bad["error"] and len(bad["question"]) == 200
    assert good["grounded"] is True


def test_batch_missing_file_is_one_line_error(seeded_data_dir: Path, tmp_path: Path) -> None:
    """A batch file that does not exist: one line, exit 1."""
    result = run(seeded_data_dir, "ask", "--batch", str(tmp_path / "nope.txt"), "--json")
    assert_user_error(result, "cannot read")


def test_question_and_batch_together_is_usage_error(seeded_data_dir: Path, tmp_path: Path) -> None:
    """Giving both a question and --batch is a usage error (exit 2)."""
    batch = tmp_path / "q.txt"
    batch.write_text(YANN_Q, encoding="utf-8")
    result = run(seeded_data_dir, "ask", YANN_Q, "--batch", str(batch))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["ask", ""], ["the question is empty"]),
        (["ask", "x" * 10_000], ["10000 characters", "limit is 1000"]),
        (["ask", YANN_Q, "--persona", "Socrates"], ["unknown persona 'Socrates'", "Yann LeCun"]),
        (["ask", YANN_Q, "--source", "nope.txt"], ["'nope.txt'", "004_ec03862bfd892207.txt"]),
    ],
    ids=["empty", "too-long", "unknown-persona", "unknown-source"],
)
def test_bad_input_is_one_line_error(
    seeded_data_dir: Path, args: list[str], words: list[str]
) -> None:
    """Each input a user can fix: one line on stderr naming the problem, exit 1."""
    assert_user_error(run(seeded_data_dir, *args, "--json"), *words)


def test_dead_llm_endpoint_is_one_line_error(seeded_data_dir: Path) -> None:
    """An endpoint nobody listens on: one line naming the host, without the API key."""
    port = closed_port()
    env = {"OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1", "OPENAI_API_KEY": KEY}
    line = assert_user_error(
        run(seeded_data_dir, "ask", YANN_Q, "--json", env=env), f"127.0.0.1:{port}"
    )
    assert "cannot reach" in line and KEY not in line and "SECRET" not in line


# --- personas ------------------------------------------------------------------------------


def test_personas_json(seeded_data_dir: Path) -> None:
    """personas --json lists speakers with their discussions and passage counts."""
    result = run(seeded_data_dir, "personas", "--json")
    assert result.returncode == 0, result.stderr
    (listed,) = json_lines(result.stdout)
    by_name = {p["name"]: p for p in listed}
    assert set(by_name["Yann LeCun"]) == {"name", "sources", "passages"}
    assert by_name["Yann LeCun"]["sources"] == ["WEF Davos panel"]
    assert by_name["Emad Mostaque"]["passages"] > 0
