"""Quote verification against chunks built by hand from the seed transcripts."""

from __future__ import annotations

import re
from pathlib import Path

from bot.answer.verify import (
    apply_checks,
    extract_quotes,
    normalize_for_match,
    verify_quotes,
)
from bot.records import Chunk, Excerpt, Piece

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
STABILITY = SEEDS / "002_0a6e188aa2508fc6.txt"  # Whisper, [mm:ss.fff --> mm:ss.fff]
ELEUTHER = SEEDS / "003_45c6a50c9d8a6def.txt"  # Whisper, [hh:mm:ss.fff --> ...]
WEF = SEEDS / "004_ec03862bfd892207.txt"  # panel, "YL: ..." paragraphs

_WHISPER = re.compile(
    r"^\[(?:(\d+):)?(\d+):(\d+(?:\.\d+)?) --> [^\]]*\][ \t]+(\S[^\n]*?)[ \t]*$", re.M
)


def file_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def build_chunk(
    cid: str, source: str, segments: list[tuple[str, int, float | None, str | None]]
) -> Chunk:
    """A chunk from (text, file offset, start, speaker) segments, joined by newlines."""
    pieces, offset = [], 0
    for text, char_start, start, speaker in segments:
        pieces.append(Piece(offset, char_start, len(text), start, None, speaker))
        offset += len(text) + 1
    text = "\n".join(s[0] for s in segments)
    return Chunk(cid, source, source, text, tuple(pieces))


def whisper_chunk(path: Path, first: int, count: int) -> Chunk:
    """Segments ``first`` .. ``first + count`` of a Whisper transcript, offsets as in the file."""
    matches = list(_WHISPER.finditer(file_text(path)))[first : first + count]
    segments = []
    for m in matches:
        seconds = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        segments.append((m.group(4), m.start(4), seconds, None))
    return build_chunk(f"{path.stem}:{first}", path.name, segments)


def panel_chunk(path: Path, line_numbers: list[int]) -> Chunk:
    """Paragraphs ``INITIALS: text`` of a panel transcript, speaker from the prefix."""
    text = file_text(path)
    lines = text.split("\n")
    segments = []
    for number in line_numbers:
        line = lines[number - 1]
        offset = sum(len(x) + 1 for x in lines[: number - 1])
        speaker, _, body = line.partition(": ")
        body = body.rstrip()
        segments.append((body, offset + len(speaker) + 2, None, speaker))
    return build_chunk(f"{path.stem}:{line_numbers[0]}", path.name, segments)


def text_chunk(text: str, source: str = "plain.txt") -> Chunk:
    return build_chunk(source, source, [(text, 0, None, None)])


def norm(text: str) -> str:
    return normalize_for_match(text)[0].strip(" .,")


def stability() -> Excerpt:
    return Excerpt(1, whisper_chunk(STABILITY, 0, 6))


def eleuther() -> Excerpt:
    return Excerpt(2, whisper_chunk(ELEUTHER, 1, 6))


# --- normalisation ---------------------------------------------------------------------------


def test_normalize_folds_quotes_dashes_space_and_case() -> None:
    """Every quotation mark, dashes, NBSP, newlines, ellipsis and case all normalise to one form."""
    text = "“Non\u2011profit”\u00a0and\n  ‘For—profit’… 「x」"
    assert normalize_for_match(text)[0] == "'non-profit' and 'for-profit'... 'x'"


def test_normalize_index_map_points_back_into_original() -> None:
    """Each normalised character maps to the offset of the character it came from."""
    text = "A\u00a0\u00a0“quote”"
    normalised, index = normalize_for_match(text)
    assert normalised == "a 'quote'"
    assert [text[i] for i in index] == ["A", "\u00a0", "“", "q", "u", "o", "t", "e", "”"]


# --- extraction ------------------------------------------------------------------------------


