"""/panelist add-transcript: an attached file is checked, indexed in the background, searchable.

The attacks: a file over the size limit (declared, and declared small but huge on the CDN), a
binary file named .txt, a format that is not a transcript, a content type that is audio, an
empty file, a redirect off Discord's CDN, another ingest holding the index, a name clash with the
operator's files, a non-admin, and an ingest that outlives the interaction token. Every failure
is one private line, and every one leaves what was indexed before exactly as it was.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.index.catalog import Catalog
from bot.index.ingest import ingest
from bot.index.lock import WriterLock
from bot.index.store import Store
from bot.settings import Settings
from bot.surfaces.discord.add_transcript import ANOTHER_INGEST
from bot.surfaces.discord.bot import PanelistBot
from tests.discord.helpers import bot_settings, panelist_bot
from tests.fakes.discord_cdn import FakeAttachment
from tests.fakes.discord_models import (
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    CallbackType,
    FakeInteraction,
)
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, HttpError
from tests.index.helpers import fake_settings, write_corpus

QUOKKA = (
    "[00:00.000 --> 00:05.000]  Quokkas are the happiest marsupials on Rottnest Island.\n"
    "[00:05.000 --> 00:11.000]  Tourists queue for selfies with the quokkas every morning.\n"
    "[00:11.000 --> 00:18.000]  Rangers ask visitors never to feed them bread or chips.\n"
)
LIMIT_MB = 1.0


@dataclass
class Setup:
    fake: FakeDiscord
    bot: PanelistBot
    data_dir: Path
    model: FakeOpenAI


def snapshot(data_dir: Path) -> dict[str, tuple[str, int, frozenset[str]]]:
    """What is indexed: per source, its content hash, passage count and chunk ids."""
    catalog = Catalog(data_dir / "catalog.sqlite3")
    try:
        return {
            r.source: (r.file_hash, r.n_chunks, frozenset(catalog.chunk_ids(r.source)))
            for r in catalog.sources()
        }
    finally:
        catalog.close()


def prepare(tmp_path: Path, model: FakeOpenAI) -> Path:
    data_dir = tmp_path / "data"
    store = Store(fake_settings(data_dir, model))
    try:
        ingest(store, [write_corpus(tmp_path / "corpus")])
    finally:
        store.close()
    return data_dir


def upload_settings(
    fake: FakeDiscord, data_dir: Path, tmp_path: Path, model: FakeOpenAI
) -> Settings:
    """The bot on ``data_dir`` with the fake's embeddings; attachments come from the fake's CDN
    because DISCORD_API_BASE points at the fake (as it would at any Discord-compatible server)."""
    return bot_settings(
        data_dir, tmp_path, model,
        embedding_backend="openai", embedding_model="fake-embed", max_file_mb=LIMIT_MB,
        discord_api_base=fake.api_base,
    )  # fmt: skip


@pytest.fixture
async def setup(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, tmp_path: Path
) -> AsyncIterator[Setup]:
    data_dir = prepare(tmp_path, openai_server)
    async with panelist_bot(
        fake_discord, upload_settings(fake_discord, data_dir, tmp_path, openai_server)
    ) as bot:
        yield Setup(fake_discord, bot, data_dir, openai_server)


@pytest.fixture
def gate(openai_server: FakeOpenAI) -> Iterator[threading.Event]:
    """Embedding of the quokka file waits until the test sets the gate."""
    opened, ended = threading.Event(), threading.Event()

    def hook(texts: list[str]) -> HttpError | None:
        if any("uokka" in t for t in texts):
            opened.wait(30)
            if ended.is_set():  # the test is over: an ingest still running ends, adding nothing
                return HttpError(500, "test over")
        return None

    openai_server.embedding_hook = hook
    yield opened
    ended.set()
    opened.set()
    openai_server.embedding_hook = None


async def add(
    fake: FakeDiscord, attachment: FakeAttachment, user: str = "alice"
) -> FakeInteraction:
    return await fake.send_command("panelist", {"add-transcript": {"file": attachment}}, user=user)


async def outcome(fake: FakeDiscord, inter: FakeInteraction, timeout: float = 20.0) -> str:
    """The private message once it stops saying ⏳ (the final line)."""

    def settled(_: object) -> bool:
        msg = inter.original_message()
        return msg is not None and not msg.loading and not msg.content.startswith("⏳")

    await fake.wait_for(
        lambda a: a.interaction is inter and settled(a), timeout=timeout, what="the outcome"
    )
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral
    assert not inter.followups, "one message, edited: no follow-ups"
    return msg.content


def one_line(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text and "/tmp" not in text, text


# --- the good case --------------------------------------------------------------------------


async def test_an_added_transcript_is_searchable_at_once(setup: Setup) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    inter = await add(fake, fake.attach("quokka_talk.txt", QUOKKA))
    said = await outcome(fake, inter)
    assert inter.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
    assert said.startswith("✅ Added **Quokka talk**") and "searchable now" in said
    assert "3 passages" in said or "passage" in said
    edits = [a for a in inter.actions if a.kind == "webhook.original.edit"]
    assert any("⏳" in str((a.json or {}).get("content")) for a in edits), "progress was shown"

    after = snapshot(setup.data_dir)
    assert {k: after[k] for k in before} == before, "nothing indexed before changed"
    assert "quokka_talk.txt" in after

    quote = await fake.send_command("quote", {"topic": "happiest marsupials on Rottnest"})
    found = await quote.wait_for_final_original(timeout=15)
    assert "Quokkas are the happiest marsupials" in found.content
    listing = await fake.send_command("sources")
    await listing.wait_for_response()
    assert "Quokka talk" in (listing.callback_body or {})["data"]["content"]


async def test_the_event_loop_answers_while_it_indexes(setup: Setup, gate: threading.Event) -> None:
    """/panelist status is answered in time while the upload's embedding is held up."""
    fake = setup.fake
    inter = await add(fake, fake.attach("quokka_talk.txt", QUOKKA))
    await fake.wait_for(
        lambda a: a.interaction is inter and "Embedding" in str((a.json or {}).get("content")),
        timeout=15,
        what="the embedding stage",
    )
    status = await fake.send_command("panelist", {"status": {}}, user="alice")
    await status.wait_for_response(timeout=3)
    assert status.response_delay is not None and status.response_delay < 3.0
    shown = status.original_message()
    assert shown is not None and "**Adding** quokka\\_talk.txt" in shown.content
    # A second upload meanwhile is refused at once, without a download.
    second = fake.attach("other_talk.txt", QUOKKA)
    refused = await add(fake, second)
    await refused.wait_for_response(timeout=3)
    msg = refused.original_message()
    assert msg is not None and msg.ephemeral and "being added right now" in msg.content
    assert second.requests == 0
    assert not gate.is_set()  # the ingest was still running through all of this
    gate.set()
    assert "✅ Added" in await outcome(fake, inter)


