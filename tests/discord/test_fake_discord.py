"""The loopback fake Discord, exercised through a real discord.py client.

The bot here is deliberately minimal and lives in this file: these tests pin down the fake's
behaviour (what discord.py sends, what Discord would answer), not the product bot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from tests.fakes.discord_fixtures import fake_discord_server, running_bot
from tests.fakes.discord_models import (
    ALICE_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    CallbackType,
    FakeDiscordConfig,
    MessageFlag,
)
from tests.fakes.discord_server import FakeDiscord

T = TypeVar("T")


class ConfirmView(discord.ui.View):
    """One button whose callback reports the click back to the test."""

    def __init__(self, bot: ProbeBot) -> None:
        super().__init__(timeout=30)
        self.bot = bot

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.primary)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="confirmed", view=None)
        self.stop()  # otherwise the 30 s timeout task outlives the client
        await self.bot.clicked.put(interaction)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    """A one-field modal so the submit path can be checked end to end."""

    comment: discord.ui.TextInput = discord.ui.TextInput(label="Comment", custom_id="comment")

    def __init__(self, bot: ProbeBot) -> None:
        super().__init__()
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.comment.value}")
        await self.bot.submitted.put(self.comment.value)


class ProbeBot(commands.Bot):
    """Smallest bot that touches every fake feature: commands, views, modals, on_message."""

    def __init__(self, intents: discord.Intents | None = None) -> None:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, help_command=None)
        self.inbox: asyncio.Queue[discord.Message] = asyncio.Queue()
        self.errors: asyncio.Queue[discord.HTTPException] = asyncio.Queue()
        self.clicked: asyncio.Queue[discord.Interaction] = asyncio.Queue()
        self.submitted: asyncio.Queue[str] = asyncio.Queue()
        self.new_threads: asyncio.Queue[discord.Thread] = asyncio.Queue()
        self.interactions: list[discord.Interaction] = []
        self.late_gate = asyncio.Event()
        self.choice_count = 3

    async def setup_hook(self) -> None:
        self.tree.add_command(
            app_commands.Command(name="ping", description="Ping", callback=self._ping)
        )
        self.tree.add_command(
            app_commands.Command(name="slow", description="Slow", callback=self._slow)
        )
        self.tree.add_command(
            app_commands.Command(name="late", description="Late", callback=self._late)
        )
        self.tree.add_command(
            app_commands.Command(name="buttons", description="Buttons", callback=self._buttons)
        )
        self.tree.add_command(
            app_commands.Command(name="feedback", description="Feedback", callback=self._feedback)
        )
        search = app_commands.Command(name="search", description="Search", callback=self._search)
        search.autocomplete("topic")(self._topics)
        self.tree.add_command(search)

    async def _ping(self, interaction: discord.Interaction) -> None:
        self.interactions.append(interaction)
        try:
            await interaction.response.send_message(
                "pong", allowed_mentions=discord.AllowedMentions.none(), suppress_embeds=True
            )
        except discord.HTTPException as exc:
            await self.errors.put(exc)

    async def _slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done")

    async def _late(self, interaction: discord.Interaction) -> None:
        await self.late_gate.wait()
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            await self.errors.put(exc)

    async def _buttons(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pick", view=ConfirmView(self))

    async def _feedback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal(self))

    async def _search(self, interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"searching {topic}")

    async def _topics(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{current}-{i}", value=f"{current}-{i}")
            for i in range(self.choice_count)
        ]

    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user:
            return
        await self.inbox.put(message)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        await self.new_threads.put(thread)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_server() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[ProbeBot]:
    client = ProbeBot()
    async with running_bot(client, fake):
        await client.tree.sync()
        yield client
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not leftover, f"tasks still running after close: {leftover}"


async def next_item(queue: asyncio.Queue[T], timeout: float = 5.0) -> T:
    return await asyncio.wait_for(queue.get(), timeout)


async def test_bot_receives_ready_and_guild(bot: ProbeBot) -> None:
    """READY + GUILD_CREATE give discord.py a guild with its text channels."""
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None and guild.name == "Panel Club"
    assert {c.name for c in guild.text_channels} == {"general", "panel"}


async def test_tree_sync_stores_commands(fake: FakeDiscord, bot: ProbeBot) -> None:
    """tree.sync() bulk-overwrites global commands and gets ids back."""
    synced = await bot.tree.sync()
    stored = {c["name"]: c["id"] for c in fake.commands()}
    assert stored == {c.name: str(c.id) for c in synced}
    assert set(stored) == {"ping", "slow", "late", "buttons", "feedback", "search"}


async def test_guild_sync_routes_guild_commands(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Commands synced to a guild are stored per guild and invoked with that guild_id."""
    guild = discord.Object(id=GUILD_ID)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    handle = await fake.send_command("ping")
    await handle.wait_for_response()
    assert "ping" in {c["name"] for c in fake.commands(GUILD_ID)}
    assert handle.data["guild_id"] == str(GUILD_ID)


