"""The seeds manifest: facts about each transcript that the file itself gets wrong or leaves out.

ASR misspells names ("Imad Mastak"), web pages use initials, notes never say which show they
came from. ``seeds/manifest.toml`` records, per file name, the title, show, date, the correct
spellings of the people in it and the aliases to map onto them, so answers cite real names; a
``speakers`` table names the people behind a file's generic labels ("Speaker 1" = "Jane Doe"),
and ``roles`` says who each person is there ("host", "CEO of Cohere"), so questions that
describe a person find them.
A file with no entry still ingests: it gets a title from its header or its file name and keeps
whatever speakers its own labels give.

The schema is checked strictly (unknown keys, wrong types, an alias pointing at nobody are
errors) because a typo such as ``participant =`` would otherwise silently drop every name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from bot.ingest.read import IngestError
from bot.records import ParseResult

MANIFEST_NAME = "manifest.toml"
_KEYS = {
    *("title", "label", "show", "date", "participants", "default_speaker", "url", "aliases"),
    "speakers",
    "roles",
    "known_as",
}
_PARTIAL_DATE = re.compile(r"\d{4}(?:-\d{2})?")


@dataclass(frozen=True, slots=True)
class SourceMeta:
    file: str  # file name (no folder), the key in the manifest
    title: str
    show: str | None = None
    date: str | None = None  # ISO: yyyy-mm-dd, or yyyy-mm / yyyy when only that is known
    participants: tuple[str, ...] = ()  # correct full names; default_speaker is always among them
    default_speaker: str | None = None  # only for files where one person speaks throughout
    url: str | None = None
    aliases: dict[str, str] = field(default_factory=dict, hash=False)  # spelling → full name
    label: str | None = None  # short name for footnotes ("No Priors"); default: show, then title
    # Generic labels the file uses ("Speaker 1", "Speaker A") → full name, for this file only.
    speakers: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def name_map(self) -> dict[str, str]:
        """Every label → full name correction the parser applies: aliases, then speakers."""
        return {**self.aliases, **self.speakers}

    # full name → who they are here ("host", "CEO of Cohere"), so a question that describes a
    # person ("the Cohere guy", "the host") reaches them; only facts the transcript itself gives
    roles: dict[str, str] = field(default_factory=dict, hash=False)
    # What listeners call the discussion besides its label and show ("the notes", "the Discord
    # Q&A"), so that a question naming it is answered from it (bot/retrieve/discussions.py).
    # Left out of repr, which the ingest fingerprint reads: a file without names keeps its hash.
    known_as: tuple[str, ...] = field(default=(), repr=False)

    @property
    def cite_as(self) -> str:
        return self.label or self.show or self.title


def load_manifest(seeds_dir_or_manifest_path: Path) -> dict[str, SourceMeta]:
    """File name → SourceMeta from ``manifest.toml`` (given directly or as its folder).

    A missing manifest is an empty one: every file then falls back to :func:`meta_for` defaults.
    """
    found = read_toml_section(seeds_dir_or_manifest_path, MANIFEST_NAME, "sources")
    if found is None:
        return {}
    path, sources = found
    if not isinstance(sources, dict):
        raise IngestError(f"{path}: 'sources' must be a table of [sources.\"file name\"] entries")
    return {name: _entry(path, name, entry) for name, entry in sources.items()}


def meta_for(
    path: Path, manifest: Mapping[str, SourceMeta], parsed: ParseResult | None = None
) -> SourceMeta:
    """The metadata to index ``path`` under, whether or not the manifest has an entry.

    Entries are keyed by file name only, so moving the seeds folder keeps them. Precedence for
    the title and date: manifest, then the file's own header (``parsed.title``/``parsed.date``,
    e.g. a podcast export's first line), then, for the title, one made from the file name.
    The manifest wins because it is the curated correction; a header still beats
    "003 45c6a50c9d8a6def".
    """
    name = Path(path).name
    meta = manifest.get(name)
    header_title = parsed.title if parsed else None
    header_date = parsed.date if parsed else None
    if meta is None:
        return SourceMeta(
            file=name, title=header_title or title_from_filename(name), date=header_date
        )
    return replace(
        meta,
        title=meta.title or header_title or title_from_filename(name),
        date=meta.date or header_date,
    )


def title_from_filename(name: str) -> str:
    """'my_talk-2024.vtt' → 'My talk 2024': readable enough to cite a file nobody described."""
    stem = Path(name).stem or name
    words = re.sub(r"[_\-.\s]+", " ", stem).strip()
    return (words[:1].upper() + words[1:]) if words else name


def _entry(path: Path, name: str, entry: Any) -> SourceMeta:
    where = f"{path}: [sources.{name!r}]"
    if not isinstance(entry, dict):
        raise IngestError(f"{where} must be a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        known = ", ".join(sorted(_KEYS))
        raise IngestError(f"{where}: unknown key {unknown[0]!r} (known: {known})")
    title = _str(where, entry, "title") or ""
    participants = entry.get("participants", [])
    if not isinstance(participants, list) or not all(
        isinstance(p, str) and p.strip() for p in participants
    ):
        raise IngestError(f"{where}: 'participants' must be a list of names")
    names = [" ".join(p.split()) for p in participants]
    default = _str(where, entry, "default_speaker")
    if default and default not in names:
        names.append(default)  # the one speaker of the file is a participant by definition
    aliases = _name_table(where, entry, "aliases", names, "spellings", "alias")
    speakers = _name_table(where, entry, "speakers", names, "speaker labels", "speaker label")
    roles = entry.get("roles", {})
    if not isinstance(roles, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in roles.items()
    ):
        raise IngestError(f"{where}: 'roles' must map full names to a short description")
    for person in roles:
        if person not in names:
            raise IngestError(f"{where}: role given for {person!r}, who is not in participants")
    return SourceMeta(
        file=name,
        title=title,
        show=_str(where, entry, "show"),
        date=_date(where, entry.get("date")),
        participants=tuple(names),
        default_speaker=default,
        url=_str(where, entry, "url"),
        aliases=aliases,
        label=_str(where, entry, "label"),
        speakers=speakers,
        roles={k: " ".join(v.split()) for k, v in roles.items()},
        known_as=_names(where, entry.get("known_as", [])),
    )


def _name_table(
    where: str, entry: dict[str, Any], key: str, names: list[str], what: str, one: str
) -> dict[str, str]:
    """A ``{ "label" = "Full Name" }`` table whose every target is one of the participants."""
    table = entry.get(key, {})
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in table.items()
    ):
        raise IngestError(f"{where}: {key!r} must map {what} to full names")
    for label, full in table.items():
        if full not in names:
            raise IngestError(
                f"{where}: {one} {label!r} points to {full!r}, who is not in participants"
            )
    return dict(table)


def _names(where: str, value: Any) -> tuple[str, ...]:
    """``known_as``: a list of non-empty strings, spaces squeezed."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise IngestError(f"{where}: 'known_as' must be a list of names for the discussion")
    return tuple(" ".join(v.split()) for v in value)


