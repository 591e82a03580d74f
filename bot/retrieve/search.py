"""Hybrid search: dense (Chroma) + BM25 + a sentence-level second stage, fused with reciprocal
rank fusion, with filters.

RRF needs no score calibration between the rankers, which matters because cosine similarities
and BM25 scores live on unrelated scales. The third ranking (bot/retrieve/sentences.py) rescores
the two rankers' best candidates by their closest sentence, for answers that are one sentence in
a long passage. A question that names a discussion ("in the notes") or a person is answered
from it first (bot/retrieve/discussions.py, people.py).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.errors import PanelistError
from bot.index.lexical import LexicalIndex
from bot.index.store import Store
from bot.ingest.sentences import widen
from bot.records import Chunk, Hit, speaker_key
from bot.retrieve.discussions import Discussions
from bot.retrieve.expand import Expanded, Vocabulary, expand
from bot.retrieve.people import People
from bot.retrieve.sentences import POOL, SentenceRanker
from bot.settings import RetrievalSettings

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]


FIRST_STAGE = 30  # passages each ranker returns; chosen on the tuning sets (docs/retrieval.md)
PER_PERSON = 2  # passages kept near the top for each person a question names, when it names several
# passages of a discussion the question names, fused with the whole corpus's ranking; fixed, so
# that asking for more passages does not reorder the first ones
FROM_NAMED = 5
MAX_SHARED = 0.5  # share of a passage's span another, better-ranked passage may already cover
_QUOTED = re.compile(r"[\"“”]([^\"“”]{8,})[\"“”]")


def squash(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def phrases(query: str) -> list[str]:
    """Verbatim-lookup phrases: quoted parts of the query, or the query itself when it is long
    enough (6+ words) to be a pasted line rather than a question."""
    quoted = [squash(m) for m in _QUOTED.findall(query)]
    if not quoted and len(query.split()) >= 6:
        quoted = [squash(query)]
    return [q for q in quoted if len(q.split()) >= 3]


class QueryError(PanelistError):
    """A query or filter the user must fix; one line."""


@dataclass(frozen=True, slots=True)
class Loaded:
    generation: int
    chunks: list[Chunk]
    row: dict[str, int]
    lexical: LexicalIndex
    speakers: dict[str, str]  # casefolded → display name
    sources: dict[str, str]  # file name → title
    participants: dict[str, frozenset[str]]  # file name → who takes part
    people: People
    discussions: Discussions
    glossary: dict[str, list[str]]
    vocabulary: Vocabulary


class Retriever:
    def __init__(self, store: Store, settings: RetrievalSettings | None = None) -> None:
        """``settings``: the retrieval section (default: the one the store was opened with)."""
        self.store = store
        self.settings = settings or store.settings.retrieval
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()
        self.sentences = SentenceRanker(store.sentences.embed, self.widen)
        self._masks: dict[tuple[int, str], np.ndarray] = {}

    # --- loading -----------------------------------------------------------------------------
    def state(self) -> Loaded:
        """The live chunk set, reloaded when an ingest has committed since we last looked."""
        gen = self.store.catalog.generation
        loaded = self._loaded
        if loaded is not None and loaded.generation == gen:
            return loaded
        with self._lock:
            if self._loaded is None or self._loaded.generation != gen:
                if self._loaded is not None:  # another process may have added vectors
                    self.store.refresh_vectors()
                chunks = list(self.store.catalog.iter_chunks())
                speakers: dict[str, str] = {}
                for c in chunks:
                    for s in c.speakers:
                        speakers.setdefault(speaker_key(s), s)
                catalog = self.store.catalog
                records = catalog.sources()
                known_as = _json(catalog.get_meta("discussions"))
                self._loaded = Loaded(
                    generation=gen,
                    chunks=chunks,
                    row={c.id: i for i, c in enumerate(chunks)},
                    lexical=LexicalIndex([c.index_text for c in chunks]),
                    speakers=speakers,
                    sources={r.source: r.title for r in records},
                    participants={r.source: frozenset(r.participants) for r in records},
                    people=People(
                        _json(catalog.get_meta("people")),
                        speakers.values(),
                        {r.source: f"{r.show or ''} {r.label}" for r in records},
                    ),
                    discussions=Discussions(
                        {
                            r.source: [r.label, r.show, *_names(known_as.get(r.source))]
                            for r in records
                        }
                    ),
                    glossary=_json(catalog.get_meta("glossary")),
                    vocabulary=Vocabulary({c.index_text for c in chunks}),
                )
            return self._loaded

    # --- filters -----------------------------------------------------------------------------
    def resolve_source(self, name: str | None) -> str | None:
        if not name:
            return None
        sources = self.state().sources
        if name in sources:
            return name
        low = name.casefold()
        candidates = [s for s in sources if s.casefold().startswith(low)] or [
            s for s, t in sources.items() if low in t.casefold()
        ]
        if len(candidates) == 1:
            return candidates[0]
        known = ", ".join(sorted(sources)) or "none (run `panelist ingest`)"
        how = "matches several" if candidates else "is not"
        raise QueryError(f"source {name!r} {how} an indexed source; sources: {known}")

    def resolve_speaker(self, name: str | None) -> str | None:
        """Accept full names, first or last names, and near-misspellings of known speakers."""
        if not name:
            return None
        speakers = self.state().speakers
        key = speaker_key(name)
        if key in speakers:
            return speakers[key]
        partial = [v for k, v in speakers.items() if key in k.split() or k.startswith(key)]
        if len(partial) == 1:
            return partial[0]
        best = process.extractOne(key, list(speakers), scorer=fuzz.WRatio, score_cutoff=88)
        if best and not partial:
            return speakers[best[0]]
        known = ", ".join(sorted(speakers.values())) or "none"
        raise QueryError(f"no speaker matches {name!r}; speakers: {known}")

    def speakers_named_in(self, text: str) -> list[str]:
        """Known speakers the text names (full, first or last name, alias, initials: "what does
        yann think") or, naming nobody, describes by role ("the Cohere guy")."""
        state = self.state()
        return [p for p in state.people.about(text) if speaker_key(p) in state.speakers]

    def widen(self, chunk: Chunk) -> Chunk:
        """The chunk with its cut-off first and last sentences completed from its neighbours
        (bot/ingest/sentences.py); a chunk not in the index is returned as it is."""
        state = self.state()
        i = state.row.get(chunk.id)
        if i is None:
            return chunk
        before = state.chunks[i - 1] if i > 0 else None
        after = state.chunks[i + 1] if i + 1 < len(state.chunks) else None
        return widen(
            chunk,
            before if before is not None and before.source == chunk.source else None,
            after if after is not None and after.source == chunk.source else None,
        )

    def expand(self, query: str) -> Expanded:
        """The question as both rankers search it (bot/retrieve/expand.py)."""
        state = self.state()
        return expand(
            query, vocabulary=state.vocabulary, glossary=state.glossary, people=state.people
        )

    def check_query(self, query: str) -> str:
        q = " ".join(query.split())
        if not q:
            raise QueryError("the question is empty")
        limit = self.settings.max_query_chars
        if len(q) > limit:
            raise QueryError(f"the question is {len(q)} characters; the limit is {limit}")
        return q

    # --- search ------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 5,
        *,
        source: str | None = None,
        speaker: str | None = None,
        mode: Mode = "hybrid",
        depth: int | None = None,
        allowed: Collection[str] | None = None,
    ) -> list[Hit]:
        """``allowed``: only these sources (file names), e.g. what one Discord server may see;
        None: every source.

        A question that names one discussion ("in the notes") gets that discussion's best
        passages fused with the whole corpus's ranking; one that names several gets each one's
        best passages near the top (``each_person_heard``). A source filter overrides both."""
        query = self.check_query(query)
        state = self.state()
        source = self.resolve_source(source)
        speaker = self.resolve_speaker(speaker)
        if not state.chunks or (allowed is not None and not allowed):
            return []
        named = [] if source or mode != "hybrid" else state.discussions.named(query)
        named = [s for s in named if allowed is None or s in allowed]
        if not named:
            return self._search(state, query, k, source, speaker, mode, depth, allowed)
        hits = self._search(state, query, max(k, FIRST_STAGE), None, speaker, mode, depth, allowed)
        if len(named) == 1:
            theirs = self._search(state, query, FROM_NAMED, named[0], speaker, mode, depth, allowed)
            return self._fuse_hits(state, [hits, theirs], k)
        picks = [
            self._search(state, query, PER_PERSON, s, speaker, mode, depth, allowed) for s in named
        ]
        return each_person_heard(state, hits, picks, k)

    def _fuse_hits(self, state: Loaded, rankings: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
        """Rankings of hits fused by reciprocal rank (the same k as the rankers' fusion)."""
        rrf_k = self.settings.rrf_k
        scores: dict[str, float] = {}
        first: dict[str, Hit] = {}
        for ranking in rankings:
            for rank, h in enumerate(ranking, 1):
                scores[h.chunk.id] = scores.get(h.chunk.id, 0.0) + 1.0 / (rrf_k + rank)
                first.setdefault(h.chunk.id, h)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [replace(first[cid], score=score) for cid, score in distinct(state, ranked, k)]

    def _search(
        self,
        state: Loaded,
        query: str,
        k: int,
        source: str | None,
        speaker: str | None,
        mode: Mode,
        depth: int | None,
        allowed: Collection[str] | None,
    ) -> list[Hit]:
        """One search over the whole corpus or one source: the three rankings fused, then, for
        a question about several people, each one's best passages brought up."""
        # a fixed first-stage depth: asking for more passages must not reorder the first ones
        depth = depth or max(k, FIRST_STAGE)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        expanded = self.expand(query)
        vec = None
        if mode in ("hybrid", "dense"):
            vec = self.store.sentences.query(expanded.embedded)
            dense = [
                (m.id, m.similarity)
                for m in self.store.vectors.query(
                    vec, depth, source=source, speaker=speaker, allowed=allowed
                )
                if m.id in state.row
            ]
        if mode in ("hybrid", "lexical"):
            mask = self._mask(state, source, speaker, allowed)
            lexical = [
                (state.chunks[r].id, s)
                for r, s in state.lexical.query(expanded.lexical, depth, mask)
            ]
        sentence: list[tuple[str, float]] = []
        if mode == "hybrid" and vec is not None:
            pool = self.sentence_pool(state, dense, lexical, expanded.people)
            sentence = self.sentences.rank(vec, pool)
        several = mode == "hybrid" and vec is not None and len(expanded.people) >= 2 and not speaker
        hits = self._fuse(
            state, dense, lexical, max(k, FIRST_STAGE) if several else k, phrases(query), sentence
        )
        if several and vec is not None:
            mask = self._mask(state, source, None, allowed)
            picks = [
                self._theirs(state, person, vec, dense, expanded.lexical, depth, mask)
                for person in expanded.people
            ]
            hits = each_person_heard(state, hits, picks, k)
        return hits

    def _theirs(
        self,
        state: Loaded,
        person: str,
        vec: np.ndarray,
        dense: Sequence[tuple[str, float]],
        lexical_query: str,
        depth: int,
        mask: np.ndarray | None,
    ) -> list[Hit]:
        """The best PER_PERSON passages of one person's turns, ranked the way search ranks."""
        theirs = self._person_mask(state, person)
        if mask is not None:
            theirs = theirs * mask
        dense_p = [(cid, sim) for cid, sim in dense if theirs[state.row[cid]]]
        lexical_p = [
            (state.chunks[r].id, sc) for r, sc in state.lexical.query(lexical_query, depth, theirs)
        ]
        pool = self.sentence_pool(state, dense_p, lexical_p, [person])
        return self._fuse(state, dense_p, lexical_p, PER_PERSON, (), self.sentences.rank(vec, pool))

    def _person_mask(self, state: Loaded, person: str) -> np.ndarray:
        """1 for the passages where ``person`` speaks (cached per index generation)."""
        key = (state.generation, person)
        mask = self._masks.get(key)
        if mask is None:
            mask = np.fromiter(
                (self._speaks(state, c, person) for c in state.chunks),
                dtype=np.float32,
                count=len(state.chunks),
            )
            if len(self._masks) >= 64:
                self._masks.clear()
            self._masks[key] = mask
        return mask

    def sentence_pool(
        self,
        state: Loaded,
        dense: Sequence[tuple[str, float]],
        lexical: Sequence[tuple[str, float]],
        people: Sequence[str],
    ) -> list[Chunk]:
        """The sentence stage's candidates: the top POOL of each ranking, narrowed to the turns
        of the people the question is about when any of them is there (a sentence that matches
        the topic but is someone else's should not be promoted for "what did Noam say…")."""
        ids = dict.fromkeys([cid for cid, _ in dense[:POOL]] + [cid for cid, _ in lexical[:POOL]])
        pool = [state.chunks[state.row[cid]] for cid in ids]
        if people:
            theirs = [c for c in pool if any(self._speaks(state, c, p) for p in people)]
            pool = theirs or pool
        return pool

    @staticmethod
    def _speaks(state: Loaded, chunk: Chunk, person: str) -> bool:
        """Whether ``person`` speaks in the chunk: by its labels, or, for a file that labels
        nobody, by being one of the discussion's participants."""
        if chunk.speakers:
            return person in chunk.speakers
        return person in state.participants.get(chunk.source, ())

    def _mask(
        self,
        state: Loaded,
        source: str | None,
        speaker: str | None,
        allowed: Collection[str] | None = None,
    ) -> np.ndarray | None:
        if not source and not speaker and allowed is None:
            return None
        skey = speaker_key(speaker) if speaker else None
        return np.fromiter(
            (
                (not source or c.source == source)
                and (allowed is None or c.source in allowed)
                and (skey is None or any(speaker_key(s) == skey for s in c.speakers))
                for c in state.chunks
            ),
            dtype=np.float32,
            count=len(state.chunks),
        )

    def _fuse(
        self,
        state: Loaded,
        dense: Sequence[tuple[str, float]],
        lexical: Sequence[tuple[str, float]],
        k: int,
        quoted: Sequence[str] = (),
        sentence: Sequence[tuple[str, float]] = (),
    ) -> list[Hit]:
        rrf_k = self.settings.rrf_k
        scores: dict[str, float] = {}
        dense_rank = {cid: i + 1 for i, (cid, _) in enumerate(dense)}
        lexical_rank = {cid: i + 1 for i, (cid, _) in enumerate(lexical)}
        sentence_rank = {cid: i + 1 for i, (cid, _) in enumerate(sentence)}
        sim = dict(dense)
        for ranks in (dense_rank, lexical_rank, sentence_rank):
            for cid, rank in ranks.items():
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank)
        # Someone pasting a line to find who said it wants that passage first, whatever RRF
        # makes of two rankers' disagreement: a verbatim phrase match outranks everything.
        for cid in scores:
            text = squash(state.chunks[state.row[cid]].text)
            if any(p in text for p in quoted):
                scores[cid] += 1.0
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        best = distinct(state, ranked, k)
        return [
            Hit(
                chunk=state.chunks[state.row[cid]],
                score=score,
                dense_rank=dense_rank.get(cid),
                lexical_rank=lexical_rank.get(cid),
                similarity=sim.get(cid),
            )
            for cid, score in best
        ]