async def test_slash_command_gets_response(fake: FakeDiscord, bot: ProbeBot) -> None:
    """A /ping interaction is answered with a channel message."""
    handle = await fake.send_command("ping")
    await handle.wait_for_response()
    original = handle.original_message()
    assert handle.response_type == CallbackType.CHANNEL_MESSAGE
    assert original is not None and original.content == "pong"


async def test_response_records_mentions_and_flags(fake: FakeDiscord, bot: ProbeBot) -> None:
    """allowed_mentions and SUPPRESS_EMBEDS from the response body are recorded."""
    handle = await fake.send_command("ping")
    action = await handle.wait_for_response()
    assert action.allowed_mentions == {"parse": []}
    assert action.flags is not None and action.flags & MessageFlag.SUPPRESS_EMBEDS


async def test_deferred_then_followup(fake: FakeDiscord, bot: ProbeBot) -> None:
    """A thinking defer followed by a follow-up completes the placeholder message."""
    handle = await fake.send_command("slow")
    final = await handle.wait_for_final_original()
    assert handle.deferred_at is not None and handle.deferred_at - handle.created_at < 3.0
    assert final.content == "done" and [m.id for m in handle.followups] == [final.id]


async def test_response_after_deadline_is_unknown_interaction(
    fake: FakeDiscord, bot: ProbeBot
) -> None:
    """An initial response more than 3 s after dispatch raises NotFound 10062."""
    handle = await fake.send_command("late")
    fake.advance_clock(3.1)
    bot.late_gate.set()
    error = await next_item(bot.errors)
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert not handle.acknowledged