def test_extract_reads_all_marker_forms() -> None:
    """[2][3], [2, 3], [2,3], [2] [3] and a comma before the marker all cite 2 and 3."""
    answer = (
        'A "one two three"[2][3], B "four five six" [2, 3], C "seven eight nine" [2,3], '
        'D "ten eleven twelve" [2] [3], E "thirteen fourteen fifteen", [2][3].'
    )
    refs = extract_quotes(answer)
    assert [r.cited for r in refs] == [(2, 3)] * 5


def test_extract_span_covers_quote_and_marker() -> None:
    """A quote's span runs from the opening mark to the end of its marker."""
    answer = "He said “small models will win” [4] today."
    (ref,) = extract_quotes(answer)
    assert answer[ref.start : ref.end] == "“small models will win” [4]"
    assert ref.text == "small models will win"


def test_extract_ignores_short_unmarked_scare_quotes() -> None:
    """Short quoted phrases without a marker are scare quotes, not claims."""
    assert extract_quotes('The "open" models are "pretty good" now.') == []


def test_extract_keeps_long_unmarked_quotes() -> None:
    """An unmarked quote of three or more words is still a claim to check."""
    (ref,) = extract_quotes('He said "we are the people" once.')
    assert ref.cited == ()


# --- verification ----------------------------------------------------------------------------


def test_true_quote_maps_to_exact_file_span() -> None:
    """A real quote verifies and its file span is exactly the quoted words in the file."""
    quote = "1.5 isn't that big an improvement over 1.4"
    (check,) = verify_quotes(f'Emad says "{quote}" [1].', [stability()])
    assert check.verified and check.excerpt == 1
    assert file_text(STABILITY)[check.char_start : check.char_end] == quote
    assert check.source == STABILITY.name


def test_true_quote_gets_timestamp_of_starting_segment() -> None:
    """The timestamp is that of the segment where the quote starts, not of the chunk."""
    answer = '"we\'re considering what is the best data for that" [1]'
    (check,) = verify_quotes(answer, [stability()])
    assert check.verified
    assert check.start == 14.24


def test_quote_across_segments_spans_both_lines() -> None:
    """A sentence continuing on the next Whisper line maps to a span covering both lines."""
    quote = "the Imagen models that are training away now, which is like we have a 4.3 billion"
    (check,) = verify_quotes(f'"{quote}" [1]', [stability()])
    assert check.verified
    spanned = file_text(STABILITY)[check.char_start : check.char_end]
    assert spanned.startswith("the Imagen models") and spanned.endswith("4.3 billion")
    assert "[00:14.240 --> 00:18.520]" in spanned
    assert check.source_text is not None and "\n" in check.source_text
    assert check.start == 8.68


def test_speaker_is_taken_from_starting_piece() -> None:
    """The speaker is the one of the segment where the quote starts."""
    excerpt = Excerpt(1, panel_chunk(WEF, [12, 72]))
    answer = '"you corrupt it, and then you train some gigantic neural net" [1]'
    (check,) = verify_quotes(answer, [excerpt])
    assert check.verified
    assert check.speaker == "YL"


def test_fabricated_quote_is_unverified() -> None:
    """Words that appear in no excerpt do not verify."""
    (check,) = verify_quotes('"we will release a trillion parameter model" [1]', [stability()])
    assert not check.verified
    assert check.excerpt is None and check.char_start is None


def test_changed_word_is_unverified() -> None:
    """One changed word is enough to fail: matching is exact after normalisation."""
    answer = '"1.5 is not that big an improvement over 1.4" [1]'
    (check,) = verify_quotes(answer, [stability()])
    assert not check.verified


def test_partial_word_match_is_unverified() -> None:
    """A quote must start and end on word boundaries of the source."""
    (check,) = verify_quotes('"an improvement over 1" [1]', [stability()])
    assert not check.verified


def test_misattributed_quote_is_reattributed() -> None:
    """A quote cited to the wrong excerpt is found in the right one."""
    answer = '"a non-profit group doing research on and training" [1]'
    (check,) = verify_quotes(answer, [stability(), eleuther()])
    assert check.verified and check.excerpt == 2
    assert check.reattributed


