"""Pytest fixture for the scripted OpenAI server; imported by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    """A fresh server per test, so scripted replies and recorded requests never leak between tests.

    The fixture is synchronous on purpose: the server owns its event loop in a thread, so sync
    tests, async tests and subprocesses can all use it.
    """
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