async def test_second_initial_response_is_rejected(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Two processes answering one interaction: the second gets 400 / 40060."""
    async with running_bot(ProbeBot(), fake) as twin:
        await fake.send_command("ping")
        rejected = await fake.wait_for(lambda a: a.kind == "interaction.callback" and not a.ok)
        async with asyncio.timeout(5):
            while bot.errors.empty() and twin.errors.empty():
                await asyncio.sleep(0.01)
        loser = bot if not bot.errors.empty() else twin
        error = loser.errors.get_nowait()
    assert (rejected.status, rejected.error_code, error.code) == (400, 40060, 40060)


async def test_message_over_2000_chars_is_rejected(bot: ProbeBot) -> None:
    """A 2001-character message fails with 400 / 50035 Invalid Form Body."""
    channel = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert caught.value.status == 400 and caught.value.code == 50035


async def test_message_of_2000_chars_is_accepted(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Exactly 2000 characters is within the limit."""
    channel = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("x" * 2000)
    stored = fake.message(sent.id)
    assert stored is not None and len(stored.content) == 2000


async def test_dm_reaches_on_message(fake: FakeDiscord, bot: ProbeBot) -> None:
    """A DM dispatched as MESSAGE_CREATE without guild_id arrives as a DMChannel message."""
    await fake.send_dm("alice", "hello bot")
    message = await next_item(bot.inbox)
    assert isinstance(message.channel, discord.DMChannel)
    assert message.content == "hello bot" and message.author.id == ALICE_ID


async def test_bot_can_open_a_dm(fake: FakeDiscord, bot: ProbeBot) -> None:
    """User.send opens a DM channel and the message lands there."""
    user = await bot.fetch_user(ALICE_ID)
    await user.send("hello alice")
    message = await fake.wait_for_message(fake.dm_channel_for("alice").id)
    assert message.content == "hello alice" and message.guild_id is None


async def test_send_without_permission_is_forbidden() -> None:
    """Posting where the bot lacks SEND_MESSAGES fails with 403 / 50013."""
    config = FakeDiscordConfig()
    config.guilds[0].channels[0].bot_can_send = False
    async with fake_discord_server(config) as server, running_bot(ProbeBot(), server) as client:
        channel = client.get_channel(GENERAL_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        assert not channel.permissions_for(channel.guild.me).send_messages
        with pytest.raises(discord.Forbidden) as caught:
            await channel.send("hi")
    assert caught.value.code == 50013


async def test_thread_created_from_message(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Starting a thread from a message returns a thread with the message's id and dispatches it."""
    channel = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("topic")
    thread = await message.create_thread(name="Discussion")
    announced = await next_item(bot.new_threads)
    assert thread.id == message.id == announced.id
    stored = fake.channel(thread.id)
    assert stored is not None and stored.parent_id == GENERAL_CHANNEL_ID


async def test_suppressed_everyone_pings_nobody(fake: FakeDiscord, bot: ProbeBot) -> None:
    """@everyone with allowed_mentions parse [] is recorded and pings nobody."""
    channel = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("@everyone look", allowed_mentions=discord.AllowedMentions.none())
    stored = fake.message(sent.id)
    assert stored is not None and stored.allowed_mentions == {"parse": []}
    assert not stored.pings.anyone


async def test_default_everyone_pings_everyone(fake: FakeDiscord, bot: ProbeBot) -> None:
    """@everyone without allowed_mentions pings everyone (the bot may mention everyone)."""
    channel = bot.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("@everyone look")
    stored = fake.message(sent.id)
    assert stored is not None and not stored.allowed_mentions_sent
    assert stored.pings.everyone


async def test_autocomplete_returns_choices(fake: FakeDiscord, bot: ProbeBot) -> None:
    """An autocomplete interaction is answered with type 8 choices."""
    handle = await fake.send_autocomplete("search", {"topic": "cl"}, focused="topic")
    await handle.wait_for_response()
    assert handle.autocomplete_choices is not None
    assert [c["name"] for c in handle.autocomplete_choices] == ["cl-0", "cl-1", "cl-2"]


async def test_autocomplete_over_25_choices_is_rejected(fake: FakeDiscord, bot: ProbeBot) -> None:
    """More than 25 autocomplete choices fail with 400 / 50035."""
    bot.choice_count = 26
    handle = await fake.send_autocomplete("search", {"topic": "cl"}, focused="topic")
    action = await fake.wait_for(lambda a: a.interaction is handle)
    assert (action.status, action.error_code) == (400, 50035)


async def test_button_click_reaches_view(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Clicking the bot's button runs the view callback, which updates the message."""
    command = await fake.send_command("buttons")
    await command.wait_for_response()
    message = command.original_message()
    assert message is not None and message.custom_ids() == ["confirm"]
    click = await fake.click(message, "confirm")
    await next_item(bot.clicked)
    assert click.response_type == CallbackType.UPDATE_MESSAGE
    assert message.content == "confirmed" and message.components == []


async def test_modal_submit_reaches_modal(fake: FakeDiscord, bot: ProbeBot) -> None:
    """A modal shown by the bot can be submitted and reaches Modal.on_submit."""
    shown = await fake.send_command("feedback")
    await shown.wait_for_response()
    await fake.submit_modal(shown, {"comment": "great panel"})
    assert await next_item(bot.submitted) == "great panel"


async def test_followup_after_token_expiry_is_rejected(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Follow-ups more than 15 minutes after the interaction fail with 401 / 50027."""
    handle = await fake.send_command("ping")
    await handle.wait_for_response()
    fake.advance_clock(15 * 60 + 1)
    with pytest.raises(discord.HTTPException) as caught:
        await bot.interactions[-1].followup.send("much later")
    assert caught.value.status == 401 and caught.value.code == 50027


async def test_reconnect_resumes_session(fake: FakeDiscord, bot: ProbeBot) -> None:
    """After op 7 RECONNECT the client RESUMEs and still receives events."""
    await fake.request_reconnect()
    while fake.resume_count == 0:
        await asyncio.sleep(0.01)
    await fake.send_message(GENERAL_CHANNEL_ID, "bob", "still there?")
    message = await next_item(bot.inbox)
    assert message.content == "still there?" and fake.identify_count == 1


async def test_unknown_route_is_recorded(fake: FakeDiscord, bot: ProbeBot) -> None:
    """Routes the fake lacks answer 404 and are listed in unknown_routes."""
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/guilds/{guild_id}/audit-logs", guild_id=GUILD_ID))
    assert [a.path for a in fake.unknown_routes] == [f"/guilds/{GUILD_ID}/audit-logs"]


async def test_content_blanked_without_intent() -> None:
    """Without MESSAGE_CONTENT, guild messages that do not mention the bot arrive empty."""
    config = FakeDiscordConfig(message_content_intent=False)
    async with fake_discord_server(config) as server:
        client = ProbeBot(intents=discord.Intents.default())
        async with running_bot(client, server):
            await server.send_message(GENERAL_CHANNEL_ID, "alice", "secret words")
            message = await next_item(client.inbox)
    assert message.content == ""


async def test_content_visible_when_bot_is_mentioned() -> None:
    """Without MESSAGE_CONTENT, a message mentioning the bot keeps its content."""
    config = FakeDiscordConfig(message_content_intent=False)
    async with fake_discord_server(config) as server:
        client = ProbeBot(intents=discord.Intents.default())
        async with running_bot(client, server):
            text = f"{server.bot_user.mention} what did they say?"
            await server.send_message(GENERAL_CHANNEL_ID, "alice", text)
            message = await next_item(client.inbox)
    assert message.content == text


async def test_disallowed_privileged_intent_fails_login() -> None:
    """Identifying with MESSAGE_CONTENT while the portal toggle is off raises 4014."""
    config = FakeDiscordConfig(message_content_intent=False)
    async with fake_discord_server(config) as server:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running_bot(ProbeBot(), server):
                pass
