"""The answer engine with no LLM: verbatim sentences from the seeded store, cited to the file."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answer.engine import EXTRACTIVE_NOTICE, Engine
from bot.answer.verify import normalize_for_match
from bot.records import Answer, Citation
from bot.retrieve.search import QueryError
from bot.settings import Settings

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
YANN_Q = "What does Yann LeCun think about legislating open source?"
YANN = "So if you legislate open source out of existence because of fears, you slow down progress"
TIMED = {
    "000_fda30917f4cc1cf7.txt": "Can small models outperform large models?",
    "002_0a6e188aa2508fc6.txt": "What did Emad say about the Stable Diffusion license?",
    "003_45c6a50c9d8a6def.txt": "What does Stella Biderman say about training language models?",
}
# Where a timed file says what time it is: "Starting point is 00:44:28" or "[00:08.680 --> ...]".
_STAMP = re.compile(
    r"Starting point is (\d+):(\d+):(\d+)|^\[(?:(\d+):)?(\d+):(\d+(?:\.\d+)?) --> [^\]]*\]", re.M
)


@pytest.fixture
async def engine(seeded_settings: Settings) -> AsyncIterator[Engine]:
    made = Engine(seeded_settings)
    yield made
    await made.aclose()


def file_text(source: str) -> str:
    return (SEEDS / source).read_text(encoding="utf-8")


def norm(text: str) -> str:
    return normalize_for_match(text)[0].strip(" .,")


def quoted_words(c: Citation) -> str:
    """The file's text over the citation's span, without the timestamps between its lines."""
    assert c.char_start is not None and c.char_end is not None
    return _STAMP.sub(" ", file_text(c.source)[c.char_start : c.char_end])


def time_before(source: str, offset: int) -> float | None:
    """The last timestamp the file states before ``offset``."""
    last = None
    for m in _STAMP.finditer(file_text(source), 0, offset):
        if m.group(1):
            last = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        else:
            last = int(m.group(4) or 0) * 3600 + int(m.group(5)) * 60 + float(m.group(6))
    return last


def assert_cited(answer: Answer) -> None:
    """Every citation is verified, appears in the text, and its span holds exactly its quote."""
    assert answer.mode == "extractive"
    assert answer.citations
    for c in answer.citations:
        assert c.verified
        assert f"[{c.n}]" in answer.text
        assert norm(" ".join(c.quote.split())) in norm(answer.text)
        assert norm(quoted_words(c)) == norm(c.quote)


async def test_answer_quotes_verbatim_with_citations(engine: Engine) -> None:
    """A covered question gets quoted sentences whose file spans hold exactly those words."""
    answer = await engine.answer(YANN_Q)
    assert answer.grounded
    assert_cited(answer)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert any(YANN in c.quote for c in answer.citations)
    assert answer.citations[0].label == "WEF Davos panel"


@pytest.mark.parametrize("source", sorted(TIMED))
async def test_timed_sources_cite_the_segment_time(engine: Engine, source: str) -> None:
    """Quotes from timestamped transcripts carry the time the file gives for their segment."""
    answer = await engine.answer(TIMED[source])
    assert_cited(answer)
    from_source = [c for c in answer.citations if c.source == source]
    assert from_source, [c.source for c in answer.citations]
    for c in from_source:
        assert c.char_start is not None and c.start is not None
        assert c.start == pytest.approx(time_before(source, c.char_start))


async def test_untimed_panel_has_no_timestamp(engine: Engine) -> None:
    """The Davos panel transcript states no times, so its citations claim none."""
    answer = await engine.answer(YANN_Q)
    assert answer.citations and all(c.start is None for c in answer.citations)


async def test_speaker_is_named_in_the_answer(engine: Engine) -> None:
    """A quote from a labelled speaker is attributed to them by name."""
    answer = await engine.answer(YANN_Q)
    first = answer.citations[0]
    assert first.speaker == "Yann LeCun"
    assert f"**Yann LeCun** said: “{YANN}" in answer.text


@pytest.mark.parametrize("speaker", ["Daphne Koller", "Andrew Ng", "Aidan Gomez"])
async def test_speaker_named_in_question_is_preferred(engine: Engine, speaker: str) -> None:
    """'What did X say about open source' leads with X's words, not the other panellists'."""
    answer = await engine.answer(f"What did {speaker} say about open source?")
    assert_cited(answer)
    assert answer.citations[0].speaker == speaker


async def test_persona_quotes_only_that_speaker(engine: Engine) -> None:
    """In persona mode every quote is the persona's own, with the simulation notice."""
    answer = await engine.answer("What about open source?", persona="andrew ng")
    assert_cited(answer)
    assert {c.speaker for c in answer.citations} == {"Andrew Ng"}
    assert answer.persona == "Andrew Ng"
    assert answer.notice and "Andrew Ng" in answer.notice and EXTRACTIVE_NOTICE in answer.notice