async def test_an_ingest_starting_during_the_download_is_reported(setup: Setup) -> None:
    """The lock is taken only to index: a `panelist ingest` that started meanwhile wins."""
    fake, before = setup.fake, snapshot(setup.data_dir)
    att = fake.attach("quokka_talk.txt", QUOKKA, stall_s=1.0)
    inter = await add(fake, att)
    await inter.wait_for_response()
    with WriterLock(setup.data_dir):
        said = await outcome(fake, inter)
    assert said == ANOTHER_INGEST
    assert snapshot(setup.data_dir) == before
    assert not list((setup.data_dir / "uploads" / ".incoming").iterdir())


async def test_an_unrecognised_layout_is_added_with_a_warning(setup: Setup) -> None:
    """As with `panelist ingest`, text in no known layout is indexed as plain paragraphs, and
    the admin is told so (what to fix to get speakers and times)."""
    fake = setup.fake
    text = "Quokkas are the happiest marsupials.\n\nThey live on islands.\n"
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", text)))
    assert said.startswith("✅ Added") and "read as plain" in said
    assert "\n⚠️ unrecognised transcript format" in said


async def test_a_hostile_title_is_shown_inert(setup: Setup) -> None:
    """The title comes from the file's own header: no link, ping or bidi trick survives."""
    fake = setup.fake
    header = "[Free](https://evil.example) @everyone \u202eevil\u202c <@&123> **loud**\n\n"
    text = header + "Starting point is 00:00:00\nQuokkas are the happiest marsupials.\n"
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", text)))
    assert said.startswith("✅ Added")
    assert "@everyone" not in said and "<@&123>" not in said and "\u202e" not in said
    assert "](https://evil.example)" not in said and "**loud**" not in said


async def test_a_server_with_chosen_discussions_sees_the_new_one(setup: Setup) -> None:
    fake = setup.fake
    hide = await fake.send_command(
        "panelist", {"settings": {"source": {"source": "panel.txt", "visible": False}}}
    )
    await hide.wait_for_response()
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", QUOKKA)))
    assert "added to the discussions this server sees" in said
    scope = setup.bot.answering.servers.get(GUILD_ID).scope
    assert scope == {"talk.txt", "quokka_talk.txt"}