def test_cited_excerpt_wins_when_quote_is_in_several() -> None:
    """With overlapping chunks the excerpt the model cited is kept."""
    overlap = Excerpt(3, whisper_chunk(ELEUTHER, 3, 4))
    answer = '"overwhelmingly dominated by major tech companies" [3]'
    (check,) = verify_quotes(answer, [eleuther(), overlap])
    assert check.excerpt == 3 and not check.reattributed


def test_capitalised_quote_with_trailing_period_verifies() -> None:
    """The model capitalising the first word and adding a period does not fail the check."""
    answer = '"Major tech companies as well as a handful of other for-profit organizations." [2]'
    (check,) = verify_quotes(answer, [eleuther()])
    assert check.verified


def test_straight_apostrophe_matches_curly_in_source() -> None:
    """The model's straight quotes and apostrophes match the source's curly ones."""
    chunk = text_chunk("Samantha from Her is coming — that’s the product I want.")
    (check,) = verify_quotes("“that's the product I want” [1]", [Excerpt(1, chunk)])
    assert check.verified


def test_nbsp_and_nonbreaking_hyphen_in_source_verify() -> None:
    """NBSP and U+2011 in the source match a plain space and hyphen in the quote."""
    source = "we are the\u00a0foremost organization that is a non\u2011profit group"
    excerpt = Excerpt(1, text_chunk(source))
    answer = '"the foremost organization that is a non-profit group" [1]'
    (check,) = verify_quotes(answer, [excerpt])
    assert check.verified
    assert check.source_text == source[7:]


def test_nonbreaking_hyphen_in_quote_verifies() -> None:
    """A U+2011 hyphen typed by the model matches the source's plain hyphen."""
    answer = '"a handful of other for\u2011profit organizations" [2]'
    (check,) = verify_quotes(answer, [eleuther()])
    assert check.verified


def test_em_dash_spacing_is_ignored() -> None:
    """A spaced em dash in the quote matches an unspaced one in the source."""
    excerpt = Excerpt(1, panel_chunk(WEF, [72]))
    answer = '"large language models are trained in — or NLP systems more generally" [1]'
    (check,) = verify_quotes(answer, [excerpt])
    assert check.verified


def test_literal_ellipsis_in_source_matches_contiguously() -> None:
    """When the source itself has '...', a quote containing it matches as one span."""
    chunk = text_chunk("Stability builds open AI tools with a ...mission to improve humanity.")
    answer = '"open AI tools with a …mission to improve humanity" [1]'
    (check,) = verify_quotes(answer, [Excerpt(1, chunk)])
    assert check.verified
    assert check.source_text == "open AI tools with a ...mission to improve humanity"


def test_ellipsis_quote_verifies_with_span_over_fragments() -> None:
    """Elided fragments found in order verify, spanning the first to the last fragment."""
    answer = '"The primary pitch is that we are … a non-profit group doing research" [2]'
    (check,) = verify_quotes(answer, [eleuther()])
    assert check.verified
    spanned = file_text(ELEUTHER)[check.char_start : check.char_end]
    assert spanned.startswith("The primary pitch") and spanned.endswith("doing research")
    assert check.source_text == (
        "The primary pitch is that we are … a non-profit group doing research"
    )


def test_ellipsis_fragments_out_of_order_fail() -> None:
    """Fragments in the wrong order do not verify."""
    answer = '"a non-profit group doing research ... The primary pitch is that we are" [2]'
    (check,) = verify_quotes(answer, [eleuther()])
    assert not check.verified


def test_ellipsis_fragments_from_different_excerpts_fail() -> None:
    """Fragments stitched from two excerpts do not verify."""
    answer = '"1.5 isn\'t that big an improvement ... a non-profit group doing research" [1]'
    (check,) = verify_quotes(answer, [stability(), eleuther()])
    assert not check.verified


