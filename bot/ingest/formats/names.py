"""Turning the speaker labels a file writes into the manifest's correct full names.

Files label people however their author typed (or an ASR engine heard) them: "Nick Thompson",
"NT", "Aarthi", "Stella Biederman". Answers cite a speaker by name, so every label goes through one
resolver: alias table first (the manifest's explicit corrections), then participants by full name,
then by an unambiguous first name. Nothing here ever makes up a name the file or manifest lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

# A candidate label: text before the first colon near the start of a line, no digits first.
LABEL = re.compile(r"([^\W\d_][^:\n\r]{0,60}?)[ \t\u00a0]*:(?=\s|$)")
_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’.]*(?:-[A-ZÀ-ÖØ-Þ]?[\w'’.]*)*")
_INITIALS = re.compile(r"[A-Z]{1,4}")
# Labels ASR and meeting tools give a voice they could not name: "Speaker 1", "Speaker A", "Spk 2".
GENERIC = re.compile(r"(?:speaker|spk|participant)[ \t]*(?:\d{1,3}|[A-Z])", re.IGNORECASE)
# Labels that say nobody is known: a turn under them has no speaker rather than a made-up one.
_UNKNOWN = re.compile(r"(?:unknown|unidentified)(?:[ \t]+speaker)?|\?+", re.IGNORECASE)
# Capitalised words that open headings, not names: "Show Notes:", "Key Takeaways:", "Full Video:".
_NOT_NAME_WORDS = frozenset(
    (
        *("a", "an", "and", "the", "eg", "ie", "ps", "nb"),
        *("answer", "question", "audio", "video", "chapter", "part", "section", "date"),
        *("editor", "episode", "show", "notes", "note", "full", "guest", "host", "speaker"),
        *("intro", "key", "takeaways", "summary", "transcript", "update", "source"),
        *("link", "links", "listen", "watch", "read", "more", "related", "about", "contact"),
        *("by", "posted", "written", "published", "originally", "last", "photo", "image"),
        *("credit", "credits", "follow", "subscribe", "sponsor", "sponsored", "ad"),
    )
)


def _key(name: str) -> str:
    return " ".join(name.replace("’", "'").split()).casefold()


def initials_of(name: str) -> str:
    """'Kai-Fu Lee' → 'KFL', 'Yann LeCun' → 'YL': one letter per word or hyphen part."""
    return "".join(part[0].upper() for part in re.split(r"[\s-]+", name.strip()) if part)


def looks_like_person(label: str) -> bool:
    """2-4 capitalised words ('Kai-Fu Lee', 'Dan Södergren') and not a heading like 'Show Notes'."""
    words = label.split()
    if not 2 <= len(words) <= 4:
        return False
    if not all(_WORD.fullmatch(w) for w in words):
        return False
    return not any(w.strip(".").casefold() in _NOT_NAME_WORDS for w in words)


class Names:
    """Label → full name, from the manifest's participants and aliases."""

    def __init__(
        self, participants: Sequence[str] = (), aliases: Mapping[str, str] | None = None
    ) -> None:
        self.participants = tuple(p.strip() for p in participants if p.strip())
        self._exact: dict[str, str] = {}
        for name in self.participants:
            self._exact.setdefault(_key(name), name)
        for alias, full in (aliases or {}).items():
            self._exact[_key(alias)] = full.strip()
        firsts: dict[str, set[str]] = {}
        for name in {*self.participants, *self._exact.values()}:
            first = name.split()[0]
            firsts.setdefault(_key(first), set()).add(name)
        # A first name only counts when exactly one participant has it: two "Sarah"s stay unnamed.
        self._first = {k: next(iter(v)) for k, v in firsts.items() if len(v) == 1}

    def resolve(self, label: str) -> str | None:
        """The full name a label stands for, or None when the manifest does not know it."""
        key = _key(label)
        if key in self._exact:
            return self._exact[key]
        return self._first.get(key)

    def canonical(self, label: str) -> str:
        """The label's full name when known, else the label as written (whitespace tidied)."""
        return self.resolve(label) or " ".join(label.split())

    def speaker(self, label: str) -> str | None:
        """The speaker a turn label names: its full name when known, the label as written when
        not (a generic "Speaker 1" included), None for labels that say "Unknown Speaker"."""
        tidy = " ".join(label.split())
        if not tidy or _UNKNOWN.fullmatch(tidy):
            return None
        return self.canonical(tidy)

    def initials_map(self, seen: Iterable[str] = ()) -> tuple[dict[str, str], list[str]]:
        """Initials → full name from names seen as labels, then participants; also the ambiguous.

        Full-name labels in the file come first: "Nick Thompson:" followed by "NT:" is the file
        itself saying who NT is, even when the manifest lists "Nicholas Thompson" without an
        alias. Participants only fill initials the file's own labels leave open. Initials shared
        by two different people map to nobody and are reported, so the ingest can say why a
        label stayed unresolved instead of silently picking one of them.
        """
        mapping: dict[str, str] = {}
        clashes: set[str] = set()
        from_file = {self.canonical(s) for s in seen}
        from_manifest = {*self.participants, *self._exact.values()}
        for names in (from_file, from_manifest):
            owners: dict[str, set[str]] = {}
            for name in names:
                owners.setdefault(initials_of(name), set()).add(name)
            for ini, people in owners.items():
                if len(ini) < 2 or ini in mapping or ini in clashes:
                    continue
                if len(people) == 1:
                    mapping[ini] = next(iter(people))
                else:
                    clashes.add(ini)
        return mapping, sorted(clashes)


def is_initials(label: str) -> bool:
    return bool(_INITIALS.fullmatch(label))