async def test_an_upload_can_be_replaced_by_its_server(setup: Setup) -> None:
    fake = setup.fake
    await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", QUOKKA)))
    newer = QUOKKA + "[00:18.000 --> 00:25.000]  Quokkas can climb small trees to find leaves.\n"
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", newer)))
    assert said.startswith("✅ Updated")
    folders = list((setup.data_dir / "uploads" / str(GUILD_ID)).iterdir())
    assert len(folders) == 1, "the old copy is gone once the new one is indexed"


# --- refused before any download ------------------------------------------------------------


async def test_too_big_is_refused_before_downloading(setup: Setup) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    big = fake.attach("long_talk.txt", QUOKKA.encode() * 5000)
    inter = await add(fake, big)
    await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral
    one_line(msg.content)
    assert "up to 1.0 MB" in msg.content and "PANELIST_" not in msg.content
    assert big.requests == 0
    assert snapshot(setup.data_dir) == before


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("episode.pdf", "application/pdf", "not a transcript format"),
        ("episode", None, "not a transcript format"),
        ("episode.mp3", "audio/mpeg", "not a transcript format"),
        ("episode.txt", "audio/mpeg", "not a text transcript"),
        ("manifest.toml", "text/plain", "not a transcript format"),
        ("readme.md", "text/markdown", "reserved"),
        ("evil\u202etxt.srt", "text/plain", "characters I can't store"),
        (".hidden.txt", "text/plain", "characters I can't store"),
    ],
)
async def test_unknown_format_or_name_is_refused_before_downloading(
    setup: Setup, filename: str, content_type: str | None, expected: str
) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    att = fake.attach(filename, QUOKKA, content_type=content_type)
    inter = await add(fake, att)
    await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral and expected in msg.content, msg and msg.content
    one_line(msg.content)
    assert "\u202e" not in msg.content
    assert att.requests == 0
    assert snapshot(setup.data_dir) == before


async def test_another_ingest_holding_the_index_is_reported(setup: Setup) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    att = fake.attach("quokka_talk.txt", QUOKKA)
    with WriterLock(setup.data_dir):
        inter = await add(fake, att)
        await inter.wait_for_response()
    msg = inter.original_message()
    assert msg is not None and msg.ephemeral and "Another ingest" in msg.content
    assert att.requests == 0 and snapshot(setup.data_dir) == before


async def test_a_member_without_manage_server_cannot_run_it(setup: Setup) -> None:
    fake = setup.fake
    [group] = [c for c in fake.commands() if c["name"] == "panelist"]
    assert int(group["default_member_permissions"]) == 1 << 5  # MANAGE_GUILD
    sub = {o["name"]: o for o in group["options"]}["add-transcript"]
    assert [(o["name"], o["type"], o.get("required")) for o in sub["options"]] == [
        ("file", 11, True)
    ]
    with pytest.raises(LookupError, match="hidden from bob"):
        await add(fake, fake.attach("quokka_talk.txt", QUOKKA), user="bob")


# --- refused after the download -------------------------------------------------------------


async def test_a_file_larger_than_declared_is_cut_off_while_streaming(setup: Setup) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    huge = fake.attach("quokka_talk.txt", b"a" * 65536, repeat=400, declared_size=2048)
    said = await outcome(fake, await add(fake, huge))
    one_line(said)
    assert "over 1.0 MB" in said and "Discord said 2 KB" in said
    assert huge.served < huge.size / 2, f"read {huge.served} of {huge.size} bytes"
    assert snapshot(setup.data_dir) == before
    assert not list((setup.data_dir / "uploads" / ".incoming").iterdir())


async def test_a_binary_file_is_refused_in_one_line(setup: Setup) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    png = bytes(range(256)) * 8
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", png)))
    one_line(said)
    assert "binary" in said and "was not added" in said
    assert snapshot(setup.data_dir) == before
    assert not (setup.data_dir / "uploads" / str(GUILD_ID)).exists() or not list(
        (setup.data_dir / "uploads" / str(GUILD_ID)).iterdir()
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"   \n\t\n", "empty"),
        ("Quokka caf\u00e9 notes".encode("latin-1") * 40, "not valid UTF-8"),
        ("\ufeffhi".encode("utf-16"), "UTF-16"),
    ],
)
async def test_unreadable_text_is_refused_in_one_line(
    setup: Setup, data: bytes, expected: str
) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", data)))
    one_line(said)
    assert expected in said
    assert snapshot(setup.data_dir) == before


