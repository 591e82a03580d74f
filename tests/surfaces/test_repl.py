"""``panelist repl`` driven through a pseudo-terminal, as a person at a keyboard would use it."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.fakes.openai_server import FakeOpenAI, HttpError, Reply, Text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-test-SECRET-0123456789abcdef"
YANN_Q = "What does Yann LeCun think about legislating open source?"
FOLLOW_UP = "and what did he say about Europe?"
TIMEOUT = 30.0

# Terminal control sequences (colours, cursor moves, bracketed paste) and carriage returns, so
# tests read the screen's text the way a person does.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, modes
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window title
    r"|\x1b[()][A-Za-z0-9]|\x1b[=>78]|[\x08\r]"
)


class Terminal:
    """A REPL in a pseudo-terminal; ``expect`` waits for text on screen, ignoring styling."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PANELIST_"))
        }
        environ.update(
            {
                "PANELIST_ENV_FILE": "",
                "HF_HUB_OFFLINE": "1",
                "TERM": "xterm-256color",
                "PROMPT_TOOLKIT_NO_CPR": "1",  # no cursor-position queries to answer
                **(env or {}),
            }
        )
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot", "repl", "--data-dir", str(data_dir)],
            env=environ,
            cwd=str(ROOT),
            encoding="utf-8",
            dimensions=(40, 200),
        )
        self.raw = ""
        self.pos = 0

    @property
    def screen(self) -> str:
        return _CONTROL.sub("", self.raw)

    def read(self, timeout: float = 0.1) -> None:
        with contextlib.suppress(pexpect.TIMEOUT):
            self.raw += self.child.read_nonblocking(65536, timeout=timeout)

    def expect(self, text: str, timeout: float = TIMEOUT) -> str:
        """Wait until ``text`` appears after what was already matched; return what came between."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen
            found = screen.find(text, self.pos)
            if found != -1:
                between = screen[self.pos : found]
                self.pos = found + len(text)
                return between
            if time.monotonic() > deadline or not self.child.isalive():
                raise AssertionError(
                    f"{text!r} not shown; screen since last match:\n{screen[self.pos :]}"
                )
            try:
                self.read()
            except pexpect.EOF:
                self.raw += self.child.before or ""
                raise AssertionError(f"REPL exited before {text!r}:\n{self.screen}") from None

    def ask(self, line: str) -> None:
        """Type a line at the prompt."""
        self.expect(">")
        self.child.sendline(line)
        self.expect(line)  # echoed: the REPL has taken it

    def exit_code(self) -> int:
        """Press Ctrl-D (the caller has waited for the prompt) and return the exit status."""
        self.child.sendeof()
        self.child.expect(pexpect.EOF, timeout=TIMEOUT)
        self.raw += self.child.before or ""
        self.child.close()
        assert self.child.exitstatus is not None
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture(scope="module")
def repl_data_dir(seeded_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seeded store, because the REPL writes its input history into the data dir."""
    data = tmp_path_factory.mktemp("repl") / "data"
    shutil.copytree(seeded_data_dir, data)
    return data


@pytest.fixture
def repl(repl_data_dir: Path) -> Iterator[Terminal]:
    """The REPL in extractive mode (no model configured)."""
    term = Terminal(repl_data_dir)
    yield term
    term.close()


@pytest.fixture
def llm_repl(repl_data_dir: Path, openai_server: FakeOpenAI) -> Iterator[Terminal]:
    """The REPL with the scripted model as its LLM, answering by quoting the first excerpt."""
    openai_server.responder = quote_first_excerpt
    env = {"OPENAI_BASE_URL": openai_server.base_url, "OPENAI_API_KEY": KEY}
    term = Terminal(repl_data_dir, env)
    yield term
    term.close()


def quote_first_excerpt(body: dict[str, Any]) -> Reply:
    """Answer with eight words of the first excerpt sent; condense by restating the question."""
    if not body.get("stream"):
        return Text("What did Emad Mostaque say about the European Union and regulation?")
    excerpts = body["messages"][1]["content"]
    for block in re.findall(r"(?ms)^\[(\d+)\] [^\n]*\n(.*?)(?=^\[\d+\] |^<<<END )", excerpts):
        words = " ".join(block[1].split()[:8])
        if not re.search(r"[\"“”„«»\[\]]", words):
            return Text(f'As was said on the panel, "{words}" [{block[0]}].')
    return Text("NOT_COVERED")


