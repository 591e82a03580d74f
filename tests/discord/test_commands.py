"""/quote, /sources, /personas, /help and the autocomplete behind /ask and /quote."""

from __future__ import annotations

from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import final_answer
from tests.fakes.discord_models import GENERAL_CHANNEL_ID, Perm
from tests.fakes.discord_server import FakeDiscord

COMMANDS = {"ask", "quote", "sources", "personas", "help", "panelist", "Ask panelist about this"}


async def test_commands_are_registered_with_options(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """The tree syncs every command; /ask has an autocompleted persona and source."""
    synced = {c["name"]: c for c in fake_discord.commands()}
    assert set(synced) == COMMANDS
    options = {o["name"]: o for o in synced["ask"]["options"]}
    assert options["question"]["required"]
    assert options["persona"]["autocomplete"] and options["source"]["autocomplete"]


async def test_quote_gives_a_verbatim_quote_with_its_footnote(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """/quote answers with one quoted line from the transcript and its citation."""
    inter = await fake_discord.send_command(
        "quote", {"topic": "open research progress", "speaker": "Yann LeCun"}
    )
    msg = await inter.wait_for_final_original(timeout=10)
    quote, footnote = msg.content.split("\n")
    assert quote.startswith("> ") and footnote.startswith("[1] WEF Davos panel — Yann LeCun")


async def test_quote_without_a_match_says_so_privately(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """A topic nobody talked about gets a clear line only the asker sees."""
    inter = await fake_discord.send_command("quote", {"topic": "sourdough starter hydration"})
    [line] = await inter.wait_for_followups(1, timeout=10)
    assert line.content.startswith("No quote matches") and line.ephemeral


async def test_sources_lists_titles_dates_and_participants(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """/sources names each discussion with its date and who took part."""
    inter = await fake_discord.send_command("sources")
    await inter.wait_for_response()
    text = (inter.callback_body or {})["data"]["content"]
    assert "**No Priors** (2023-02-16)" in text
    assert "Yann LeCun, Kai-Fu Lee" in text and text.count("\n  ") == 5


async def test_personas_lists_speakers(fake_discord: FakeDiscord, offline_bot: PanelistBot) -> None:
    """/personas lists the labelled speakers with where they speak."""
    inter = await fake_discord.send_command("personas")
    await inter.wait_for_response()
    text = (inter.callback_body or {})["data"]["content"]
    assert "**Kai-Fu Lee** — WEF Davos panel" in text


async def test_help_is_private(fake_discord: FakeDiscord, offline_bot: PanelistBot) -> None:
    """/help explains the commands, DMs and mentions, visible only to the asker."""
    inter = await fake_discord.send_command("help")
    await inter.wait_for_response()
    data = (inter.callback_body or {})["data"]
    assert "/ask" in data["content"] and "mention me" in data["content"] and data["flags"] & 64


async def test_persona_autocomplete_filters_by_what_was_typed(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """Typing "kai" offers Kai-Fu Lee and nobody without "kai" in their entry."""
    inter = await fake_discord.send_autocomplete(
        "ask", {"question": "x", "persona": "kai"}, focused="persona"
    )
    await inter.wait_for_response()
    choices = inter.autocomplete_choices or []
    assert [c["value"] for c in choices] == ["Kai-Fu Lee"]


async def test_source_autocomplete_returns_file_names(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """Typing "davos" offers the WEF panel, whose value is the file /ask filters on."""
    inter = await fake_discord.send_autocomplete(
        "ask", {"question": "x", "source": "davos"}, focused="source"
    )
    await inter.wait_for_response()
    choices = inter.autocomplete_choices or []
    assert [c["value"] for c in choices] == ["004_ec03862bfd892207.txt"]


async def test_empty_autocomplete_offers_at_most_25(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """Nothing typed yet: every speaker is offered, within Discord's limit of 25."""
    inter = await fake_discord.send_autocomplete(
        "quote", {"topic": "x", "speaker": ""}, focused="speaker"
    )
    await inter.wait_for_response()
    choices = inter.autocomplete_choices or []
    assert 0 < len(choices) <= 25 and "Kai-Fu Lee" in {c["value"] for c in choices}


async def test_ask_with_source_chosen_by_autocomplete(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """The source value autocomplete offers is accepted by /ask and limits the answer to it."""
    inter = await fake_discord.send_command(
        "ask",
        {"question": "What was said about open research?", "source": "004_ec03862bfd892207.txt"},
    )
    msg = await final_answer(inter)
    footnotes = [line for line in msg.content.splitlines() if line.startswith("[")]
    assert footnotes and all("WEF Davos panel" in f for f in footnotes)


# --- the message context menu and /panelist (issue 12, items 4 and 5) ------------------------


async def test_ask_about_a_message_without_the_intent(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """Apps → "Ask panelist about this" answers about the message, though the bot cannot read
    the channel (no message-content intent): Discord sends the target with the interaction."""
    assert not offline_bot.intents.message_content
    said = await fake_discord.send_message(
        GENERAL_CHANNEL_ID, "bob", "Yann LeCun said open research is the way forward"
    )
    inter = await fake_discord.send_context_menu("Ask panelist about this", said, user="alice")
    msg = await final_answer(inter)
    assert msg.content.startswith("> Yann LeCun said open research") and "[1]" in msg.content


async def test_commands_declare_where_they_work(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """User-installable with explicit contexts; /panelist only on servers, for Manage Server."""
    synced = {c["name"]: c for c in fake_discord.commands()}
    assert synced["ask"]["contexts"] == [0, 1, 2] and synced["ask"]["integration_types"] == [0, 1]
    admin = synced["panelist"]
    assert admin["contexts"] == [0] and admin["integration_types"] == [0]
    assert int(admin["default_member_permissions"]) == Perm.MANAGE_GUILD
    assert synced["Ask panelist about this"]["type"] == 3


async def test_admin_status_reports_mode_sources_and_queue(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """/panelist status is private and says what an admin needs to know."""
    inter = await fake_discord.send_command("panelist", {"status": {}}, user="alice")
    await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral
    assert "extractive" in msg.content and "Sources" in msg.content and "waiting" in msg.content


async def test_admin_feedback_summarises_votes(
    fake_discord: FakeDiscord, offline_bot: PanelistBot
) -> None:
    """A 👎 under an answer shows up in /panelist feedback with its question."""
    asked = await fake_discord.send_command("ask", {"question": "What about open research?"})
    answer = await final_answer(asked)
    vote = await fake_discord.click(answer, "panelist:vote:down", user="bob")
    await vote.wait_for_response()
    inter = await fake_discord.send_command("panelist", {"feedback": {}}, user="alice")
    await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral
    assert "1 votes: 0 👍, 1 👎" in msg.content and "What about open research?" in msg.content
