"""Answers, quotes and listings as Discord message text.

Everything the bot writes passes through ``discord_safe``: mentions are neutralised (the answer
engine already does this for generated text, but a transcript quote, a title or a question echoed
back never went through the model) and every link is wrapped in ``<...>``, which Discord never
previews. Sending with ``AllowedMentions.none()`` is the second lock, not the only one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from discord.utils import escape_markdown

from bot.answer.engine import EXTRACTIVE_NOTICE, PersonaInfo
from bot.answer.render import footnote_line
from bot.guard.reply import defang_links
from bot.guard.unicode import strip_escapes, strip_invisible
from bot.index.catalog import SourceRecord
from bot.records import Answer, Citation
from bot.surfaces.discord.split import LIMIT, balance, pack_lines, split_message

# Discord readers cannot set environment variables; the engine's notice names them.
OFFLINE_NOTICE = "Offline mode: replies quote the recordings verbatim; generated answers are off."
STREAMING_MARK = " …"
ECHO_CHARS = 300

_EVERYONE = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ID_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_BARE_URL = re.compile(r"(?<![<\w])(https?://[^\s<>]+)", re.IGNORECASE)
_URL_TAIL = ".,;:!?'\")]*_~"

HELP = """\
**panelist** answers questions from recorded discussions and quotes them, with a footnote for \
every verified quote.

**/ask** `question` `[persona]` `[source]` — an answer in the discussions' own words. `persona` \
answers only from one speaker's words; `source` limits it to one discussion.
**/quote** `topic` `[speaker]` — the single best verbatim quote on a topic.
**/sources** — the discussions I know, with dates and participants.
**/personas** — the speakers you can ask as a persona.

You can also DM me a question, or mention me in a channel: I answer in a thread. To follow up \
there, reply to my answer or mention me again; I remember the conversation. Right-click any \
message → Apps → **Ask panelist about this** to ask about it.
👍/👎 under an answer tells the operator whether it helped (your vote is stored with a \
pseudonymous id, the question and the answer).
Server admins: **/panelist** `status`, `feedback`, `settings`, and `add-transcript` (attach a \
transcript file to add it)."""


def neutralise_mentions(text: str) -> str:
    """``@everyone``, ``@here`` and ``<@id>`` as look-alikes Discord never parses as mentions."""

    def escape_id(m: re.Match[str]) -> str:
        return f"<{m.group(1).replace('@', '＠').replace('#', '＃')}{m.group(2)}>"

    return _ID_MENTION.sub(escape_id, _EVERYONE.sub(r"＠\1", text))


def wrap_links(text: str) -> str:
    """Bare URLs as ``<url>`` so Discord shows no preview, whatever the message flags say."""

    def wrap(m: re.Match[str]) -> str:
        url = m.group(1).rstrip(_URL_TAIL)
        return f"<{url}>{m.group(1)[len(url) :]}"

    return _BARE_URL.sub(wrap, text)


def discord_safe(text: str) -> str:
    """Invisible characters, bidi overrides and escape sequences removed; mentions and links
    defused. Everything this module returns has been through it."""
    return wrap_links(neutralise_mentions(strip_invisible(strip_escapes(text))))


def footnote_safe(citation: Citation) -> str:
    """A footnote whose label, title and speaker (transcript data) cannot carry markdown, such as
    a masked link; only the manifest's own URL is linked, and never previewed."""
    line = escape_markdown(discord_safe(footnote_line(citation, link=False)))
    return f"{line} <{citation.url}>" if citation.url else line


def one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def question_echo(question: str) -> str:
    """The question above a slash-command answer: other readers never see the command's options."""
    return f"> {escape_markdown(discord_safe(one_line(question, ECHO_CHARS)))}"


def notice_line(notice: str | None) -> str | None:
    if not notice:
        return None
    return "-# " + discord_safe(notice.replace(EXTRACTIVE_NOTICE, OFFLINE_NOTICE))


def answer_parts(answer: Answer, *, question: str | None = None, limit: int = LIMIT) -> list[str]:
    """The answer as messages: body split where it reads well, then the footnotes kept together.

    The footnotes follow the body in its last message when they fit there; otherwise they start
    a message of their own, and no footnote line is ever cut in two.
    """
    body = discord_safe(answer.text.strip())
    if question:
        body = f"{question_echo(question)}\n\n{body}"
    tail = [footnote_safe(c) for c in answer.citations]
    notice = notice_line(answer.notice)
    if notice:
        tail.append(notice)
    parts = split_message(body, limit)
    if not tail:
        return parts
    block = "\n".join(tail)
    if parts and len(parts[-1]) + 2 + len(block) <= limit:
        parts[-1] = f"{parts[-1]}\n\n{block}"
        return parts
    return parts + pack_lines(tail, limit)


def preview(text: str, *, question: str | None = None, limit: int = LIMIT) -> str:
    """A reply still being written: the first message's worth, markdown closed, marked as such."""
    body = discord_safe(text.strip())
    if question:
        body = f"{question_echo(question)}\n\n{body}"
    # Room for the unfinished mark and for closing whatever markdown the cut leaves open.
    first = split_message(body, limit - len(STREAMING_MARK) - 16)[0] if body else ""
    return balance(first) + STREAMING_MARK


def queued_line(position: int) -> str:
    ahead = "one question" if position <= 1 else f"{position} questions"
    return f"⏳ Busy right now: {ahead} ahead of yours. It will start shortly."


def quote_message(citation: Citation) -> str:
    # A transcript line is shown as it was said, never as a link to click (bot.guard.reply).
    quote = discord_safe(defang_links(one_line(citation.quote, 1500)))
    return f"> {escape_markdown(quote)}\n{footnote_safe(citation)}"


def no_quote_line(topic: str, speaker: str | None) -> str:
    who = f" from {escape_markdown(speaker)}" if speaker else ""
    topic = escape_markdown(one_line(topic, 200))  # no masked link or markup from user input
    return discord_safe(f"No quote{who} matches “{topic}”. Try other words.")


def sources_parts(records: Sequence[SourceRecord], limit: int = LIMIT) -> list[str]:
    if not records:
        return ["Nothing is indexed yet: the operator needs to run `panelist ingest`."]
    lines = []
    for r in records:
        date = f" ({r.date})" if r.date else ""
        title = one_line(r.title, 200)
        head = f"**{escape_markdown(r.label)}**{date} — {escape_markdown(title)}"
        if r.participants:
            head += f"\n  {escape_markdown(', '.join(r.participants))}"
        lines.append(discord_safe(head))
    return pack_lines(lines, limit)


def personas_parts(personas: Sequence[PersonaInfo], limit: int = LIMIT) -> list[str]:
    if not personas:
        return ["No speakers are labelled in the indexed discussions, so there are no personas."]
    lines = ["Speakers you can ask as a persona (`/ask persona:`):"]
    for p in personas:
        where = ", ".join(p.sources)
        lines.append(
            discord_safe(f"**{escape_markdown(p.name)}** — {escape_markdown(where)} ({p.passages})")
        )
    return pack_lines(lines, limit)