async def test_a_failed_update_keeps_the_version_already_indexed(
    setup: Setup, openai_server: FakeOpenAI
) -> None:
    fake = setup.fake
    await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", QUOKKA)))
    before = snapshot(setup.data_dir)
    openai_server.embedding_hook = lambda texts: HttpError(500, "embedding server down")
    newer = QUOKKA + "[00:18.000 --> 00:25.000]  Quokkas can climb small trees to find leaves.\n"
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", newer)))
    openai_server.embedding_hook = None
    one_line(said)
    assert "was not added" in said
    assert snapshot(setup.data_dir) == before
    catalog = Catalog(setup.data_dir / "catalog.sqlite3")
    try:
        record = catalog.source("quokka_talk.txt")
    finally:
        catalog.close()
    assert record is not None and Path(record.path).read_text() == QUOKKA
    quote = await fake.send_command("quote", {"topic": "happiest marsupials on Rottnest"})
    assert "Quokkas are the happiest" in (await quote.wait_for_final_original(timeout=15)).content


async def test_a_name_taken_by_the_operators_files_is_refused(setup: Setup) -> None:
    fake, before = setup.fake, snapshot(setup.data_dir)
    said = await outcome(fake, await add(fake, fake.attach("talk.txt", QUOKKA)))
    one_line(said)
    assert "already indexed from the bot's own files" in said
    assert snapshot(setup.data_dir) == before


async def test_a_redirect_off_the_cdn_is_not_followed(setup: Setup) -> None:
    """A redirect to another host (a loopback listener that counts who connects)."""
    fake, before = setup.fake, snapshot(setup.data_dir)
    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    listener = await asyncio.start_server(count, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        att = fake.attach("quokka_talk.txt", QUOKKA, redirect_to=f"http://127.0.0.1:{port}/x")
        said = await outcome(fake, await add(fake, att))
    finally:
        listener.close()
        await listener.wait_closed()
    one_line(said)
    assert "Downloading" in said and "redirected the download elsewhere" in said
    assert att.requests == 1 and connections == 0
    assert snapshot(setup.data_dir) == before


async def test_a_cdn_error_is_one_line(setup: Setup) -> None:
    fake = setup.fake
    said = await outcome(fake, await add(fake, fake.attach("quokka_talk.txt", QUOKKA, status=503)))
    one_line(said)
    assert "HTTP 503" in said


# --- the 15-minute token --------------------------------------------------------------------


async def test_an_ingest_outliving_the_token_reports_in_the_channel(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, tmp_path: Path, gate: threading.Event
) -> None:
    data_dir = prepare(tmp_path, openai_server)
    settings = upload_settings(fake_discord, data_dir, tmp_path, openai_server)
    async with panelist_bot(fake_discord, settings, fake_clock=True):
        fake = fake_discord
        inter = await add(fake, fake.attach("quokka_talk.txt", QUOKKA))
        await fake.wait_for(
            lambda a: a.interaction is inter and "Embedding" in str((a.json or {}).get("content")),
            timeout=15,
            what="the embedding stage",
        )
        fake.advance_clock(14 * 60)
        await fake.wait_for(
            lambda a: (
                a.interaction is inter
                and "post the result in this channel" in str((a.json or {}).get("content"))
            ),
            timeout=10,
            what="the hand-over notice",
        )
        gate.set()
        posted = await fake.wait_for_message(
            GENERAL_CHANNEL_ID, lambda m: "Added" in m.content, timeout=20
        )
    assert posted.content.startswith(f"<@{inter.user.id}> ✅ Added")
    late = [a for a in inter.actions if a.at - inter.created_at > 15 * 60]
    assert late == [], "nothing used the token after it expired"


async def test_nothing_waits_on_the_upload_at_shutdown(
    fake_discord: FakeDiscord, openai_server: FakeOpenAI, tmp_path: Path, gate: threading.Event
) -> None:
    """Closing the bot mid-ingest does not hang on the ingest; the index is the one before."""
    data_dir = prepare(tmp_path, openai_server)
    before = snapshot(data_dir)
    settings = upload_settings(fake_discord, data_dir, tmp_path, openai_server)
    async with panelist_bot(fake_discord, settings) as bot:
        inter = await add(fake_discord, fake_discord.attach("quokka_talk.txt", QUOKKA))
        await fake_discord.wait_for(
            lambda a: a.interaction is inter and "Embedding" in str((a.json or {}).get("content")),
            timeout=15,
            what="the embedding stage",
        )
        await asyncio.wait_for(bot.close(), 20)
    assert snapshot(data_dir) == before
