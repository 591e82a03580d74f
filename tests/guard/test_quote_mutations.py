"""Property tests on real seed quotes: every true quote verifies in every quotation form, and no
mutation of one (a dropped, swapped or inserted word, a removed negation, a homoglyph, a splice
across speakers, reordered fragments, a bracketed insertion) verifies."""

from __future__ import annotations

import re
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.answer.verify import apply_checks, normalize_for_match, verify_quotes
from bot.records import Chunk, Excerpt, Piece
from tests.guard.seed_chunks import file_text, seed_chunks

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every CI run; raise max_examples to explore
)
NEGATIONS = {"not", "never", "no", "n't", "but", "however"}

FORMS = {
    "straight": '"{q}" [1]',
    "curly": "“{q}” [1]",
    "single": "'{q}' [1]",
    "single curly": "‘{q}’ [1]",
    "guillemets": "«{q}» [1]",
    "german": "„{q}“ [1]",
    "corner": "「{q}」 [1]",
    "white corner": "『{q}』 [1]",
    "blockquote": "> {q} [1]",
    "unmarked": "As they said, “{q}”.",
}


@cache
def pieces_with_words(minimum: int) -> list[tuple[Chunk, Piece, list[str]]]:
    out = []
    for chunk in seed_chunks():
        for piece in chunk.pieces:
            words = chunk.text[piece.offset : piece.offset + piece.length].split()
            if len(words) >= minimum:
                out.append((chunk, piece, words))
    return out


@st.composite
def windows(draw: st.DrawFn, minimum: int = 4) -> tuple[Chunk, Piece, list[str]]:
    chunk, piece, words = draw(st.sampled_from(pieces_with_words(minimum)))
    size = draw(st.integers(minimum, min(max(minimum, 14), len(words))))
    start = draw(st.integers(0, len(words) - size))
    assume(balanced(words[start : start + size]))
    return chunk, piece, words[start : start + size]


def check(answer: str, chunk: Chunk):
    (result,) = verify_quotes(answer, [Excerpt(1, chunk)])
    return result


def verifies(answer: str, chunk: Chunk) -> bool:
    """Whether anything in ``answer`` would be shown as a verified quote."""
    return any(c.verified for c in verify_quotes(answer, [Excerpt(1, chunk)]))


def absent(quote: str, chunk: Chunk) -> bool:
    """The mutated words really are not in the passage (a mutation can recreate real text)."""
    q = re.sub(r"^[\W_]+|[\W_]+$", "", normalize_for_match(quote)[0])
    hay = normalize_for_match(chunk.text)[0]
    return re.search(rf"(?<![\w']){re.escape(q)}(?![\w])", hay) is None


def balanced(words: list[str]) -> bool:
    """A window cut through an inner quotation ("most surprising – “they’re") leaves one mark
    open, which no reader could pair either; nested quotes proper are tested on their own."""
    text = " ".join(words)
    pairs = ("“”", "«»", "「」", "『』")
    return text.count('"') % 2 == 0 and all(text.count(a) == text.count(b) for a, b in pairs)


def no_quote_marks(words: list[str]) -> bool:
    return not any(re.search(r"[\"“”«»„「」『』‘’']", w) for w in words)


# --- true quotes verify, in every form -------------------------------------------------------


@SETTINGS
@given(windows(), st.sampled_from(sorted(FORMS)))
def test_true_quote_verifies_in_every_form(
    window: tuple[Chunk, Piece, list[str]], form: str
) -> None:
    chunk, piece, words = window
    if form in ("straight", "single", "single curly", "german", "blockquote"):
        assume(no_quote_marks(words))  # „…“ nests ‚…‘, and “ would close it
    assume(not words[0].startswith(">") and balanced(words))
    quote = " ".join(words)
    result = check(FORMS[form].format(q=quote), chunk)
    assert result.verified, (form, quote)
    assert result.speaker == piece.speaker or chunk.text.count(words[0]) > 1
    span = file_text(chunk.source)[result.char_start : result.char_end]
    assert normalize_for_match(span)[0] == normalize_for_match(result.source_text or "")[0]


@SETTINGS
@given(windows(minimum=6), st.integers(1, 4))
def test_true_quote_over_line_breaks_verifies(
    window: tuple[Chunk, Piece, list[str]], cut: int
) -> None:
    chunk, _, words = window
    assume(balanced(words) and not any(w.startswith(">") for w in words))  # "> " = blockquote
    cut = min(cut, len(words) - 1)
    head, tail = " ".join(words[:cut]), " ".join(words[cut:])
    assert check(f"He put it this way: “{head}\n{tail}” [1].", chunk).verified
    assume(no_quote_marks(words))
    assert check(f"> {head}\n> {tail}\n> — [1]", chunk).verified


