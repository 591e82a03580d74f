"""Footnotes and deep links: the one rendering every surface shares."""

from __future__ import annotations

from bot.answer.citations import deep_link
from bot.answer.render import footnote_line, plain_text
from bot.records import Answer, Citation


def cite(**kw: object) -> Citation:
    base = dict(
        n=1, source="000.txt", title="Full title", speaker="Emad Mostaque", start=2668.0,
        quote="small models will outperform large models", verified=True, char_start=10,
        char_end=51, url=None, label="No Priors",
    )  # fmt: skip
    return Citation(**(base | kw))  # type: ignore[arg-type]


def test_footnote_uses_label_speaker_and_timestamp():
    """[1] No Priors — Emad Mostaque, 00:44:28 — the documented footnote form."""
    assert footnote_line(cite()) == "[1] No Priors — Emad Mostaque, 00:44:28"


def test_unverified_citation_is_marked():
    """A citation that is not verified never looks like one that is."""
    assert footnote_line(cite(verified=False)).endswith("(unverified)")


def test_youtube_links_jump_to_the_quote():
    """YouTube URLs get t=<seconds>s (replacing any existing t), Vimeo a #t= fragment."""
    assert deep_link("https://www.youtube.com/watch?v=abc&t=5s", 2668.9) == (
        "https://www.youtube.com/watch?v=abc&t=2668s"
    )
    assert deep_link("https://youtu.be/abc", 61) == "https://youtu.be/abc?t=61s"
    assert deep_link("https://vimeo.com/123", 90) == "https://vimeo.com/123#t=90s"


def test_hosts_without_time_links_keep_the_plain_url():
    """A podcast page has no time parameter: the URL is given as it is; no URL, no link."""
    assert deep_link("https://example.org/ep/12", 100) == "https://example.org/ep/12"
    assert deep_link(None, 100) is None


def test_plain_text_puts_footnotes_and_notice_after_the_body():
    """Body, then footnotes (with <url>), then the notice line."""
    answer = Answer("They said “x” [1]", "extractive", True, None, [cite(url="https://y.example")])
    answer.notice = "Offline mode."
    text = plain_text(answer)
    assert text.index("They said") < text.index("[1] No Priors") < text.index("Offline mode.")
    assert "<https://y.example>" in text