def wait_for_request(server: FakeOpenAI, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while len(server.chat_requests) < count:
        assert time.monotonic() < deadline, "the REPL never called the model"
        time.sleep(0.05)


# --- startup and exit --------------------------------------------------------------------


def test_banner_shows_discussions_and_mode(repl: Terminal) -> None:
    """The banner says how many discussions there are and that answers are offline."""
    line = repl.expect("Type a question, /help, or Ctrl-D.")
    assert "panelist — 5 discussions, offline: verbatim passages" in line


def test_ctrl_d_exits_cleanly(repl: Terminal) -> None:
    """Ctrl-D at the prompt says bye and exits with status 0."""
    repl.expect(">")
    assert repl.exit_code() == 0
    assert "bye" in repl.screen
    assert "Traceback" not in repl.screen


# --- asking ----------------------------------------------------------------------------------


def test_question_gets_answer_with_footnote(repl: Terminal) -> None:
    """A question prints quoted sentences, then footnotes like '[1] WEF Davos panel — …'."""
    repl.ask(YANN_Q)
    body = repl.expect("[1] WEF Davos panel — Yann LeCun")
    assert "Yann LeCun said: “So if you legislate open source out of existence" in body
    repl.expect("Offline mode: replies quote the recordings verbatim.")


# --- commands ------------------------------------------------------------------------------


def test_help_lists_commands(repl: Terminal) -> None:
    """/help lists every command."""
    repl.ask("/help")
    shown = repl.expect("Ctrl-C cancels an answer in progress.")
    for command in ("/persona NAME", "/source NAME", "/personas", "/sources", "/reset", "/quit"):
        assert command in shown


def test_persona_switches_and_prompt_shows_it(repl: Terminal) -> None:
    """/persona yann shows in the prompt and answers in his words only; /persona off undoes it."""
    repl.ask("/persona yann")
    repl.expect("persona: Yann LeCun")
    repl.expect("[Yann LeCun] >")
    repl.child.sendline("What about open source?")
    body = repl.expect("[1] WEF Davos panel — Yann LeCun")
    assert "Nicholas Thompson said" not in body
    repl.expect("Simulated voice built only from Yann LeCun's recorded words")
    repl.ask("/persona off")
    repl.expect("persona: the discussions (panel voice)")


def test_unknown_persona_lists_names(repl: Terminal) -> None:
    """An unknown persona is refused with the list of speakers, and the REPL carries on."""
    repl.ask("/persona socrates")
    line = repl.expect("Nicholas Thompson, Yann LeCun")
    assert "unknown persona 'socrates'; available: Aarthi Ramamurthy, Aidan Gomez" in line
    assert "Emad Mostaque" in line
    repl.ask("/help")
    repl.expect("Commands:")


def test_source_limits_answers(repl: Terminal) -> None:
    """/source picks a discussion by prefix; the prompt shows it and answers cite only it."""
    repl.ask("/source 004")
    repl.expect("source: 004_ec03862bfd892207.txt")
    repl.expect("[004_ec03862bfd892207.txt] >")
    repl.child.sendline("What was said about open source?")
    shown = repl.expect("Offline mode")
    notes = re.findall(r"^\[\d+\] (.+)$", shown, re.M)
    assert notes and all(n.startswith("WEF Davos panel") for n in notes)


def test_sources_lists_discussions(repl: Terminal) -> None:
    """/sources lists every discussion by its short label, file name and title."""
    repl.ask("/sources")
    shown = repl.expect("WEF Panel - The Expanding Universe of Generative Models")
    for label, source in (
        ("No Priors", "000_fda30917f4cc1cf7.txt"),
        ("Podcast notes", "001_aff530d4b2c4dde0.txt"),
        ("Stability AI community Q&A", "002_0a6e188aa2508fc6.txt"),
        ("Gradient Dissent", "003_45c6a50c9d8a6def.txt"),
        ("WEF Davos panel", "004_ec03862bfd892207.txt"),
    ):
        assert re.search(rf"^{re.escape(label)}( \(\d{{4}}-\d\d-\d\d\))? {source}$", shown, re.M)


# --- conversation, with a model --------------------------------------------------------------


def test_follow_up_uses_conversation(llm_repl: Terminal, openai_server: FakeOpenAI) -> None:
    """In LLM mode a follow-up is condensed with the earlier turn before searching."""
    llm_repl.expect("generated answers")
    llm_repl.ask(YANN_Q)
    llm_repl.expect("[1] WEF Davos panel")
    llm_repl.ask(FOLLOW_UP)
    llm_repl.expect("[1] ")
    streamed = [bool(r.json.get("stream")) for r in openai_server.chat_requests]
    assert streamed == [True, False, True]
    assert YANN_Q in openai_server.chat_requests[1].prompt


def test_reset_forgets_conversation(llm_repl: Terminal, openai_server: FakeOpenAI) -> None:
    """/reset clears the conversation, so the next follow-up is not condensed with old turns."""
    llm_repl.ask(YANN_Q)
    llm_repl.expect("[1] WEF Davos panel")
    llm_repl.ask("/reset")
    llm_repl.expect("conversation cleared")
    llm_repl.ask("and what did he say about legislating open source?")
    llm_repl.expect("[1] WEF Davos panel")
    streamed = [bool(r.json.get("stream")) for r in openai_server.chat_requests]
    assert streamed == [True, True]
    assert YANN_Q not in openai_server.chat_requests[1].prompt


def test_ctrl_c_cancels_answer_and_repl_continues(
    llm_repl: Terminal, openai_server: FakeOpenAI
) -> None:
    """Ctrl-C during a slow answer prints 'cancelled'; the next question is answered."""
    openai_server.enqueue(Text("This answer comes far too late.", initial_delay_s=5))
    llm_repl.ask(YANN_Q)
    wait_for_request(openai_server, 1)
    llm_repl.child.sendintr()
    llm_repl.expect("cancelled", timeout=4)  # well before the slow reply would arrive
    llm_repl.ask(YANN_Q)
    llm_repl.expect("[1] WEF Davos panel")
    assert "far too late" not in llm_repl.screen
    llm_repl.expect(">")  # Ctrl-D means EOF only at the prompt
    assert llm_repl.exit_code() == 0


def test_model_error_is_one_line_and_repl_continues(
    repl_data_dir: Path, openai_server: FakeOpenAI
) -> None:
    """A failing model is one line without the key, and the prompt comes back."""
    openai_server.default = HttpError(401, f"bad key {KEY}")
    term = Terminal(
        repl_data_dir, {"OPENAI_BASE_URL": openai_server.base_url, "OPENAI_API_KEY": KEY}
    )
    try:
        term.ask(YANN_Q)
        line = term.expect("check OPENAI_API_KEY").rsplit("\n", 1)[-1]
        assert line.startswith("the model endpoint at 127.0.0.1:")  # the whole message, one line
        assert "rejected the API key (HTTP 401)" in line
        term.expect(">")
        assert KEY not in term.screen and "Traceback" not in term.screen
        assert term.exit_code() == 0
    finally:
        term.close()