async def test_unanswerable_question_is_not_grounded(engine: Engine) -> None:
    """Nothing relevant: not grounded, no citations, and a plain sentence saying so."""
    answer = await engine.answer("what is the capital of peru?")
    assert not answer.grounded
    assert answer.citations == []
    assert answer.text.startswith("The discussions don't cover that")


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("what's the pile?", "called the pile"),
        ("robin williams in a box?", "Robin Williams"),
    ],
)
async def test_a_short_question_naming_a_rare_thing_the_discussions_say_finds_it(
    engine: Engine, question: str, said: str
) -> None:
    """ "What's the pile?" is one rare word and nothing for a sentence vector to go on: the best
    passage's cosine is under the relevance bar. The word is in a passage, though, so the reply
    quotes it instead of saying the discussions don't cover it."""
    answer = await engine.answer(question)
    assert any(said.lower() in c.quote.lower() for c in answer.citations), answer.text


@pytest.mark.parametrize("question", ["who won the world cup?", "what's the weather in london?"])
async def test_an_off_topic_question_with_a_rare_word_is_still_not_covered(
    engine: Engine, question: str
) -> None:
    """ "won" and "london" are rare words the discussions say, in passages about something else:
    the plain "not covered", not four unrelated passages."""
    answer = await engine.answer(question)
    assert answer.citations == [] and answer.text.startswith("The discussions don't cover that")


async def test_notice_says_answers_are_offline(engine: Engine) -> None:
    """Grounded and refused answers alike carry the offline notice."""
    for question in (YANN_Q, "what is the capital of peru?"):
        answer = await engine.answer(question)
        assert answer.mode == "extractive"
        assert answer.notice == EXTRACTIVE_NOTICE


async def test_source_filter_limits_citations(engine: Engine) -> None:
    """With a source, every quote comes from that file."""
    answer = await engine.answer("What was said about open source?", source="004")
    assert_cited(answer)
    assert {c.source for c in answer.citations} == {"004_ec03862bfd892207.txt"}


async def test_empty_question_is_rejected(engine: Engine) -> None:
    """A blank question is a one-line QueryError."""
    with pytest.raises(QueryError, match="empty"):
        await engine.answer("   \n ")


async def test_overlong_question_is_rejected(engine: Engine) -> None:
    """A question over the limit is refused before any search."""
    with pytest.raises(QueryError, match="limit is 1000"):
        await engine.answer("why " * 2500)


async def test_best_quote_is_one_cited_sentence(engine: Engine) -> None:
    """/quote's helper returns one verified sentence by the asked speaker."""
    cite = await engine.best_quote("legislating open source", speaker="Yann")
    assert cite is not None and cite.verified and cite.speaker == "Yann LeCun"
    assert norm(quoted_words(cite)) == norm(cite.quote)


async def test_best_quote_clears_the_same_relevance_bar_as_answers(engine: Engine) -> None:
    """/quote on "the pile" finds the sentence an answer to "what's the pile?" quotes (a rare
    word a passage says), and an off-topic topic with a rare word still finds nothing."""
    cite = await engine.best_quote("the pile")
    assert cite is not None and "called the pile" in cite.quote
    assert await engine.best_quote("who won the world cup") is None


async def test_personas_list_labelled_speakers(engine: Engine) -> None:
    """Personas are the labelled speakers, each with the discussions they speak in."""
    found = {p.name: p for p in engine.personas()}
    assert {"Yann LeCun", "Andrew Ng", "Emad Mostaque"} <= set(found)
    assert found["Yann LeCun"].sources == ("WEF Davos panel",)
    assert found["Yann LeCun"].passages > 0
