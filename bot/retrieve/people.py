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

import Stemmer

_stem = Stemmer.Stemmer("english").stemWord
_WORD = re.compile(r"[\w][\w'’.-]*")
# Words that make a phrase about a person ("the cohere guy") rather than a company or a topic.
PERSON_NOUNS = frozenset(
    _stem(w)
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
        "people",
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
    ]
)
# Role words that single a person out on their own ("the moderator").
ROLE_NOUNS = frozenset(
    _stem(w)
    for w in [
        "host",
        "moderator",
        "interviewer",
        "guest",
        "researcher",
        "founder",
        "ceo",
        "investor",
    ]
)
_GENERIC = frozenset({"ai", "the", "of", "and", "at", "a", "an", "in", "on", "former", "not", "ex"})
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
    role_terms: set[str] = field(default_factory=set)  # stemmed, lower-case role words
    affiliations: set[str] = field(default_factory=set)  # stemmed capitalised role words

    @property
    def initials(self) -> str:
        parts = [p for p in re.split(r"[\s-]+", self.name) if p]
        return "".join(p[0] for p in parts).upper() if len(parts) >= 2 else ""


class People:
    def __init__(
        self, raw: Mapping[str, Mapping[str, Mapping[str, object]]], speakers: Iterable[str]
    ):
        self.people: dict[str, Person] = {}
        for name in speakers:
            self.people.setdefault(name, Person(name))
        for per_source in raw.values():
            for name, facts in per_source.items():
                person = self.people.setdefault(name, Person(name))
                aliases = facts.get("aliases") or []
                if isinstance(aliases, list):
                    person.aliases.update(a for a in aliases if isinstance(a, str))
                role = facts.get("role") or ""
                if isinstance(role, str):
                    for w in _words(role):
                        stem = _stem(w.casefold())
                        if stem in _GENERIC:
                            continue
                        if w[:1].isupper() or any(ch.isdigit() for ch in w):
                            person.affiliations.add(stem)
                        else:
                            person.role_terms.add(stem)
                    person.role_terms |= {_stem(w) for w in ("ceo",) if "CEO" in role}

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
        MAX_DESCRIBED of them; nobody when it also names someone."""
        stems = _stems(text)
        personish = bool(stems & PERSON_NOUNS)
        scored: dict[str, int] = {}
        for p in self.people.values():
            aff = len(p.affiliations & stems)
            role = len(p.role_terms & stems & ROLE_NOUNS)
            if (aff and personish) or role:
                scored[p.name] = 2 * aff + role
        if not scored:
            return []
        best = max(scored.values())
        top = [name for name, s in scored.items() if s == best]
        return top if len(top) <= MAX_DESCRIBED else []

    def about(self, text: str) -> list[str]:
        """Named people if any, else described ones."""
        return self.named(text) or self.described(text)


def _has_phrase(folded: str, phrase: str) -> bool:
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", folded) is not None
