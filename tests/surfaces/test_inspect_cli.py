"""``panelist inspect FILE``: the parse a file would get, shown without indexing anything."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.surfaces.cli import app
from tests.ingest import FIXTURES

MANIFEST = (
    '[sources."rev.txt"]\nparticipants = ["Ravi Shah", "Maria Lopez"]\n'
    'aliases = { "Dr. Maria Lopez" = "Maria Lopez" }\nspeakers = { "Speaker 1" = "Ravi Shah" }\n'
)


def _invoke(tmp_path: Path, *args: str):
    env = {"PANELIST_DATA_DIR": str(tmp_path / "data"), "PANELIST_ENV_FILE": ""}
    return CliRunner().invoke(app, ["inspect", *args], env=env)


def _rev(tmp_path: Path) -> Path:
    path = tmp_path / "rev.txt"
    path.write_bytes((FIXTURES / "rev.txt").read_bytes())
    (tmp_path / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    return path


def test_json_report_applies_the_manifest_and_gives_exact_spans(tmp_path: Path) -> None:
    """Format, confidence, mapped speakers, time range and the first N segments' spans."""
    path = _rev(tmp_path)
    result = _invoke(tmp_path, str(path), "--json", "-n", "2")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format"] == "rev"
    assert report["confidence"] == 1.0
    assert report["segments"] == 4
    assert report["speakers"] == ["Ravi Shah", "Maria Lopez"]
    assert (report["start"], report["end"]) == ("00:00:02", "01:02:03")
    assert (report["start_s"], report["end_s"]) == (2.0, 3723.0)
    assert not report["warnings"]
    text = path.read_text(encoding="utf-8")
    assert len(report["first"]) == 2
    for seg in report["first"]:
        assert text[seg["char_start"] : seg["char_end"]] == seg["text"]
    assert report["first"][1]["speaker"] == "Maria Lopez"
    assert report["first"][1]["start"] == "00:00:09"


def test_nothing_is_indexed(tmp_path: Path) -> None:
    """The data directory is not even created."""
    result = _invoke(tmp_path, str(_rev(tmp_path)))
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "data").exists()


def test_human_output_shows_format_speakers_and_segments(tmp_path: Path) -> None:
    result = _invoke(tmp_path, str(_rev(tmp_path)), "-n", "1")
    assert result.exit_code == 0, result.output
    assert "rev (confidence 1.00)" in result.stdout
    assert "Ravi Shah, Maria Lopez" in result.stdout
    assert "Good morning, everyone" in result.stdout
    assert "Thank you." not in result.stdout  # -n 1


def test_uncertain_file_warns_with_the_closest_format(tmp_path: Path) -> None:
    """Plain prose with one Rev label: the warning names Rev and what it needs."""
    path = tmp_path / "t.txt"
    path.write_text("Jane Doe (00:01):\nHi.\n\nProse.\n\nMore prose.\n\nAnd more.\n", "utf-8")
    result = _invoke(tmp_path, str(path), "--json")
    report = json.loads(result.stdout)
    assert report["format"] == "plain"
    assert any("closest is rev" in w for w in report["warnings"])


def test_file_text_is_never_markup_or_terminal_control(tmp_path: Path) -> None:
    """Rich markup in a label or text is shown literally; escape sequences are stripped."""
    path = tmp_path / "evil.txt"
    path.write_text(
        "Mallory [bold red]X[/] (00:01):\n\x1b[2J\x1b]8;;http://x\x07hi [link=http://x]click[/link]\n\n"
        "Bob Lee (00:02):\nok\u202e\n",
        "utf-8",
    )
    result = _invoke(tmp_path, str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout + (result.stderr or "")
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    flat = "".join(out.split())  # the table wraps cells; the characters must all be there
    assert "[link=http://x]click[/link]" in flat
    assert "Mallory[boldred]X[/]" in flat


def test_missing_and_binary_files_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    for name, words in (("nope.txt", "no such file"), ("bin.txt", "binary")):
        result = _invoke(tmp_path, str(tmp_path / name))
        assert result.exit_code == 1
        assert result.stdout == ""
        line = result.stderr.strip()
        assert line.startswith("error:") and "\n" not in line and words in line


def test_negative_count_is_a_usage_error(tmp_path: Path) -> None:
    assert _invoke(tmp_path, str(_rev(tmp_path)), "-n", "-1").exit_code == 2


def test_a_file_ingest_would_refuse_exits_1_after_its_report(tmp_path: Path) -> None:
    """Broken JSON: the report says why (line and column), and the exit code says it failed."""
    path = tmp_path / "broken.json"
    path.write_text('{"version": "1.0.0", "segments": [', "utf-8")
    result = _invoke(tmp_path, str(path), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["format"] == "podcast_json" and report["segments"] == 0
    assert any("not valid JSON (line 1" in w for w in report["warnings"])
