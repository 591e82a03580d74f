"""Answers as Discord messages: footnotes kept whole, mentions and link previews defused."""

from __future__ import annotations

from bot.answer.engine import EXTRACTIVE_NOTICE
from bot.records import Answer, Citation
from bot.surfaces.discord.render import (
    answer_parts,
    discord_safe,
    neutralise_mentions,
    preview,
    wrap_links,
)


def citation(n: int) -> Citation:
    return Citation(
        n=n,
        source="004.txt",
        title="WEF Panel",
        speaker="Kai-Fu Lee",
        start=60.0 * n,
        quote="it will still be at incredible rates",
        verified=True,
        char_start=0,
        char_end=10,
        url=f"https://www.youtube.com/watch?v=abc&t={60 * n}s",
        label="WEF Davos panel",
    )


def test_everyone_and_user_mentions_become_look_alikes() -> None:
    """@everyone, @here and <@id> are shown but are no longer mentions."""
    text = neutralise_mentions("@everyone @here <@123> <@!45> <@&6>")
    assert "@" not in text and "＠everyone" in text and "<＠123>" in text


def test_bare_links_are_wrapped_and_wrapped_ones_kept() -> None:
    """Bare URLs get <...> (trailing punctuation outside); wrapped ones are left alone."""
    assert wrap_links("see https://a.example/x.") == "see <https://a.example/x>."
    assert wrap_links("see <https://a.example/x>") == "see <https://a.example/x>"


def test_footnotes_follow_the_body_when_they_fit() -> None:
    """A short answer is one message: body, blank line, footnotes."""
    parts = answer_parts(Answer('He said "x" [1].', "llm", True, None, [citation(1)]))
    assert parts == [
        'He said "x" [1].\n\n[1] WEF Davos panel — Kai-Fu Lee, 00:01:00 '
        "<https://www.youtube.com/watch?v=abc&t=60s>"
    ]


def test_footnotes_that_do_not_fit_move_together() -> None:
    """When the footnotes do not fit under the body they start the next message, all together."""
    body = ("The panel spoke at length. " * 70).strip()
    parts = answer_parts(Answer(body, "llm", True, None, [citation(i) for i in range(1, 6)]))
    assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
    assert [line[:3] for line in parts[1].splitlines()] == ["[1]", "[2]", "[3]", "[4]", "[5]"]


def test_offline_notice_names_no_setting() -> None:
    """The extractive notice shown on Discord does not tell users about environment variables."""
    parts = answer_parts(
        Answer("x [1]", "extractive", True, None, [citation(1)], EXTRACTIVE_NOTICE)
    )
    assert parts[-1].splitlines()[-1].startswith("-# Offline mode")
    assert "OPENAI" not in parts[-1]


def test_preview_is_marked_unfinished_and_fits() -> None:
    """A streaming preview of a long reply shows the first message's worth, marked with …"""
    shown = preview("**Point** " + "more words follow here. " * 200, question="why?")
    assert len(shown) <= 2000 and shown.endswith(" …") and shown.startswith("> why?")


def test_discord_safe_is_idempotent() -> None:
    """Rendering an already safe text again changes nothing (answers pass through twice)."""
    once = discord_safe("@everyone read https://a.example/x")
    assert discord_safe(once) == once
