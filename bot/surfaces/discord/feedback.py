"""👍/👎 under each answer: the buttons, a local JSONL of votes, and its summary.

The buttons are ``DynamicItem``s matched by custom_id pattern, so they keep working on answers
posted before a restart and no per-message view is held in memory. The question, answer and
citations behind a vote are remembered for recent answers; for older ones (after a restart) the
vote still records the answer text as shown, and the question where the message echoes it.

Votes stay on the operator's machine (``PANELIST_FEEDBACK_FILE``, default
``<data dir>/feedback.jsonl``). Users are recorded as a salted hash of their id, so the file
says which votes came from the same person without saying who that is.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import discord

from bot.records import Citation
from bot.settings import Settings

log = logging.getLogger(__name__)

Vote = Literal["up", "down"]
CUSTOM_ID = "panelist:vote:{vote}"
_REMEMBERED = 5000
_ECHO = re.compile(r"\A> (.+)")


def feedback_path(settings: Settings) -> Path:
    return settings.discord.feedback_file or settings.data_dir / "feedback.jsonl"


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What a vote is about."""

    question: str | None
    answer: str
    citations: tuple[dict[str, Any], ...] = ()
    persona: str | None = None

    @classmethod
    def of(
        cls, question: str, answer: str, citations: Sequence[Citation], persona: str | None
    ) -> AnswerContext:
        cited = tuple(
            {
                "n": c.n,
                "source": c.source,
                "title": c.title,
                "speaker": c.speaker,
                "start": c.start,
                "quote": c.quote,
                "url": c.url,
            }
            for c in citations
        )
        return cls(question, answer, cited, persona)

    @classmethod
    def from_message(cls, content: str) -> AnswerContext:
        """Best effort for an answer the bot no longer remembers (posted before a restart)."""
        echo = _ECHO.match(content)
        return cls(echo.group(1) if echo else None, content)


@dataclass
class FeedbackSummary:
    votes: int
    up: int
    down: int
    ratio: float | None  # share of 👍 among votes; None without votes
    recent_down: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class FeedbackStore:
    """Append-only JSONL of votes; appends are serialised so concurrent clicks never interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._recent: OrderedDict[int, AnswerContext] = OrderedDict()

    # --- answers the bot has just posted --------------------------------------------------
    def remember(self, message_id: int, context: AnswerContext) -> None:
        self._recent[message_id] = context
        while len(self._recent) > _REMEMBERED:
            self._recent.popitem(last=False)

    def context_for(self, message_id: int) -> AnswerContext | None:
        return self._recent.get(message_id)

    # --- votes -----------------------------------------------------------------------------
    def record(
        self, vote: Vote, user_id: int, message_id: int, context: AnswerContext
    ) -> dict[str, Any]:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": self._pseudonym(user_id),
            "vote": vote,
            "message_id": str(message_id),
            "question": context.question,
            "answer": context.answer,
            "citations": list(context.citations),
            "persona": context.persona,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        return entry

    def read(self) -> list[dict[str, Any]]:
        """Every vote in file order; a damaged line (a crash mid-write) is skipped, not fatal."""
        if not self.path.exists():
            return []
        votes = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("vote") in ("up", "down"):
                votes.append(entry)
        return votes

    def summary(self, recent: int = 5) -> FeedbackSummary:
        """Counts with each user's last vote per answer, so changing one's mind counts once."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for entry in self.read():
            latest[(str(entry.get("message_id")), str(entry.get("user")))] = entry
        votes = list(latest.values())
        up = sum(1 for v in votes if v["vote"] == "up")
        down = len(votes) - up
        downs = [v for v in votes if v["vote"] == "down"][::-1][:recent]
        return FeedbackSummary(
            votes=len(votes),
            up=up,
            down=down,
            ratio=round(up / len(votes), 3) if votes else None,
            recent_down=[
                {"ts": v.get("ts"), "question": v.get("question"), "answer": v.get("answer")}
                for v in downs
            ],
        )

    def _pseudonym(self, user_id: int) -> str:
        salt_file = self.path.with_name(self.path.name + ".salt")
        with self._lock:
            if not salt_file.exists():
                salt_file.parent.mkdir(parents=True, exist_ok=True)
                salt_file.write_text(secrets.token_hex(16), encoding="utf-8")
            salt = salt_file.read_text(encoding="utf-8").strip()
        return hmac.new(salt.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"panelist:vote:(?P<vote>up|down)"
):
    """One of the two buttons; the vote is in the custom_id, the answer is the clicked message."""

    def __init__(self, vote: Vote) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=CUSTOM_ID.format(vote=vote),
            )
        )
        self.vote: Vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> VoteButton:
        return cls("up" if match["vote"] == "up" else "down")

    async def callback(self, interaction: discord.Interaction) -> None:
        store: FeedbackStore = interaction.client.answering.feedback  # type: ignore[attr-defined]
        message = interaction.message
        if message is None:
            return
        context = store.context_for(message.id) or AnswerContext.from_message(message.content)
        try:
            await asyncio.to_thread(
                store.record, self.vote, interaction.user.id, message.id, context
            )
        except OSError as exc:
            log.warning("recording a vote failed: %s", type(exc).__name__)
            line = "Sorry, I couldn't record that vote."
        else:
            log.info("vote %s on message %s", self.vote, message.id)
            line = "Thanks, noted 👍" if self.vote == "up" else "Thanks, noted 👎"
        await interaction.response.send_message(
            line, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


def vote_view() -> discord.ui.View:
    """A fresh view with both buttons; sent views of DynamicItems hold no per-message state."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton("up"))
    view.add_item(VoteButton("down"))
    return view
