"""The offline answerer's confidence: a near-miss question (every topic word in the passages, the
asked-for value nowhere) is not grounded; a question one sentence answers is, and leads with it.

Passages are built here, not taken from the seeds, so each test controls exactly what the
passages contain; cosines come from the real local MiniLM model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answer import confidence
from bot.answer.extractive import term_idf
from bot.answer.offline import MAYBE, MAYBE_FROM, NO_VALUE, NOT_DIRECTLY, assemble
from bot.index.embed import LocalEmbedder
from bot.records import Chunk, Excerpt, Hit, Piece

SOURCE = "panel.txt"
FILLER = [
    "Panel: The weather in the valley was mild for most of the spring this year.",
    "Panel: Our office moved twice before we found a building near the train station.",
    "Panel: The team plays football on Fridays and nobody keeps the score anymore.",
    "Panel: Coffee in the kitchen is free and the espresso machine is always broken.",
    "Panel: The hiring process takes a while because every candidate meets the whole team.",
]


def chunk(lines: Sequence[str], n: int) -> Chunk:
    """One passage: 'Speaker: text' lines, untimed, each line its own piece."""
    text_lines, pieces, offset = [], [], 0
    for line in lines:
        speaker, _, words = line.partition(": ")
        pieces.append(Piece(offset, 1000 * n + offset, len(words), None, None, speaker))
        text_lines.append(words)
        offset += len(words) + 1
    return Chunk(f"c{n}", SOURCE, "A panel", "\n".join(text_lines), tuple(pieces))


@pytest.fixture(scope="module")
def embed():
    model = LocalEmbedder()

    def run(texts: list[str]) -> np.ndarray:
        v = model.embed_documents(texts)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return run


def reply(
    question: str,
    passages: Sequence[Sequence[str]],
    embed,
    glossary=None,
    named=(),
    insist=(),
    model=None,
):
    chunks = [chunk(p, i) for i, p in enumerate(passages, 1)]
    excerpts = [Excerpt(i, c) for i, c in enumerate(chunks, 1)]
    vectors = embed([question, *(c.text for c in chunks)])
    hits = [
        Hit(
            c,
            1.0 / (60 + i),
            dense_rank=i,
            lexical_rank=i,
            similarity=float(vectors[i] @ vectors[0]),
        )
        for i, c in enumerate(chunks, 1)
    ]
    corpus = [" ".join(p) for p in passages] + FILLER
    made = assemble(
        question,
        excerpts,
        hits,
        named=list(named),
        idf=term_idf(corpus),
        embed=embed,
        sources={SOURCE: ("A panel", "A panel", None)},
        glossary=glossary,
        insist=insist,
        model=model,
    )
    assert made is not None
    return made


PRICING = [
    "Host: Tell us about the Zephyr subscription for studios.",
    "Dana: The Zephyr subscription for studios is how most of our customers start with us.",
    "Dana: Studios like the Zephyr subscription because it bundles rendering and storage.",
]
PRICE = "Dana: The Zephyr subscription for studios costs forty dollars a month per seat."


def test_question_for_an_amount_is_not_grounded_when_no_passage_has_one(embed):
    """'How much does X cost' against passages about X with no amount: the reply says the
    discussions don't seem to cover it, however well the topic words match."""
    made = reply("how much does the zephyr subscription for studios cost?", [PRICING], embed)
    assert made.features.value_missing == 1.0
    assert not made.confident
    assert made.text.startswith(NO_VALUE.format(what="amount"))


def test_unsure_reply_shows_one_more_passage_than_a_confident_one(embed):
    """Unsure, the reader has to find the answer among the closest passages: four are shown;
    confident, the answer and at most two more."""
    more = [
        ["Dana: Zephyr studio customers ask about the subscription for studios all the time."],
        ["Lee: We redesigned the Zephyr subscription for studios page last spring."],
    ]
    q = "how much does the zephyr subscription for studios cost?"
    unsure = reply(q, [PRICING, *more], embed)
    assert not unsure.confident and len(unsure.citations) == 4
    sure = reply(q, [PRICING, *more, [PRICE]], embed)
    assert sure.confident and len(sure.citations) == 3


def test_question_answered_in_one_sentence_leads_with_it_and_is_grounded(embed):
    """The same question, with the priced sentence in the second passage: it is the first quote,
    and the reply is confident."""
    made = reply(
        "how much does the zephyr subscription for studios cost?",
        [PRICING, [*FILLER[:2], PRICE]],
        embed,
    )
    assert made.features.value_missing == 0.0
    assert "forty dollars a month" in made.citations[0].quote
    assert made.confident, made.probability
    assert made.text.startswith("- **Dana** said: “The Zephyr subscription for studios costs")


