"""Discord surfaces over the attacker's corpus: /quote, listings, autocomplete and echoed input
all pass the display guard (no clickable planted link, no invisible, bidi or tag characters,
no escape sequences, no pings)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import bot_settings, panelist_bot
from tests.fakes.discord_server import FakeDiscord

INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f\x1b\x07]")


@pytest.fixture
async def hostile_bot(
    fake_discord: FakeDiscord, hostile_dirs: tuple[Path, Path], tmp_path: Path
) -> AsyncIterator[PanelistBot]:
    seeds, data = hostile_dirs
    settings = bot_settings(data, tmp_path, seeds_dir=seeds)
    async with panelist_bot(fake_discord, settings) as bot:
        yield bot


def assert_inert(text: str) -> None:
    assert not INVISIBLE.search(text), repr(text)
    assert not re.search(r"(?<![<\w])https?://", text.replace("<https://", "")), text
    assert "https://evil.example" not in text, text
    assert "@everyone" not in text


async def test_quote_of_a_line_with_a_link_is_inert(
    fake_discord: FakeDiscord, hostile_bot: PanelistBot
) -> None:
    """/quote shows the phishing line as text: the link defanged, RLO and tags stripped."""
    inter = await fake_discord.send_command("quote", {"topic": "phishing link zero width tricks"})
    msg = await inter.wait_for_final_original(timeout=15)
    assert msg.content.startswith("> ")
    assert "evil[.]example" in msg.content or "hxxps" in msg.content, msg.content
    assert_inert(msg.content)


async def test_listings_and_autocomplete_are_inert(
    fake_discord: FakeDiscord, hostile_bot: PanelistBot
) -> None:
    """/sources and the source autocomplete show the hostile title without its controls."""
    inter = await fake_discord.send_command("sources")
    await inter.wait_for_response()
    assert_inert((inter.callback_body or {})["data"]["content"])
    inter = await fake_discord.send_autocomplete(
        "ask", {"question": "x", "source": ""}, focused="source"
    )
    await inter.wait_for_response()
    for choice in inter.autocomplete_choices or []:
        assert not INVISIBLE.search(choice["name"]), choice


def test_echoed_input_is_inert() -> None:
    """A topic or question echoed back loses its pings, controls and bidi overrides."""
    from bot.surfaces.discord.render import no_quote_line, question_echo

    hostile = "sourdough @everyone <@&123> \u202e\x1b]0;t\x07\U000e0041 [x](https://evil.example/x)"
    for shown in (no_quote_line(hostile, "Bob @here"), question_echo(hostile)):
        assert not INVISIBLE.search(shown), repr(shown)
        assert "@everyone" not in shown and "@here" not in shown and "<@&" not in shown
        assert not re.search(r"(?<!\\)\[[^\]]*\]\(", shown), shown  # no masked link survives


def test_error_line_echoing_input_is_inert() -> None:
    """An unknown persona or source is named back to the user without its tricks."""
    from bot.retrieve.search import QueryError
    from bot.surfaces.discord.errors import reply_line

    shown = reply_line(
        QueryError("unknown persona '@everyone \u202e\U000e0041 [x](https://evil.example/p)'")
    )
    assert not INVISIBLE.search(shown) and "@everyone" not in shown
    assert not re.search(r"(?<!\\)\[[^\]]*\]\(", shown) and "https://" not in shown, shown
