"""Which sentences the offline answerer quotes: the reply rather than a run of the host's
questions, and the sentence closest in meaning when several share the question's words.

Passages are built here so that each test controls exactly what they contain; cosines come from
the real local MiniLM model (the ``embed`` fixture of test_confidence).
"""

from __future__ import annotations

from bot.answer.extractive import select
from bot.records import Excerpt
from tests.answer.test_confidence import chunk, embed, reply  # noqa: F401  (fixture)


def test_a_run_of_host_questions_hands_over_to_the_reply(embed):  # noqa: F811
    """The host asks two questions in a row; the quote is the guest's reply, never the second
    question (it used to lead with "Or is he falling short because his ideas are wrong?")."""
    made = reply(
        "is dana's rendering approach the right way?",
        [
            [
                "Host: Is Dana pursuing rendering the right way?",
                "Host: Or is she falling short because her rendering ideas are wrong?",
                "Guest: I think she is right about rendering, and the farm numbers show it.",
            ]
        ],
        embed,
    )
    quotes = [c.quote for c in made.citations]
    assert quotes and all(not q.rstrip().endswith("?") for q in quotes), quotes
    assert quotes[0].startswith("I think she is right about rendering")


def test_questions_with_no_reply_in_view_are_not_quoted(embed):  # noqa: F811
    """Two questions and nothing after them in the passage: neither is a quote."""
    ex = [
        Excerpt(
            1,
            chunk(
                [
                    "Host: Is Dana pursuing rendering the right way today?",
                    "Host: Or is she falling short because her rendering ideas are wrong?",
                ],
                1,
            ),
        )
    ]
    sel = select("is dana's rendering approach the right way?", ex, embed=embed)
    assert sel.passages == []


def test_selection_prefers_the_sentence_closest_in_meaning(embed):  # noqa: F811
    """Of two sentences sharing the question's words, the one that answers it (closest in
    meaning) leads."""
    ex = [
        Excerpt(
            1, chunk(["Dana: Rendering farms come up at every studio meeting about rendering."], 1)
        ),
        Excerpt(
            2,
            chunk(["Dana: We cut rendering time in half by moving the farm to spot instances."], 2),
        ),
    ]
    sel = select("how did they make rendering faster?", ex, embed=embed)
    assert "in half" in sel.passages[0].text


def test_a_question_the_speaker_asks_and_answers_is_quoted_with_the_answer(embed):  # noqa: F811
    """A speaker reading a community question aloud and answering it (or asking themselves one):
    the quote keeps the question as the start of the answer, since both are theirs; only a
    question by someone else hands over to the reply."""
    made = reply(
        "will the zephyr farm get gpus next year?",
        [
            [
                "Dana: Will the Zephyr farm get GPUs next year, asks someone in the chat?",
                "Dana: Yes, we are adding four hundred of them to the farm in March.",
            ]
        ],
        embed,
    )
    first = made.citations[0].quote
    assert first.startswith("Will the Zephyr farm get GPUs next year"), first
    assert "four hundred of them" in first
    assert made.citations[0].speaker == "Dana"


def test_a_question_for_a_number_brings_the_sentence_holding_one_into_the_quotes(embed):  # noqa: F811
    """'How many people are in the Zephyr community' is answered by "about two and a half
    thousand members", which shares no word with it; the sentences that do share the words hold
    no number. Told the question asks for a count, the selection quotes the number; otherwise it
    scores too far under the best sentence to be shown at all."""
    from bot.answer import confidence

    ex = [
        Excerpt(
            1,
            chunk(
                [
                    "Dana: The Zephyr community started as a chat room for people who render.",
                    "Dana: Honestly it's about two and a half thousand of them now.",
                    "Dana: We also send a newsletter to the community on Fridays.",
                ],
                1,
            ),
        )
    ]
    q = "how many people are in the zephyr community"
    value = confidence.asks_for(q)
    assert value is not None

    def quotes(**kw: object) -> list[str]:
        return [s.text for s in select(q, ex, limit=2, embed=embed, extend=False, **kw).passages]

    assert not any("two and a half thousand" in t for t in quotes())
    assert any("two and a half thousand" in t for t in quotes(value=value))


def test_a_quote_that_keeps_its_speakers_question_stays_within_the_word_cap(embed):  # noqa: F811
    """Question, reply and one more sentence of the same speaker would run past the passage
    cap: the quote keeps the question and the reply, and stops there."""
    filler = "and honestly that part of the render farm story matters to all of us here"
    made = reply(
        "will the zephyr farm get gpus next year?",
        [
            [
                f"Dana: Will the Zephyr farm get GPUs next year, {filler}, {filler}?",
                f"Dana: Yes, we are adding four hundred of them in March, {filler}, {filler}.",
                f"Dana: After that we will look at storage again, {filler}, {filler}.",
            ]
        ],
        embed,
    )
    first = made.citations[0].quote
    assert first.startswith("Will the Zephyr farm get GPUs") and "four hundred" in first
    assert "storage again" not in first
    assert len(first.split()) <= 90