def test_value_question_leads_with_the_quote_that_holds_a_value(embed):
    """When the best-scoring quote has no number and another shown quote has one, the one with
    the number leads, and the reply does not claim the number is missing."""
    made = reply(
        "how many render nodes does the zephyr studio farm have?",
        [
            [
                "Dana: The Zephyr studio farm has render nodes in every region we serve.",
                "Dana: Zephyr studio farm render nodes are where all our rendering happens.",
            ],
            ["Dana: Right now the Zephyr farm runs on 480 render nodes in three buildings."],
        ],
        embed,
    )
    assert "480 render nodes" in made.citations[0].quote
    assert made.features.value_missing == 0.0
    assert "give that number" not in made.text


def test_quote_by_someone_else_than_the_person_asked_about_counts_against(embed):
    """'What does Dana think…' answered only by Lee's words: the feature says so."""
    q = "what does dana think about spot instances for rendering?"
    lee = ["Lee: Spot instances for rendering saved us money, I think they are the future."]
    assert reply(q, [lee], embed, named=["Dana"]).features.other_speaker == 1.0


def test_person_named_outright_leads_when_one_of_the_quotes_is_theirs(embed):
    """Lee's sentence is closer to the question, but the question names Dana: her words lead,
    Lee's follow."""
    q = "what does dana think about spot instances for rendering?"
    lee = ["Lee: Spot instances for rendering saved us money, I think they are the future."]
    dana = ["Dana: Evictions worry me, so our rendering farm avoids spot instances at night."]
    made = reply(q, [lee, dana], embed, named=["Dana"], insist=["Dana"])
    assert [c.speaker for c in made.citations] == ["Dana", "Lee"]


def test_glossary_spelling_counts_as_the_word_the_transcript_heard(embed):
    """A question spelling a name right ("EleutherAI") is covered by the transcript's heard form
    ("Aluthor AI") through the glossary, and not without it."""
    passages = [["Stella: Aluthor AI started as a chat server for people excited about GPT-3."]]
    q = "how did eleutherai get started?"
    plain = reply(q, passages, embed)
    fixed = reply(q, passages, embed, glossary={"EleutherAI": ("Aluthor AI",)})
    assert fixed.features.window_coverage > plain.features.window_coverage
    assert fixed.features.window_coverage == pytest.approx(1.0)


def test_unsure_but_close_reply_says_it_may_answer(embed):
    """Below the operating point but not far: the reply says the passages may answer it, not
    that the discussions don't cover it."""
    strict = confidence.Model(confidence.MODEL.weights, confidence.MODEL.bias, threshold=0.999)
    q = "how much does the zephyr subscription for studios cost?"
    made = reply(q, [PRICING, [PRICE]], embed, model=strict)
    assert not made.confident and made.probability >= MAYBE_FROM
    assert made.text.startswith(MAYBE)


def test_hedged_reply_without_a_value_question_says_not_directly(embed):
    """A question that asks for no value, answered by nothing close: the general hedge."""
    made = reply("what does dana think about remote work?", [FILLER[:3]], embed)
    assert not made.confident
    assert made.text.startswith(NOT_DIRECTLY)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how much did stability pay for the image data?", "money"),
        ("what does a dreamstudio credit cost per image", "money"),
        ("how many members does the discord have", "count"),
        ("how big is the pile in gigabytes", "count"),
        ("when does version 3 come out?", "time"),
        ("what year did noam leave google", "time"),
        ("what does yann think about open source?", None),
        ("why did they stop training?", None),
        ("what did emad invest in back when he ran a hedge fund", None),
        ("and when is the release?", "time"),
        ("whats the release date for the chinese model", "time"),
    ],
)
def test_value_questions_are_recognised(question, kind):
    patterns = {"money": confidence._MONEY, "count": confidence._COUNT, "time": confidence._TIME}
    assert confidence.asks_for(question) is (patterns[kind] if kind else None)


SCHEDULER = [
    "Host: The Zephyr render scheduler is famous in the studio world.",
    "Dana: A colleague of mine wrote the Zephyr render scheduler years ago, it still runs nightly.",
]


def test_question_for_a_name_is_not_grounded_when_the_quote_names_nobody(embed):
    """'Who wrote X' against a passage saying "a colleague of mine wrote X": on the topic, every
    word matched, and no name in it. (A near-miss kind the blind writers wrote many of.)"""
    made = reply("who wrote the zephyr render scheduler?", [SCHEDULER], embed)
    assert made.features.name_missing == 1.0
    assert not made.confident, made.probability


def test_question_for_a_name_answered_by_a_name(embed):
    """The same question, where the passage names the author: the feature is off and the quote
    that names her leads."""
    named = ["Dana: Priya Natarajan wrote the Zephyr render scheduler years ago, it still runs."]
    made = reply("who wrote the zephyr render scheduler?", [SCHEDULER, named], embed)
    assert made.features.name_missing == 0.0
    assert "Priya Natarajan" in made.citations[0].quote


