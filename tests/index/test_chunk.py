"""Chunking keeps spans, times and speakers, respects the token budget and is deterministic."""

from __future__ import annotations

from bot.ingest.chunk import chunk_segments, split_long_segment
from bot.records import Segment
from bot.tokens import count_tokens

FILE = (
    "[00:01.000 --> 00:04.000]  Small models will outperform large models.\n"
    "[00:04.000 --> 00:09.500]  Data quality matters more than data quantity for these systems.\n"
    "[00:09.500 --> 00:12.000]  That is why we curate everything by hand now.\n"
)


def segments_of(text: str) -> list[Segment]:
    out = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.split("]", 1)[1].strip()
        start = line.index(body, 0) + pos
        times = line[1:].split("]")[0].split(" --> ")
        secs = [int(t.split(":")[0]) * 60 + float(t.split(":")[1]) for t in times]
        out.append(Segment(body, secs[0], secs[1], "Emad Mostaque", start, start + len(body)))
        pos += len(line)
    return out


def test_pieces_map_chunk_text_back_to_the_file():
    """Every piece of every chunk slices the original file to the same text."""
    chunks = chunk_segments(segments_of(FILE), source="f.txt", title="T", max_tokens=20, overlap=0)
    assert len(chunks) >= 2
    for c in chunks:
        for p in c.pieces:
            assert (
                c.text[p.offset : p.offset + p.length]
                == FILE[p.char_start : p.char_start + p.length]
            )


def test_file_span_of_a_quote_across_two_segments_covers_both_lines():
    """A stretch of chunk text crossing a segment boundary maps to a file span over both lines."""
    (chunk,) = chunk_segments(segments_of(FILE), source="f.txt", title="T", max_tokens=200)
    start = chunk.text.index("large models")
    end = chunk.text.index("Data quality") + len("Data quality")
    fs, fe = chunk.file_span(start, end)
    assert FILE[fs:fe].startswith("large models.")
    assert FILE[fs:fe].endswith("Data quality")
    assert chunk.piece_at(start).start == 1.0
    assert chunk.start == 1.0 and chunk.end == 12.0


def test_chunks_respect_the_budget_and_overlap_by_one_segment():
    """No chunk exceeds the token budget, and consecutive chunks share one segment."""
    segs = segments_of(FILE) * 1
    chunks = chunk_segments(segs, source="f.txt", title="T", max_tokens=30, overlap=1)
    for c in chunks:
        assert count_tokens(c.text) <= 30
    assert chunks[0].pieces[-1].char_start == chunks[1].pieces[0].char_start


def test_ids_are_stable_and_change_with_content():
    """Same segments → same ids (idempotent ingest); edited text → new id."""
    a = chunk_segments(segments_of(FILE), source="f.txt", title="T")
    b = chunk_segments(segments_of(FILE), source="f.txt", title="T")
    c = chunk_segments(segments_of(FILE.replace("hand", "machine")), source="f.txt", title="T")
    assert [x.id for x in a] == [x.id for x in b]
    assert a[0].id != c[0].id


def test_oversized_segment_splits_at_sentences_with_exact_spans():
    """A monologue longer than the budget splits at sentence ends, spans still exact."""
    text = " ".join(f"Sentence number {i} says something about open models." for i in range(40))
    seg = Segment(text, None, None, "Yann LeCun", 100, 100 + len(text))
    parts = split_long_segment(seg, 40)
    assert len(parts) > 1
    for p in parts:
        assert count_tokens(p.text) <= 40
        assert text[p.char_start - 100 : p.char_end - 100] == p.text
        assert p.text.endswith(".")


def test_speaker_change_closes_a_half_full_chunk():
    """Once past half the budget, a new speaker starts a new chunk."""
    segs = [
        Segment("word " * 20, None, None, "A", 0, 100),
        Segment("word " * 5, None, None, "B", 200, 225),
    ]
    segs = [
        Segment(
            s.text.strip(), None, None, s.speaker, s.char_start, s.char_start + len(s.text.strip())
        )
        for s in segs
    ]
    chunks = chunk_segments(segs, source="f", title="T", max_tokens=40, overlap=0)
    assert [c.speakers for c in chunks] == [("A",), ("B",)]
