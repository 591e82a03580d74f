"""The names a reply's quotes are checked against follow the index: a speaker added by a later
ingest is known to the next answer, though the list is kept between answers."""

from __future__ import annotations

from pathlib import Path

from bot.answer.engine import Engine
from bot.index.ingest import ingest
from bot.index.store import Store
from tests.fakes.openai_server import FakeOpenAI
from tests.index.helpers import PANEL, fake_settings, write_corpus


def test_speaker_names_follow_an_ingest(tmp_path: Path, openai_server: FakeOpenAI) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    store = Store(fake_settings(tmp_path / "data", openai_server))
    ingest(store, [corpus])
    engine = Engine(store.settings.offline(), store=store)
    first = engine.speaker_names()
    assert "Charles Babbage" in first and "Mary Somerville" not in first
    assert engine.speaker_names() == first

    more = PANEL.replace("Ada Lovelace", "Mary Somerville").replace("AL:", "MS:")
    (corpus / "more.txt").write_text(more, encoding="utf-8")
    ingest(store, [corpus])
    assert "Mary Somerville" in engine.speaker_names()
    store.close()
