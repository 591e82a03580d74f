"""A damaged store is found and repaired; surfaces refuse it at start-up instead of answering
"not covered"; commands that need only the catalog work while Chroma is down."""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from tests.index.helpers import write_corpus
from tests.robust.helpers import cli, cli_here


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line_error(res) -> str:
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


@pytest.mark.slow  # after the damage, a fresh process each step: start-up must find it
def test_deleted_vector_store_is_reported_and_repaired(tmp_path, openai_server):
    """Deleting data/chroma used to make every `ask` quietly answer "not covered"."""
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    assert cli_here(data, openai_server, "ingest", str(corpus)).returncode == 0
    before = cli_here(data, openai_server, "search", "difference engine funding", "--json")
    assert cli_here(data, openai_server, "doctor").returncode == 0
    shutil.rmtree(data / "chroma")

    ask = cli(data, openai_server, "ask", "what does Babbage need?", "--json")
    line = one_line_error(ask)
    assert "vector store" in line and "doctor --repair" in line

    check = cli(data, openai_server, "doctor", "--json")
    assert check.returncode == 1
    found = json.loads(check.stdout)["before"]
    assert not found["ok"] and found["vectors"] == 0
    assert set(found["missing"]) == {"talk.txt", "panel.txt"}

    fixed = cli(data, openai_server, "doctor", "--repair", "--json")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["after"]["ok"] is True
    after = cli(data, openai_server, "search", "difference engine funding", "--json")
    assert json.loads(after.stdout) == json.loads(before.stdout), "nothing lost"
    assert cli(data, openai_server, "ask", "what does Babbage need?").returncode == 0


def test_sources_works_while_chroma_is_down_and_search_names_chroma(tmp_path, openai_server):
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    assert cli_here(data, openai_server, "ingest", str(corpus)).returncode == 0
    port = str(dead_port())
    down = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": port}
    listed = cli_here(data, openai_server, "sources", "--json", **down)
    assert listed.returncode == 0, listed.stderr
    assert {s["source"] for s in json.loads(listed.stdout)} == {"talk.txt", "panel.txt"}
    line = one_line_error(cli_here(data, openai_server, "search", "engines", **down))
    assert "Chroma" in line and f"127.0.0.1:{port}" in line and "unexpected" not in line


def test_batch_exits_non_zero_when_every_line_fails(tmp_path, openai_server):
    corpus = write_corpus(tmp_path / "corpus")
    data = tmp_path / "data"
    assert cli_here(data, openai_server, "ingest", str(corpus)).returncode == 0
    bad = tmp_path / "bad.txt"
    bad.write_text(("x" * 3000 + "\n") * 2)
    res = cli_here(data, openai_server, "search", "--batch", str(bad), "--json")
    assert res.returncode == 1
    assert [list(json.loads(line)) for line in res.stdout.splitlines()] == [
        ["error", "question"]
    ] * 2
    assert "all 2 lines" in res.stderr
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("x" * 3000 + "\nengines and music\n")
    assert cli_here(data, openai_server, "search", "--batch", str(mixed), "--json").returncode == 0


def test_ingest_summary_names_failures_and_skips_and_exits_1(tmp_path, openai_server):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "sub").mkdir()
    (corpus / "bad.vtt").write_text("WEBVTT\n\n" + "9" * 400 + ":00:00.000 --> 00:00:05.000\nhi\n")
    res = cli_here(tmp_path / "data", openai_server, "ingest", str(corpus))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr and "unexpected" not in res.stderr
    assert "bad.vtt" in res.stderr and "out of range" in res.stderr
    assert "skipped" in res.stdout and "sub" in res.stdout and "--recursive" in res.stdout
    assert res.stdout.count("added") == 2
