"""Which discussions a question names: "in the notes", "on No Priors", "the Davos panel".

Listeners say where they heard something ("what was emad's game of thrones thing in the notes"),
and the same person often says much the same in several discussions, so the one named is the one
that answers. The names are the source's label and show and the manifest's ``known_as`` list,
matched as whole phrases, case aside, longest first ("the podcast notes" names the notes, not the
podcasts); a name several share ("podcast") gives way to one that says which. BM25 already sees
the label and show in every passage's context header, but a header word adds the same to every
passage of the file, which does not lift the one passage that answers above another file's
passage on the topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_NAMED = 3  # a name that fits more discussions ("No Priors" for 40 episodes) names none


def _phrase(name: str) -> str:
    return " ".join(name.split()).casefold()


class Discussions:
    def __init__(self, names: Mapping[str, Iterable[str | None]]) -> None:
        """``names``: per source (file name), every name it goes by."""
        owners: dict[str, set[str]] = {}
        for source, given in names.items():
            for name in given:
                if name and name.strip():
                    owners.setdefault(_phrase(name), set()).add(source)
        # longest first, so that a name inside a longer one is not matched on its own
        self._names = [
            (re.compile(rf"(?<!\w){re.escape(p)}(?!\w)"), frozenset(owners[p]))
            for p in sorted(owners, key=lambda p: (-len(p), p))
        ]

    def named(self, text: str) -> list[str]:
        """The sources the text names by one of their names, in a stable order; none when the
        names it uses fit more than MAX_NAMED of them."""
        rest = _phrase(text)
        found: set[str] = set()
        for pattern, sources in self._names:
            if pattern.search(rest):
                # a name several share ("podcast") is one of them when another name already
                # says which: "the No Priors podcast" is No Priors
                if len(sources) == 1 or not sources & found:
                    found |= sources
                rest = pattern.sub(" | ", rest)
        return sorted(found) if len(found) <= MAX_NAMED else []
