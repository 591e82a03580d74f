"""The glossary: right spellings of names and terms ↔ what the transcripts actually say.

Whisper writes "Aluthor" for EleutherAI and "Automattic" for AUTOMATIC1111; people type the right
spelling, and neither BM25 nor MiniLM can match the two. ``glossary.toml`` (next to the
transcripts, like ``manifest.toml``) lists both, and is applied on both sides: a passage that says
the heard form is indexed under the right one too (its chunk context), and a question with the
right spelling also searches for the heard forms. People's names stay in the manifest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from bot.ingest.manifest import read_toml_section
from bot.ingest.read import IngestError

GLOSSARY_NAME = "glossary.toml"
MAX_ENTRIES = 5000

Glossary = dict[str, tuple[str, ...]]  # right spelling → heard spellings


def load_glossary(folder_or_path: Path) -> Glossary:
    """Right spelling → heard spellings; a missing file is an empty glossary."""
    found = read_toml_section(folder_or_path, GLOSSARY_NAME, "terms")
    if found is None:
        return {}
    path, terms = found
    if not isinstance(terms, dict) or len(terms) > MAX_ENTRIES:
        raise IngestError(f"{path}: [terms] must be a table of at most {MAX_ENTRIES} entries")
    out: Glossary = {}
    for right, heard in terms.items():
        if isinstance(heard, str):
            heard = [heard]
        if not isinstance(heard, list) or not all(isinstance(h, str) for h in heard):
            raise IngestError(f"{path}: {right!r} must map to a list of spellings")
        forms = [" ".join(h.split()) for h in heard]
        right = " ".join(right.split())
        if len(right) < 2 or any(len(f) < 2 for f in forms):
            raise IngestError(f"{path}: {right!r}: spellings must be 2+ characters")
        out[right] = tuple(dict.fromkeys(f for f in forms if f.casefold() != right.casefold()))
    return out


@lru_cache(maxsize=4096)
def _pattern(form: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s-]+", form) if w]
    return re.compile(r"(?<![\w])" + r"[\s-]*".join(words) + r"(?![\w])", re.IGNORECASE)


def mentions(text: str, form: str) -> bool:
    """Whole-word, case-insensitive; spaces and hyphens inside the form are optional."""
    return bool(_pattern(form).search(text))


def right_spellings_in(text: str, glossary: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Right spellings whose heard forms the (transcript) text contains."""
    return [right for right, heard in glossary.items() if any(mentions(text, h) for h in heard)]


def heard_forms_for(query: str, glossary: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Heard forms to add to a question that uses right spellings."""
    out: list[str] = []
    for right, heard in glossary.items():
        if mentions(query, right):
            out.extend(h for h in heard if not mentions(query, h))
    return out
