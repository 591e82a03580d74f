"""Who a question is about: people named (full name, first or last name, alias, initials) or
described by their role ("the Stability CEO", "the Cohere guy", "the EleutherAI researcher").

Questions name people the way listeners remember them, rarely the way the transcript labels
them; a described person is searched for by name and their turns are preferred when answering.
Facts come from the manifest (roles, aliases), stored in the catalog at ingest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import bm25s.stopwords
import Stemmer

_stem = Stemmer.Stemmer("english").stemWord
_WORD = re.compile(r"[\w][\w'’.-]*")


def _noun(word: str) -> str:
    """A person word as matched: lower case, singular ("hosts" → "host"). Not stemmed: the stem
    of "researcher" is "research", which would make "drug research" a person."""
    w = word.casefold()
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


# Words that make a phrase about a person ("the cohere guy") rather than a company or a topic.
PERSON_NOUNS = frozenset(
    _noun(w)
    for w in [
        "guy",
        "guys",
        "person",
        "man",
        "woman",
        "lady",
        "dude",
        "ceo",
        "founder",
        "cofounder",
        "co-founder",
        "researcher",
        "scientist",
        "host",
        "hosts",
        "moderator",
        "investor",
        "interviewer",
        "guest",
        "boss",
        "head",
        "chief",
        "he",
        "she",
        "him",
        "her",
        "his",
        "who",
        "panelist",
        "panellist",
        "speaker",
        "interviewee",
        "prof",
        "professor",
        "lead",
        "leader",
        "inventor",
        "co-inventor",
        "creator",
        "author",
        "co-author",
    ]
)
# Role words that single a person out on their own ("the moderator").
ROLE_NOUNS = frozenset(
    _noun(w)
    for w in [
        "host",
        "moderator",
        "interviewer",
        "guest",
        "researcher",
        "founder",
        "co-founder",
        "cofounder",
        "ceo",
        "investor",
    ]
)
# Positions in a conversation: a host asked for as "the guest" is the wrong person.
POSITIONS = frozenset(["host", "guest", "moderator", "interviewer"])
_GENERIC = frozenset({"ai", "the", "of", "and", "at", "a", "an", "in", "on", "former", "not", "ex"})
_STOP = frozenset(_stem(w) for w in bm25s.stopwords.STOPWORDS_EN) | {"need", "all", "run"}
MAX_DESCRIBED = 3  # "the host" of five shows describes nobody in particular


def _words(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text):
        w = re.sub(r"['’]s$", "", w).strip("'’.-")
        if w:
            out.append(w)
    return out


def _stems(text: str) -> set[str]:
    return {_stem(w.casefold()) for w in _words(text)}


@dataclass(slots=True)
class Person:
    name: str
    aliases: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)  # ROLE_NOUNS in their role ("host", "ceo")
    role_terms: set[str] = field(default_factory=set)  # other lower-case role words, stemmed
    affiliations: set[str] = field(default_factory=set)  # stemmed capitalised role words
    # the same words grouped by name: "Gradient Dissent" is one show, "AI Fund, Coursera" two
    entities: list[frozenset[str]] = field(default_factory=list)
    venues: set[str] = field(default_factory=set)  # stemmed words of their discussions' shows

    @property
    def initials(self) -> str:
        parts = [p for p in re.split(r"[\s-]+", self.name) if p]
        return "".join(p[0] for p in parts).upper() if len(parts) >= 2 else ""


class People:
    def __init__(
        self,
        raw: Mapping[str, Mapping[str, Mapping[str, object]]],
        speakers: Iterable[str],
        venues: Mapping[str, str] | None = None,
    ):
        """``raw``: per source, each participant's role and aliases (from the manifest);
        ``venues``: per source, the show or event it is from ("Gradient Dissent")."""
        self.people: dict[str, Person] = {}
        for name in speakers:
            self.people.setdefault(name, Person(name))
        for source, per_source in raw.items():
            for name, facts in per_source.items():
                person = self.people.setdefault(name, Person(name))
                aliases = facts.get("aliases") or []
                if isinstance(aliases, list):
                    person.aliases.update(a for a in aliases if isinstance(a, str))
                role = facts.get("role") or ""
                if isinstance(role, str):
                    for entity in _entities(role):
                        if entity not in person.entities:
                            person.entities.append(entity)
                    for w in _words(role):
                        stem = _stem(w.casefold())
                        if stem in _GENERIC:
                            continue
                        if _noun(w) in ROLE_NOUNS:  # "CEO" is a role even in capitals
                            person.held.add(_noun(w))
                        elif w[:1].isupper() or any(ch.isdigit() for ch in w):
                            person.affiliations.add(stem)
                        else:
                            person.role_terms.add(stem)
                venue = (venues or {}).get(source, "")
                person.venues |= _stems(venue) - _GENERIC

    def named(self, text: str) -> list[str]:
        """People the text names: full name, a name part (3+ letters), an alias, or initials
        written in capitals ("YL")."""
        folded = text.casefold()
        words = {w.casefold() for w in _words(text)}
        caps = set(re.findall(r"\b[A-Z]{2,4}\b", text))
        out = []
        for p in self.people.values():
            parts = [x for x in re.split(r"[\s]+", p.name.casefold()) if len(x) > 2]
            parts += [x for x in re.split(r"[\s-]+", p.name.casefold()) if len(x) > 2]
            if (
                p.name.casefold() in folded
                or any(x in words for x in parts)
                or any(_has_phrase(folded, a.casefold()) for a in p.aliases)
                or (p.initials and p.initials in caps)
            ):
                out.append(p.name)
        return out

    def described(self, text: str) -> list[str]:
        """People the text describes by role and affiliation, best match only, at most
        MAX_DESCRIBED of them; nobody when it also names someone.

        A company in the person's role ("the Cohere guy"), typed whole or short ("eleuther" for
        EleutherAI), counts most; then a role word they hold ("the moderator") or two other words
        of their role ("the transformer co-inventor", "the hedge fund guy"); the show they appear
        on breaks ties ("the gradient dissent guest"). Someone whose role names other positions
        than the one asked (a host, asked for "the guest") is not described."""
        stems = _stems(text)
        nouns = {_noun(w) for w in _words(text)}
        personish = bool(nouns & PERSON_NOUNS)
        asked = nouns & ROLE_NOUNS
        scored: dict[str, int] = {}
        for p in self.people.values():
            held = p.held
            if asked & POSITIONS and held & POSITIONS and not held & asked & POSITIONS:
                continue
            # a company counts once however many words it has ("Gradient Dissent")
            aff = sum(1 for e in p.entities if any(_matches(a, stems) for a in e))
            role = len(held & asked)
            terms = len((p.role_terms - _STOP) & stems)
            if (aff and personish) or role or (terms >= 2 and personish):
                venue = 1 if (p.venues - p.affiliations) & stems else 0
                scored[p.name] = 2 * aff + role + terms + venue
        if not scored:
            return []
        best = max(scored.values())
        top = [name for name, s in scored.items() if s == best]
        return top if len(top) <= MAX_DESCRIBED else []

    def about(self, text: str) -> list[str]:
        """Named people if any, else described ones."""
        return self.named(text) or self.described(text)


def _entities(role: str) -> list[frozenset[str]]:
    """Runs of capitalised words (or words with digits) in a role, each a set of stems."""
    out: list[frozenset[str]] = []
    run: set[str] = set()
    for m in re.finditer(r"[^\s,;:()/]+|[,;:()/]", role):
        w = re.sub(r"['’]s$", "", m.group()).strip("'’.-")
        stem = _stem(w.casefold()) if w else ""
        if w and (w[:1].isupper() or any(ch.isdigit() for ch in w)) and _noun(w) not in ROLE_NOUNS:
            if stem not in _GENERIC:
                run.add(stem)
            continue
        if run:
            out.append(frozenset(run))
        run = set()
    if run:
        out.append(frozenset(run))
    return out


def _matches(affiliation: str, stems: set[str]) -> bool:
    """The affiliation is in the question, whole or typed short (5+ letters: "eleuther" for
    EleutherAI, "runway" for RunwayML)."""
    return affiliation in stems or any(len(s) >= 5 and affiliation.startswith(s) for s in stems)


def _has_phrase(folded: str, phrase: str) -> bool:
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded) is not None