def _str(where: str, entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(f"{where}: {key!r} must be a string")
    return value.strip() or None


def _date(where: str, value: Any) -> str | None:
    """A TOML date (2023-02-16) or a string: full ISO date, or yyyy-mm / yyyy when that is all."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            if _PARTIAL_DATE.fullmatch(value):
                return value
    raise IngestError(f"{where}: 'date' must be yyyy-mm-dd (or yyyy-mm, yyyy), got {value!r}")


def read_toml_section(
    folder_or_path: Path | str, name: str, section: str
) -> tuple[Path, Any] | None:
    """``(path, raw[section])`` of an optional TOML file (a folder means ``folder/name``), or None
    when there is no file; a broken file or any other top-level key is one IngestError line.

    The manifest and the glossary are both read this way, so both fail the same way."""
    path = Path(folder_or_path)
    if path.is_dir():
        path = path / name
    if not path.is_file():
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise IngestError(f"{path}: invalid TOML {_where(exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: cannot be read ({exc})") from None
    extra = sorted(set(raw) - {section})
    if extra:
        raise IngestError(
            f"{path}: unknown top-level key {extra[0]!r}; put entries under [{section}]"
        )
    return path, raw.get(section, {})


def _where(exc: tomllib.TOMLDecodeError) -> str:
    """'at line 3: Expected '=' …' from Python 3.11's message, which buries the line at the end."""
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)$", msg)
    if not m:
        return f"({msg})"
    return f"at line {m.group(1)}, column {m.group(2)}: {msg[: m.start()].strip()}"
