"""A question that names a discussion ("in the notes", "on No Priors") is answered from it, and
one that names two hears from both."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.index.store import Store
from bot.retrieve.discussions import MAX_NAMED, Discussions
from bot.retrieve.search import Retriever
from tests.linearity import cpu_seconds

ROOT = Path(__file__).resolve().parents[2]

NAMES = {
    "a.txt": ["No Priors", "No Priors", "podcast"],
    "b.txt": ["Podcast notes", "Notes on several podcast episodes", "notes"],
    "c.txt": ["Stability AI community Q&A", "Discord", "Q&A"],
    "d.txt": ["Gradient Dissent", None, "podcast"],
}


@pytest.mark.parametrize(
    ("question", "sources"),
    [
        ("on the No Priors podcast, what got him into AI?", ["a.txt"]),
        ("what was the game of thrones thing in the NOTES lol", ["b.txt"]),
        ("in the podcast notes, what movie is sydney compared to", ["b.txt"]),
        ("how many people were in the stability discord", ["c.txt"]),
        ("same in the notes and in the q&a?", ["b.txt", "c.txt"]),
        ("what did the podcast host ask", ["a.txt", "d.txt"]),
        ("on the podcast and in the discord, the same?", ["a.txt", "c.txt", "d.txt"]),
        # not names: parts of other words, other phrases
        ("what is in his notebook", []),
        ("why did gradient descent need tricks", []),
        ("is there a discordant view on priors", []),
        ("", []),
    ],
)
def test_discussions_named_by_whole_phrase_longest_first(question, sources):
    assert Discussions(NAMES).named(question) == sources


def test_a_name_that_fits_many_discussions_names_none():
    """100 episodes of one show: "on No Priors" says which show, not which episode."""
    many = {f"ep{i}.txt": ["No Priors"] for i in range(MAX_NAMED + 1)}
    assert Discussions(many).named("on no priors, what about open source") == []
    assert Discussions(dict(list(many.items())[:MAX_NAMED])).named("no priors") == sorted(
        list(many)[:MAX_NAMED]
    )


@given(st.text(max_size=300))
def test_any_text_names_only_known_sources(text):
    named = Discussions(NAMES).named(text)
    assert set(named) <= set(NAMES) and len(named) <= MAX_NAMED


@pytest.fixture(scope="module")
def retriever(seeded_data_dir):
    from bot.settings import load_settings

    store = Store(load_settings(data_dir=seeded_data_dir, seeds_dir=ROOT / "seeds"))
    yield Retriever(store)
    store.close()


# Emad Mostaque speaks about each of these in three discussions.
TOPICS = [
    "what does emad think about open source",
    "what does emad say about artists",
    "what did emad say about regulation",
    "emad on AGI",
    "what does emad say about education",
]
WHERE = {"000": "on no priors", "001": "in the notes", "002": "in the discord q&a"}


@pytest.mark.parametrize("topic", TOPICS)
def test_the_named_discussion_answers_first(retriever, topic):
    """Without the name, these questions find the passages of whichever discussion says the
    most about the topic; named, the first passage comes from the one named."""
    wrong = {}
    for prefix, where in WHERE.items():
        hits = retriever.search(f"{topic}, {where}", 5)
        if not hits[0].chunk.source.startswith(prefix):
            wrong[where] = [h.chunk.source[:3] for h in hits]
    assert not wrong


@pytest.mark.parametrize("topic", TOPICS)
def test_two_named_discussions_are_both_heard(retriever, topic):
    hits = retriever.search(f"{topic}: same in the notes and in the discord q&a?", 5)
    assert {"001", "002"} <= {h.chunk.source[:3] for h in hits}


def test_a_source_filter_or_the_allowed_sources_overrule_the_name(retriever):
    question = "what does emad say about artists in the notes"
    assert {h.chunk.source[:3] for h in retriever.search(question, 5, source="002")} == {"002"}
    allowed = {s for s in retriever.state().sources if not s.startswith("001")}
    hits = retriever.search(question, 5, allowed=allowed)
    assert hits and all(h.chunk.source in allowed for h in hits)


def test_the_cost_of_a_question_does_not_grow_with_the_number_of_sources():
    """Every search asks which discussions the question names; with thousands of sources that
    must stay a lookup per word, not a scan of every name."""

    def names(n: int) -> dict[str, list[str]]:
        return {f"ep{i}.txt": [f"episode {i} of show{i}", f"guest{i} special"] for i in range(n)}

    question = " ".join(f"what did guest{i} say on the show about episode {i}" for i in range(60))
    small, big = Discussions(names(200)), Discussions(names(3200))
    cpu_small = cpu_seconds(lambda: [small.named(question) for _ in range(10)])
    cpu_big = cpu_seconds(lambda: [big.named(question) for _ in range(10)])
    # 16 times the sources: at most 4 times the CPU, or too quick to time (tests/linearity.py)
    assert cpu_big < 4 * cpu_small or cpu_big < 0.25
