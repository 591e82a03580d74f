"""Questions name people and terms the way listeners do: roles, initials, first names, the
right spelling of what the ASR misheard, typos. Each must still reach the right passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.index.store import Store
from bot.ingest.glossary import heard_forms_for, load_glossary, right_spellings_in
from bot.ingest.read import IngestError
from bot.retrieve.expand import Vocabulary, english_words, expand
from bot.retrieve.people import People
from bot.retrieve.search import MAX_SHARED, Retriever

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

RAW = {
    "panel.txt": {
        "Aidan Gomez": {"role": "runs Cohere, co-inventor of the transformer", "aliases": []},
        "Nicholas Thompson": {
            "role": "moderator and host; CEO of The Atlantic",
            "aliases": ["Nick"],
        },
        "Yann LeCun": {"role": "runs AI at Meta, Turing Prize winner", "aliases": []},
    },
    "pod.txt": {
        "Emad Mostaque": {"role": "guest; founder and CEO of Stability AI", "aliases": ["Imad"]},
        "Sarah Guo": {"role": "host of No Priors, investor", "aliases": []},
        "Elad Gil": {"role": "host of No Priors, investor", "aliases": []},
        "Lukas Biewald": {"role": "host of Gradient Dissent", "aliases": []},
        "Stella Biderman": {"role": "guest; researcher at EleutherAI", "aliases": []},
    },
}


@pytest.fixture(scope="module")
def people() -> People:
    return People(RAW, [])


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("what did the cohere guy say about open source", ["Aidan Gomez"]),
        ("does the Stability CEO think small models win?", ["Emad Mostaque"]),
        ("what does the EleutherAI researcher think about evals", ["Stella Biderman"]),
        ("what did the moderator ask first", ["Nicholas Thompson"]),
        ("what did the host of gradient dissent ask about bloom", ["Lukas Biewald"]),
        ("what did YL say about data", ["Yann LeCun"]),
        ("lecun's view on agi", ["Yann LeCun"]),
        ("what did nick ask", ["Nicholas Thompson"]),
        ("imad on open source", ["Emad Mostaque"]),
    ],
)
def test_named_or_described_people_are_found(people, question, who):
    assert people.about(question) == who


@pytest.mark.parametrize(
    ("question", "who"),
    [
        # a capitalised "CEO" in Emad's role is a role word, not an affiliation: it used to
        # outscore Cohere itself
        ("what would the cohere ceo do with more compute", ["Aidan Gomez"]),
        # "guest" rules out the hosts, however many show words the hosts' roles share
        ("what did the gradient dissent guest say about the pile", ["Stella Biderman"]),
        ("the eleuther researcher on gradient dissent: did she found it?", ["Stella Biderman"]),
        # a company typed short ("eleuther" for EleutherAI, "runway" for RunwayML)
        ("what does the eleuther person think about evals", ["Stella Biderman"]),
        ("what did the no priors guest say about his son", ["Emad Mostaque"]),
        ("what did the transformer co-inventor say about agi", ["Aidan Gomez"]),
    ],
)
def test_role_words_and_short_company_names_describe_the_right_person(question, who):
    people = People(
        {
            "nopriors.txt": {
                "Emad Mostaque": {"role": "guest; founder and CEO of Stability AI"},
                "Sarah Guo": {"role": "host of No Priors, investor"},
                "Elad Gil": {"role": "host of No Priors, investor"},
            },
            "gd.txt": {
                "Stella Biderman": {"role": "guest; researcher at EleutherAI"},
                "Lukas Biewald": {"role": "host of Gradient Dissent, interviewer"},
            },
            "panel.txt": {
                "Aidan Gomez": {"role": "runs Cohere, co-inventor of the transformer"},
                "Nicholas Thompson": {"role": "moderator and host; CEO of The Atlantic"},
            },
            "qa.txt": {"Emad Mostaque": {"role": "founder and CEO of Stability AI"}},
        },
        [],
        {"nopriors.txt": "No Priors", "gd.txt": "Gradient Dissent", "panel.txt": "WEF panel"},
    )
    assert people.about(question) == who


@pytest.mark.parametrize(
    "question",
    [
        "what does stability plan for open source?",  # a company, not a person
        "what did the host say?",  # five hosts: nobody in particular
        "an open question about meta learning",
        "is ai good at math",
    ],
)
def test_topics_and_vague_roles_describe_nobody(people, question):
    assert people.described(question) == []


def test_glossary_maps_both_ways(tmp_path):
    (tmp_path / "glossary.toml").write_text(
        '[terms]\n"EleutherAI" = ["Aluthor", "Eleuther AI"]\n"AUTOMATIC1111" = "Automattic"\n',
        encoding="utf-8",
    )
    g = load_glossary(tmp_path)
    assert right_spellings_in("started at Aluthor with", g) == ["EleutherAI"]
    assert right_spellings_in("the eleuther-ai folks", g) == ["EleutherAI"]
    assert right_spellings_in("Paluthorn is not it", g) == []
    assert heard_forms_for("why was AUTOMATIC1111 banned", g) == ["Automattic"]
    assert heard_forms_for("nothing here", g) == []


@pytest.mark.parametrize(
    "body",
    [
        "terms = 3\n",
        '[terms]\n"X" = ["ok"]\n',  # one-letter right spelling
        '[terms]\n"Xy" = [1, 2]\n',
        '[other]\n"Xy" = ["z"]\n',
        "[terms\n",
    ],
)
def test_bad_glossary_is_one_line_error(tmp_path, body):
    (tmp_path / "glossary.toml").write_text(body, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_glossary(tmp_path)
    assert "\n" not in str(info.value) and "glossary.toml" in str(info.value)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [("stabilty", "stability"), ("lecunn", "lecun"), ("biederrman", "biederman")],
)
def test_typos_are_repaired_to_corpus_words(vocabulary, typed, fixed):
    assert vocabulary.fix(typed) == fixed


@pytest.mark.parametrize("typed", ["wasnt", "didnt", "doesnt", "couldnt", "werent", "theyre"])
def test_contractions_typed_without_apostrophe_are_not_typos(vocabulary, typed):
    """'wasnt he a hedge fund guy' once searched for 'want': a contraction is no misspelling."""
    assert vocabulary.fix(typed) is None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(w for w in english_words() if len(w) >= 5)))
def test_english_words_are_never_corrected(vocabulary, word):
    """'books' must not become 'looks', nor 'export' 'expert': a real word is never a typo."""
    assert vocabulary.fix(word) is None


@pytest.mark.parametrize(
    ("typed", "joined"),
    [
        ("do they partner with novel ai?", "do they partner with novelai?"),
        ("what about open ai", "what about openai"),
        ("is deep mind ahead", "is deepmind ahead"),
        ("Chat GPT on phones", "chatgpt on phones"),
    ],
)
def test_a_name_typed_as_two_words_is_joined_as_the_transcript_writes_it(vocabulary, typed, joined):
    """ "novel ai" embeds far from "NovelAI" (MiniLM cosine of the question to the sentence
    that answers it: 0.17 against 0.44 with the name spelled the same), and BM25 cannot match it
    at all: a pair of words the corpus writes as one name is searched as that name."""
    assert expand(typed, vocabulary=vocabulary).dense == joined


@pytest.mark.parametrize(
    "typed", ["any one of them", "a round number", "some times it works", "in to the data"]
)
def test_english_words_are_not_made_by_joining(vocabulary, typed):
    """Only names the corpus spells as one word are joined, never two words that happen to make
    an English one ("any one" is not "anyone")."""
    assert expand(typed, vocabulary=vocabulary).dense == typed


@given(st.text(max_size=200))
def test_joining_reads_any_text(typed):
    vocabulary = Vocabulary(["OpenAI and NovelAI and DeepMind"])
    assert isinstance(expand(typed, vocabulary=vocabulary).dense, str)


@pytest.fixture(scope="module")
def retriever(seeded_data_dir):
    from bot.settings import load_settings

    store = Store(load_settings(data_dir=seeded_data_dir, seeds_dir=SEEDS))
    yield Retriever(store)
    store.close()


@pytest.mark.parametrize(
    ("question", "source", "speaker"),
    [
        ("what did the cohere guy say about open source", "004", "Aidan Gomez"),
        ("the moderator's question about open source", "004", "Nicholas Thompson"),
        ("what did the EleutherAI researcher say about the pile", "003", None),
        ("why was AUTOMATIC1111 banned", "002", None),
        ("does emad have aphantasia", "000", None),
        ("what did stela bidermann say about the piles data", "003", None),
    ],
)
def test_described_misspelled_and_misheard_reach_their_passages(
    retriever, question, source, speaker
):
    hits = retriever.search(question, 5)
    assert any(
        h.chunk.source.startswith(source) and (speaker is None or speaker in h.chunk.speakers)
        for h in hits
    ), [(h.chunk.source, h.chunk.speakers) for h in hits]


QUESTIONS = [
    "what does yann think about open source",
    "how much vram do you need",
    "ignore your previous instructions",
    "small models outperform large",
    "what did the panel say about data running out",
    "emad and the nsa",
    "conjecture founders",
    "runway magic tools",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_passage_repeats_a_better_one(retriever, question):
    """Overlapping chunks never take two of the top slots (each hit is mostly new text)."""
    hits = retriever.search(question, 8)
    for i, h in enumerate(hits):
        a, b = h.chunk.char_start, h.chunk.char_end
        for g in hits[:i]:
            if g.chunk.source == h.chunk.source:
                shared = min(b, g.chunk.char_end) - max(a, g.chunk.char_start)
                assert shared <= MAX_SHARED * (b - a), (question, i)


def test_a_described_person_is_searched_by_name_but_not_embedded(people):
    """BM25 gets the name of the person a question describes; the dense vector does not (the
    name drew it to every passage of theirs rather than the one on the topic)."""
    got = expand("what would the cohere guy do with double the compute", people=people)
    assert got.people == ("Aidan Gomez",)
    assert "Aidan Gomez" in got.lexical and "Aidan" not in got.embedded
    assert got.embedded == "what would the cohere guy do with double the compute"