def each_person_heard(
    state: Loaded, hits: Sequence[Hit], picks: Sequence[Sequence[Hit]], k: int
) -> list[Hit]:
    """A question about several people ("do Emad and Stella agree…") gets each one's best
    passages near the top: the best hit overall first, then each person's own picks in turn,
    then the rest; overlapping passages still give way (``distinct``)."""
    order: list[Hit] = list(hits[:1])
    for mine in picks:
        order.extend(mine)
    order.extend(hits[1:])
    by_id: dict[str, Hit] = {}
    for h in order:
        by_id.setdefault(h.chunk.id, h)
    ranked = [(cid, 1.0) for cid in by_id]
    return [by_id[cid] for cid, _ in distinct(state, ranked, k)]


def distinct(state: Loaded, ranked: Sequence[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """The top ``k`` of ``ranked`` with no passage mostly repeating a better one: a chunk whose
    file span lies more than half inside a chunk already taken (overlapping neighbours, a long
    segment split in two) gives its slot to the next distinct passage."""
    taken: list[tuple[str, int, int]] = []
    out: list[tuple[str, float]] = []
    for cid, score in ranked:
        c = state.chunks[state.row[cid]]
        a, b = c.char_start, c.char_end
        size = max(1, b - a)
        if any(
            src == c.source and min(b, hi) - max(a, lo) > MAX_SHARED * size for src, lo, hi in taken
        ):
            continue
        taken.append((c.source, a, b))
        out.append((cid, score))
        if len(out) >= k:
            break
    return out


def _names(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _json(raw: str | None) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