def test_ellipsis_with_trivial_fragment_fails() -> None:
    """A one-word fragment like "we" proves nothing, so such an elided quote does not verify."""
    answer = '"The primary pitch is that we are ... we" [2]'
    (check,) = verify_quotes(answer, [eleuther()])
    assert not check.verified


# --- rewriting -------------------------------------------------------------------------------


def test_fabricated_quote_sentence_is_removed() -> None:
    """A fabricated quote goes with the sentence that only introduced it."""
    answer = (
        'Emad was candid. He said "we will release a trillion parameter model" [1]. '
        'He admitted "1.5 isn\'t that big an improvement over 1.4" [1].'
    )
    checks = verify_quotes(answer, [stability()])
    assert apply_checks(answer, checks) == (
        'Emad was candid. He admitted "1.5 isn\'t that big an improvement over 1.4" [1].'
    )


def test_fabricated_quote_clause_is_removed() -> None:
    """A fabricated quote inside a longer sentence takes only its clause with it."""
    answer = 'Stella is proud of the lab, calling it "the best lab on earth" [2], and she is right.'
    checks = verify_quotes(answer, [eleuther()])
    assert apply_checks(answer, checks) == "Stella is proud of the lab, and she is right."


def test_fabricated_quote_after_colon_takes_its_lead_in() -> None:
    """A lead-in ending in a colon exists only for the quote, so it goes too."""
    answer = 'Intro [2].\nShe put it bluntly: "we beat every big lab" [2].\nOutro.'
    checks = verify_quotes(answer, [eleuther()])
    assert apply_checks(answer, checks) == "Intro [2].\nOutro."


def test_fabricated_quote_bullet_is_dropped() -> None:
    """A bullet holding nothing but a fabricated quote disappears entirely."""
    answer = '- "a non-profit group doing research" [2]\n- "we beat every big tech lab" [2]\n- done'
    checks = verify_quotes(answer, [eleuther()])
    assert apply_checks(answer, checks) == '- "a non-profit group doing research" [2]\n- done'


def test_fabricated_quote_is_marked_in_mark_mode() -> None:
    """In mark mode the quote stays but its marker says it is unverified."""
    answer = 'He said "we will release a trillion parameter model" [1].'
    checks = verify_quotes(answer, [stability()])
    assert apply_checks(answer, checks, unverified="mark") == (
        'He said "we will release a trillion parameter model" [unverified].'
    )


def test_unmarked_fabricated_quote_is_marked_in_mark_mode() -> None:
    """An unmarked fabricated quote gains an [unverified] label in mark mode."""
    answer = 'He said "we will release everything tomorrow".'
    checks = verify_quotes(answer, [stability()])
    assert apply_checks(answer, checks, unverified="mark") == (
        'He said "we will release everything tomorrow" [unverified].'
    )


def test_reattributed_marker_is_rewritten() -> None:
    """A misattributed marker is replaced by the excerpt the quote was found in."""
    answer = 'Stella: "a non-profit group doing research on and training" [1][3].'
    checks = verify_quotes(answer, [stability(), eleuther()])
    assert apply_checks(answer, checks) == (
        'Stella: "a non-profit group doing research on and training" [2].'
    )


def test_verified_unmarked_quote_gains_marker() -> None:
    """A real quote the model forgot to cite gets the marker of its excerpt."""
    answer = 'Stella said "a non-profit group doing research on and training".'
    checks = verify_quotes(answer, [stability(), eleuther()])
    assert apply_checks(answer, checks) == (
        'Stella said "a non-profit group doing research on and training" [2].'
    )


def test_correct_markers_are_left_alone() -> None:
    """An answer whose quotes all check out is returned unchanged."""
    answer = 'Emad: "1.5 isn\'t that big an improvement over 1.4" [1], he said [1].'
    checks = verify_quotes(answer, [stability()])
    assert apply_checks(answer, checks) == answer