@SETTINGS
@given(windows(minimum=8), st.data())
def test_true_elision_within_one_turn_verifies(
    window: tuple[Chunk, Piece, list[str]], data: st.DataObject
) -> None:
    chunk, _, words = window
    # an ellipsis the speaker said is read as an elision too: such windows test nothing here
    assume(balanced(words) and not any("..." in w or "…" in w for w in words))
    a = data.draw(st.integers(3, len(words) - 4))
    b = data.draw(st.integers(a + 1, len(words) - 3))
    gap = [w.replace("’", "'") for w in words[a:b]]
    assume(not any(re.sub(r"\W", "", w.lower()) in NEGATIONS or "n't" in w for w in gap))
    assume(
        not any(
            re.sub(r"[^\w']", "", w.lower())
            in {
                "nor",
                "cannot",
                "without",
                "yet",
                "although",
                "though",
                "except",
                "unless",
                "instead",
                "rather",
                "none",
                "nothing",
                "nobody",
                "neither",
                "nowhere",
            }
            for w in gap
        )
    )
    quote = " ".join(words[:a]) + " … " + " ".join(words[b:])
    assert check(f"“{quote}” [1]", chunk).verified, quote


# --- mutations never verify -------------------------------------------------------------------


@SETTINGS
@given(windows(minimum=5), st.data())
def test_dropped_word_never_verifies(
    window: tuple[Chunk, Piece, list[str]], data: st.DataObject
) -> None:
    chunk, _, words = window
    i = data.draw(st.integers(1, len(words) - 2))
    quote = " ".join(words[:i] + words[i + 1 :])
    assume(absent(quote, chunk))
    assert not verifies(f"“{quote}” [1]", chunk)


@SETTINGS
@given(windows(minimum=5), st.data())
def test_swapped_words_never_verify(
    window: tuple[Chunk, Piece, list[str]], data: st.DataObject
) -> None:
    chunk, _, words = window
    i = data.draw(st.integers(0, len(words) - 2))
    swapped = [*words[:i], words[i + 1], words[i], *words[i + 2 :]]
    quote = " ".join(swapped)
    assume(absent(quote, chunk))
    assert not verifies(f"“{quote}” [1]", chunk)


@SETTINGS
@given(windows(minimum=4), st.data(), st.sampled_from(["not", "never", "secretly", "all", "no"]))
def test_inserted_word_never_verifies(
    window: tuple[Chunk, Piece, list[str]], data: st.DataObject, word: str
) -> None:
    chunk, _, words = window
    i = data.draw(st.integers(1, len(words) - 1))
    quote = " ".join([*words[:i], word, *words[i:]])
    assume(absent(quote, chunk))
    assert not verifies(f"“{quote}” [1]", chunk)
    assert not verifies(f"“{' '.join(words[:i])} [{word}] {' '.join(words[i:])}” [1]", chunk)


NEGATED = [
    (c, p, w)
    for c, p, w in pieces_with_words(6)
    if any(
        re.sub(r"[^\w']", "", x.lower()) in {"not", "never", "no", "but", "however"}
        or x.lower().endswith(("n't", "n’t"))
        for x in w[2:-2]
    )
]


@SETTINGS
@given(st.sampled_from(NEGATED), st.booleans())
def test_removed_negation_never_verifies(
    window: tuple[Chunk, Piece, list[str]], with_ellipsis: bool
) -> None:
    chunk, _, words = window
    i = next(
        k
        for k in range(2, len(words) - 2)
        if re.sub(r"[^\w']", "", words[k].lower()) in {"not", "never", "no", "but", "however"}
        or words[k].lower().endswith(("n't", "n’t"))
    )
    head, tail = words[max(0, i - 5) : i], words[i + 1 : i + 6]
    if words[i].lower().endswith(("n't", "n’t")):  # "don't" → "do"
        head = [*head, re.sub(r"n['’]t$", "", words[i], flags=re.I)]
    quote = " ".join(head) + (" … " if with_ellipsis else " ") + " ".join(tail)
    assume(with_ellipsis or absent(quote, chunk))
    assert not verifies(f"“{quote}” [1]", chunk), quote


HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "y": "у"}


