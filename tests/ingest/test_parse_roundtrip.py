"""Property round trips: generate segments, render them in a format, parse back, compare.

What comes back must be the same speakers, times and text, with spans that are exact slices of
the rendered file. Texts mix scripts and punctuation that the formats use as syntax (``*``,
``#``, ``]``, ``)``) inside words, where they are text, not markup.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest.parse import parse_transcript
from tests.ingest import assert_exact_slices

PROPS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every CI run; raise max_examples to explore
)
NAMES = ["Jane Doe", "Sam Park", "Speaker 1", "Dr. Maria Lopez", "Zoë Ångström", "Kai-Fu Lee"]
_LETTERS = "abcdefghijklmnopqrstuvwxyzéüßçø中ы"
WORD = st.tuples(
    st.text(alphabet=_LETTERS, min_size=1, max_size=9),
    st.sampled_from(["", ".", ",", "?", "!", "'s", "*", "#", "]", ")", "’", "—x"]),
).map("".join)
LINE = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
TEXT = st.lists(LINE, min_size=1, max_size=2).map("\n".join)


@st.composite
def turns(draw: st.DrawFn, *, multiline: bool = True, min_size: int = 1) -> list[tuple]:
    """[(speaker, text, start seconds)] with strictly increasing whole-second starts."""
    n = draw(st.integers(min_size, 8))
    t = draw(st.integers(0, 100))
    out = []
    for _ in range(n):
        out.append((draw(st.sampled_from(NAMES)), draw(TEXT if multiline else LINE), t))
        t += draw(st.integers(1, 4000))
    return out


def clock(t: int, *, hours: bool = False) -> str:
    h, m, s = t // 3600, t % 3600 // 60, t % 60
    return f"{h:02d}:{m:02d}:{s:02d}" if hours or h else f"{m}:{s:02d}"


def expected(items: list[tuple], speakers: bool = True) -> list[tuple]:
    ends = [t for _, _, t in items[1:]] + [None]
    return [
        (who if speakers else None, text, float(t), None if e is None else float(e))
        for (who, text, t), e in zip(items, ends, strict=True)
    ]


def parsed(text: str, fmt: str) -> list[tuple]:
    result = parse_transcript(text)
    assert result.format == fmt
    assert_exact_slices(text, result.segments)
    return [(s.speaker, s.text, s.start, s.end) for s in result.segments]


@PROPS
@given(turns(), st.sampled_from(["  ", " "]), st.booleans())
def test_otter_round_trip(items: list[tuple], gap: str, hours: bool) -> None:
    text = "".join(f"{who}{gap}{clock(t, hours=hours)}\n{body}\n\n" for who, body, t in items)
    if len(items) > 1:
        assert parsed(text, "otter") == expected(items)


@PROPS
@given(turns(), st.booleans())
def test_rev_round_trip(items: list[tuple], same_line: bool) -> None:
    sep = " " if same_line else "\n"
    text = "".join(f"{who} ({clock(t, hours=True)}):{sep}{body}\n\n" for who, body, t in items)
    assert parsed(text, "rev") == expected(items)


@PROPS
@given(turns(min_size=2))
def test_youtube_round_trip(items: list[tuple]) -> None:
    text = "".join(f"{clock(t)}\n{body}\n" for _, body, t in items)
    assert parsed(text, "youtube") == expected(items, speakers=False)


@PROPS
@given(turns(min_size=2), st.booleans())
def test_markdown_round_trip(items: list[tuple], headings: bool) -> None:
    if headings:
        text = "".join(
            f"### {who} [{clock(t, hours=True)}]\n\n{body}\n\n" for who, body, t in items
        )
    else:
        text = "".join(f"**{who}:** [{clock(t, hours=True)}] {body}\n\n" for who, body, t in items)
    assert parsed(text, "markdown") == expected(items)


@PROPS
@given(turns(multiline=False, min_size=2), st.lists(st.integers(1, 5000), min_size=8, max_size=8))
def test_meeting_webvtt_round_trip(items: list[tuple], durations_ms: list[int]) -> None:
    def ts(ms: int) -> str:
        return (
            f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
        )

    cues, want = ["WEBVTT", ""], []
    for i, ((who, body, t), dur) in enumerate(zip(items, durations_ms, strict=False), 1):
        t0, t1 = t * 1000, t * 1000 + dur
        cues += [str(i), f"{ts(t0)} --> {ts(t1)}", f"{who}: {body}", ""]
        want.append((who, body, t0 / 1000, t1 / 1000))
    assert parsed("\n".join(cues), "webvtt") == want


_BODY_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\t"),
    min_size=1,
    max_size=40,
).filter(
    lambda s: (
        s.strip() == s
        and s[0] not in "\ufeff\u200b\u200c\u200d\u2060"
        and s[-1] not in "\ufeff\u200b\u200c\u200d\u2060"
    )
)


@PROPS
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(NAMES)),
            st.lists(_BODY_LINE, min_size=1, max_size=3),
            st.floats(0, 1e6, allow_nan=False),
            st.floats(0, 1e3, allow_nan=False),
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.sampled_from([None, 2]),
)
def test_podcast_json_round_trip(items: list[tuple], ascii_only: bool, indent: int | None) -> None:
    """Bodies come back as their raw JSON slices: decoding each gives the line that was written."""
    segments, want = [], []
    for who, lines, t0, dur in items:
        seg = {"startTime": t0, "endTime": t0 + dur, "body": "\n".join(lines)}
        if who:
            seg["speaker"] = who
        segments.append(seg)
        want += [(who, line, t0, t0 + dur) for line in lines]
    text = json.dumps(
        {"version": "1.0.0", "segments": segments}, ensure_ascii=ascii_only, indent=indent
    )
    got = parsed(text, "podcast_json")
    assert [(w, json.loads(f'"{body}"'), a, b) for w, body, a, b in got] == want