@pytest.mark.parametrize(
    ("question", "asks_name"),
    [
        ("who wrote the gradient reversal paper", True),
        ("and who founded it?", True),
        ("whats nora's last name", True),
        ("what's the name of the congresswoman who wanted them banned", True),
        ("what is the paper called", True),
        ("which company did he sell it to", True),
        ("what did the guy who runs eleuther say about compute", False),
        ("what does yann think about open source?", False),
    ],
)
def test_name_questions_are_recognised(question, asks_name):
    assert bool(confidence._NAME_Q.search(question)) is asks_name


@pytest.mark.parametrize(
    ("quote", "question", "names"),
    [
        ("A colleague of mine wrote it. It still runs.", "who wrote the scheduler", False),
        ("So we teamed up with Adobe on that.", "who are they working with", True),
        ("I think I'm the one who wrote it.", "who wrote it", False),
        ("Stella wrote the paper.", "what did stella write", False),  # only a sentence start
        ("The paper by Stella was great.", "who wrote what stella's paper cites", False),
        ("The paper by Colin Raffel was great.", "who wrote the paper", True),
    ],
)
def test_names_something_counts_only_new_names_inside_sentences(quote, question, names):
    assert confidence.names_something(quote, question) is names


def test_question_whose_asked_about_words_no_quote_has_is_marked(embed):
    """'What programming languages does the Zephyr model support' against passages about the
    Zephyr model's code, none naming a language: the asked-about words are missing."""
    passages = [
        [
            "Dana: The Zephyr code model writes whole applications from a short description.",
            "Dana: We trained the Zephyr code model on public repositories for three months.",
        ]
    ]
    q = "what programming languages does the zephyr code model support"
    made = reply(q, passages, embed)
    assert made.features.focus_missing == 1.0
    answered = [["Dana: The Zephyr code model supports Python, Rust and Go as languages."]]
    assert reply(q, [*passages, *answered], embed).features.focus_missing == 0.0


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("what programming languages does it support", {"program", "languag"}),
        ("whats the carbon footprint of training it?", {"carbon", "footprint"}),
        ("how many gpus does stability own", {"gpus"}),
        ("and which license did they pick", {"licens"}),
        ("what did andrew ng say about landing ai", set()),
        ("why did they stop?", set()),
    ],
)
def test_focus_terms_are_the_words_after_the_question_word(question, focus):
    assert confidence.focus_terms(question) == focus


@given(st.text(max_size=300), st.text(max_size=100))
def test_name_check_reads_any_text(quote, question):
    """Hostile or binary-looking text: a yes or no, never an error."""
    assert confidence.names_something(quote, question) in (True, False)
    assert confidence._NAME_Q.search(question) is None or question
    assert isinstance(confidence.focus_terms(question + quote), set)


@pytest.mark.parametrize(
    ("question", "quote", "holds"),
    [
        ("when did eleuther start", "I run Eleuther AI, a soon-to-be non-profit.", False),
        ("when did eleuther start", "It started in July of 2020.", True),
        ("how much does each tablet cost", "We're deploying four million tablets.", False),
        ("how much does each tablet cost", "Each tablet costs about $50.", True),
    ],
)
def test_a_value_is_a_real_date_or_a_priced_amount(question, quote, holds):
    """ "Soon" is no date and "four million tablets" no price: both once made a near-miss look
    answered."""
    value = confidence.asks_for(question)
    assert value is not None and bool(value.search(quote)) is holds


@given(st.text(max_size=300))
def test_asks_for_reads_any_text(text):
    """Any text, hostile or not: a pattern or None, never an error."""
    assert confidence.asks_for(text) in (
        None,
        confidence._MONEY,
        confidence._COUNT,
        confidence._TIME,
    )


def test_model_reads_a_missing_value_and_a_better_match_the_right_way():
    """Whatever a refit makes of the weights, a missing value or a quote by someone other than
    the person asked about must lower the confidence; a closer sentence and fuller coverage must
    raise it."""
    base = confidence.Features(0.5, 0.6, 0.6, 0.0, 1.0, 0.0, 0.0, 0.0)
    m = confidence.MODEL
    assert m.probability(base.__class__(**{**_d(base), "value_missing": 1.0})) < m.probability(base)
    assert m.probability(base.__class__(**{**_d(base), "lead_cosine": 0.8})) > m.probability(base)
    assert m.probability(base.__class__(**{**_d(base), "window_coverage": 1.0})) > m.probability(
        base
    )
    assert m.probability(base.__class__(**{**_d(base), "other_speaker": 1.0})) < m.probability(base)
    assert m.probability(base.__class__(**{**_d(base), "name_missing": 1.0})) < m.probability(base)
    assert m.probability(base.__class__(**{**_d(base), "focus_missing": 1.0})) < m.probability(base)
    assert len(m.weights) == len(confidence.FEATURES)


def _d(f: confidence.Features) -> dict[str, float]:
    return dict(zip(confidence.FEATURES, f.vector(), strict=True))
