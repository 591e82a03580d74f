"""Which discussions a question names: "in the notes", "on No Priors", "the Davos panel".

Listeners say where they heard something ("what was emad's game of thrones thing in the notes"),
and the same person often says much the same in several discussions, so the one named is the one
that answers. The names are the source's label and show and the manifest's ``known_as`` list,
matched as whole words, case aside, longest first ("the podcast notes" names the notes, not the
podcasts); a name several share ("podcast") gives way to one that says which. BM25 already sees
the label and show in every passage's context header, but a header word adds the same to every
passage of the file, which does not lift the one passage that answers above another file's
passage on the topic.

Every search asks, so the names live in a word trie: the cost is the question's length times the
longest name, whatever the number of sources (a regex per name cost 36 ms a question at 1,000
sources).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_NAMED = 3  # a name that fits more discussions ("No Priors" for 40 episodes) names none
_WORD = re.compile(r"\w+(?:[&'’.-]\w+)*")  # "q&a", "co-founder", "01.ai" are one word
_END = ""  # trie key under which a complete name keeps the sources it names


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


class Discussions:
    def __init__(self, names: Mapping[str, Iterable[str | None]]) -> None:
        """``names``: per source (file name), every name it goes by."""
        self._trie: dict = {}
        for source, given in names.items():
            for name in given:
                words = _words(name or "")
                if not words:
                    continue
                node = self._trie
                for w in words:
                    node = node.setdefault(w, {})
                node.setdefault(_END, set()).add(source)

    def _longest_at(self, words: list[str], i: int) -> tuple[int, set[str]]:
        """How many words the longest name starting at ``words[i]`` spans, and whom it names."""
        node, span, sources = self._trie, 0, set()
        for j in range(i, len(words)):
            node = node.get(words[j])
            if node is None:
                break
            if _END in node:
                span, sources = j - i + 1, node[_END]
        return span, sources

    def named(self, text: str) -> list[str]:
        """The sources the text names by one of their names, sorted; none when the names it
        uses fit more than MAX_NAMED of them."""
        words = _words(text)
        found: set[str] = set()
        shared: list[set[str]] = []
        i = 0
        while i < len(words):
            span, sources = self._longest_at(words, i)
            if not span:
                i += 1
                continue
            if len(sources) == 1:
                found |= sources
            else:
                shared.append(sources)
            i += span
        for sources in shared:
            # a name several share is one of them when another name already says which:
            # "the No Priors podcast" is No Priors
            if not sources & found:
                found |= sources
        return sorted(found) if len(found) <= MAX_NAMED else []
