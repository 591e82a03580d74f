"""Cutting long text into Discord messages without breaking its formatting."""

from __future__ import annotations

from bot.surfaces.discord.split import balance, pack_lines, scan, split_message

SENTENCE = "The panel kept returning to whether scaling laws would hold for another decade. "


def balanced(part: str) -> bool:
    return scan(part)[-1].balanced


def test_short_text_is_one_part() -> None:
    """Text within the limit comes back as it is."""
    assert split_message("**Hello** there.") == ["**Hello** there."]


def test_every_part_fits_the_limit() -> None:
    """Parts never exceed the limit, whatever the text."""
    text = "\n\n".join(SENTENCE * 7 for _ in range(12))
    assert all(len(p) <= 2000 for p in split_message(text))


def test_cut_prefers_a_paragraph_break() -> None:
    """With a paragraph break in the second half of the window, the cut lands there."""
    first, second = SENTENCE * 15, SENTENCE * 15
    parts = split_message(f"{first}\n\n{second}")
    assert parts == [first.strip(), second.strip()]


def test_cut_falls_back_to_a_sentence_end() -> None:
    """One long paragraph is cut after a full stop, not mid-sentence."""
    parts = split_message(SENTENCE * 40)
    assert parts[0].endswith("decade.") and parts[1].startswith("The panel")


def test_bold_span_is_not_cut() -> None:
    """A cut never falls inside **bold** when a balanced place exists."""
    bold = "**" + ("a bold claim that runs on " * 6).strip() + "**"
    parts = split_message(SENTENCE * 24 + bold + " and more. " + SENTENCE * 5)  # bold spans 2000
    assert sum(bold in p for p in parts) == 1 and all(balanced(p) for p in parts)


def test_quotation_is_not_cut() -> None:
    """A quotation stays in one part."""
    quote = '"' + "we will keep scaling and it will keep working " * 8 + '"'
    text = SENTENCE * 22 + quote + " she said. " + SENTENCE * 5  # the quote spans 2000
    parts = split_message(text)
    assert sum(quote in p for p in parts) == 1


def test_oversized_bold_is_closed_and_reopened() -> None:
    """Bold longer than a message is closed at the cut and re-opened in the next part."""
    parts = split_message("**" + "word " * 700 + "end**")
    assert len(parts) == 2 and all(balanced(p) for p in parts)
    assert parts[0].endswith("**") and parts[1].startswith("**")


def test_oversized_code_block_is_fenced_in_each_part() -> None:
    """A long code block is cut at a line, each part fenced with the same language."""
    code = "\n".join(f"    value_{i} = compute({i})" for i in range(200))
    parts = split_message(f"Intro.\n```python\n{code}\n```\nAfter.")
    assert len(parts) >= 3 and all(p.count("```") % 2 == 0 for p in parts)
    assert all(p.startswith("```python\n") for p in parts[1:])
    assert "".join(parts).count("    value_") == 200


def test_text_without_spaces_is_cut_hard() -> None:
    """Even a 4500-character word is delivered, in parts within the limit."""
    parts = split_message("x" * 4500)
    assert "".join(parts) == "x" * 4500 and all(len(p) <= 2000 for p in parts)


def test_snake_case_and_bullets_are_not_markdown() -> None:
    """Underscores inside words and "* " bullets open no span."""
    assert balanced("* first_item_name\n* second_item")


def test_balance_closes_what_a_preview_leaves_open() -> None:
    """A streaming preview cut mid-span is closed so the rest of the message renders."""
    assert balance("so **he said `x") == "so **he said `x`**"


def test_pack_lines_never_splits_a_line() -> None:
    """Footnote lines are packed whole into parts."""
    lines = [f"[{i}] WEF Davos panel — Kai-Fu Lee, 00:0{i}:00" for i in range(9)]
    parts = pack_lines(lines, 100)
    assert [line for p in parts for line in p.split("\n")] == lines
    assert all(len(p) <= 100 for p in parts)
