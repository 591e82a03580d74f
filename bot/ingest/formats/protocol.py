"""What every transcript format module exports: one ``Format(name, detect, parse)``.

The parser (``bot.ingest.parse``) walks one ordered tuple of these and takes the first whose
``detect`` claims the file, so adding a format is one module and one line in that tuple. Detection
looks at a :class:`Sample` computed once per file (its non-blank lines, how many blank ones, the
manifest's names) instead of each format re-splitting the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from bot.ingest.formats._text import is_blank, iter_lines, trim
from bot.ingest.formats.names import Names
from bot.records import ParseResult

# A detect score at or above this claims the file; the first format in the order to claim wins.
CLAIM = 0.5
# A claim below this is reported as uncertain (the file only partly fits its format).
SURE = 0.8


@dataclass(frozen=True)
class Sample:
    """The file as detection sees it: text, trimmed non-blank lines, and the manifest's names."""

    text: str
    names: Names = field(default_factory=Names)

    @cached_property
    def lines(self) -> list[str]:
        trimmed = (trim(self.text, *ln) for ln in iter_lines(self.text))
        return [self.text[a:b] for a, b in trimmed if a < b]

    @cached_property
    def blank_lines(self) -> int:
        return sum(1 for line in iter_lines(self.text) if is_blank(self.text, line))

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        """The non-blank lines ``pattern`` matches at their start."""
        return [line for line in self.lines if pattern.match(line)]


class Parser(Protocol):
    def __call__(
        self,
        text: str,
        *,
        participants: Sequence[str] = (),
        default_speaker: str | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> ParseResult: ...


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # the value of ParseResult.format, shown by ingest and stored in the catalog
    detect: Callable[[Sample], float]  # 0 = not this format, 1 = certain; CLAIM or more claims
    parse: Parser
    layout: str = ""  # what a file must look like to be read this way: the fix a warning suggests