@SETTINGS
@given(windows(), st.data())
def test_homoglyph_never_verifies(
    window: tuple[Chunk, Piece, list[str]], data: st.DataObject
) -> None:
    chunk, _, words = window
    quote = " ".join(words)
    spots = [k for k, ch in enumerate(quote) if ch in HOMOGLYPHS]
    assume(spots)
    k = data.draw(st.sampled_from(spots))
    forged = quote[:k] + HOMOGLYPHS[quote[k]] + quote[k + 1 :]
    assert not verifies(f"“{forged}” [1]", chunk)


def turn_changes() -> list[tuple[Chunk, list[str], list[str]]]:
    """Adjacent pieces with different known speakers: the end of one turn, the start of next."""
    out = []
    for chunk in seed_chunks():
        for a, b in zip(chunk.pieces, chunk.pieces[1:], strict=False):
            if a.speaker and b.speaker and a.speaker != b.speaker:
                wa = chunk.text[a.offset : a.offset + a.length].split()
                wb = chunk.text[b.offset : b.offset + b.length].split()
                if len(wa) >= 3 and len(wb) >= 3:
                    out.append((chunk, wa, wb))
    return out


TURNS = turn_changes()


@SETTINGS
@given(st.sampled_from(TURNS), st.integers(2, 6), st.integers(2, 6), st.booleans())
def test_splice_across_speakers_never_verifies(
    turns: tuple[Chunk, list[str], list[str]], n_a: int, n_b: int, with_ellipsis: bool
) -> None:
    chunk, wa, wb = turns
    quote = " ".join(wa[-n_a:]) + (" … " if with_ellipsis else " ") + " ".join(wb[:n_b])
    assert not verifies(f"“{quote}” [1]", chunk), quote


@SETTINGS
@given(windows(minimum=10), st.data())
def test_reordered_fragments_never_verify(
    window: tuple[Chunk, Piece, list[str]], data: st.DataObject
) -> None:
    chunk, _, words = window
    assume(no_quote_marks(words))  # halves of an inner quotation would pair up differently
    cut = data.draw(st.integers(4, len(words) - 4))
    first, second = " ".join(words[:cut]), " ".join(words[cut:])
    assume(absent(f"{second} {first}", chunk))
    hay = normalize_for_match(chunk.text)[0]
    later = hay.find(normalize_for_match(first)[0], hay.find(normalize_for_match(second)[0]))
    assume(later == -1)  # the first fragment does not also occur after the second
    assert not verifies(f"“{second} … {first}” [1]", chunk)
    assert not verifies(f"“{second} {first}” [1]", chunk)


# --- attribution ------------------------------------------------------------------------------


def panel_chunk() -> Chunk:
    """A passage of the WEF panel (004) where two labelled speakers take turns."""
    for chunk in seed_chunks():
        speakers = [p.speaker for p in chunk.pieces]
        if chunk.source.startswith("004") and len(set(speakers)) >= 2 and None not in speakers:
            return chunk
    raise AssertionError("no two-speaker passage in 004")


def first_words(chunk: Chunk, piece: Piece, n: int = 8) -> str:
    return " ".join(chunk.text[piece.offset : piece.offset + piece.length].split()[:n])


def test_wrong_name_is_rewritten_to_the_speaker() -> None:
    chunk = panel_chunk()
    a, b = next(
        (p, q)
        for p, q in zip(chunk.pieces, chunk.pieces[1:], strict=False)
        if p.speaker != q.speaker
    )
    quote = first_words(chunk, b)
    answer = f"{a.speaker} said “{quote}” [1]."
    (result,) = verify_quotes(answer, [Excerpt(1, chunk)])
    assert result.verified and result.speaker == b.speaker and result.misnamed
    fixed = apply_checks(answer, [result])
    assert fixed.startswith(f"{b.speaker} said “")


def test_a_sentence_naming_the_speaker_among_others_is_left_alone() -> None:
    """ "B, answering A, said ..." names the speaker: nothing is rewritten."""
    chunk = panel_chunk()
    a, b = next(
        (p, q)
        for p, q in zip(chunk.pieces, chunk.pieces[1:], strict=False)
        if p.speaker != q.speaker
    )
    answer = f"{b.speaker}, answering {a.speaker}, said “{first_words(chunk, b)}” [1]."
    (result,) = verify_quotes(answer, [Excerpt(1, chunk)])
    assert result.verified and result.misnamed is None
    assert apply_checks(answer, [result]) == answer
