"""The seeds manifest: loading, validation, and metadata for files without an entry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.ingest.manifest import SourceMeta, load_manifest, meta_for, title_from_filename
from bot.ingest.read import IngestError
from bot.records import ParseResult
from tests.ingest import SEEDS


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(IngestError) as info:
        load_manifest(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_missing_manifest_is_empty(tmp_path: Path) -> None:
    """A seeds folder without manifest.toml has no entries, not an error."""
    assert load_manifest(tmp_path) == {}


def test_folder_or_file_path_both_load(tmp_path: Path) -> None:
    """Either the seeds folder or the manifest file itself can be given."""
    path = _write(tmp_path, '[sources."a.vtt"]\ntitle = "A"\n')
    assert load_manifest(tmp_path) == load_manifest(path)
    assert load_manifest(path)["a.vtt"].title == "A"


def test_entry_fields_are_read(tmp_path: Path) -> None:
    """Every schema field arrives in SourceMeta; TOML dates become ISO strings."""
    path = _write(
        tmp_path,
        '[sources."talk.srt"]\n'
        'title = "Talk"\nshow = "Show"\ndate = 2024-01-17\nurl = "https://example.org/t"\n'
        'participants = ["Ada Lovelace", "Alan Turing"]\n'
        'aliases = { "Ada Lovelase" = "Ada Lovelace" }\n',
    )
    meta = load_manifest(path)["talk.srt"]
    assert meta == SourceMeta(
        file="talk.srt",
        title="Talk",
        show="Show",
        date="2024-01-17",
        participants=("Ada Lovelace", "Alan Turing"),
        url="https://example.org/t",
        aliases={"Ada Lovelase": "Ada Lovelace"},
    )


def test_default_speaker_is_always_a_participant(tmp_path: Path) -> None:
    """A default_speaker missing from participants is added to them."""
    path = _write(tmp_path, '[sources."q.txt"]\ndefault_speaker = "Emad Mostaque"\n')
    assert load_manifest(path)["q.txt"].participants == ("Emad Mostaque",)


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    """A syntax error gives one line with the manifest path and the line number."""
    path = _write(tmp_path, '[sources."a.txt"]\ntitle = "A"\nshow = \n')
    message = _error(path)
    assert str(path) in message
    assert "line 3" in message


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    """A typo such as ``participant`` is caught instead of silently ignored."""
    path = _write(tmp_path, '[sources."a.txt"]\nparticipant = ["X Y"]\n')
    assert "participant" in _error(path)


def test_alias_to_someone_not_listed_is_an_error(tmp_path: Path) -> None:
    """An alias must point at one of the participants."""
    path = _write(
        tmp_path, '[sources."a.txt"]\nparticipants = ["Ann Lee"]\naliases = { "Anne" = "Ann Li" }\n'
    )
    assert "Ann Li" in _error(path)


def test_bad_date_is_an_error(tmp_path: Path) -> None:
    """Dates must be ISO; "16/02/2023" is refused."""
    path = _write(tmp_path, '[sources."a.txt"]\ndate = "16/02/2023"\n')
    assert "date" in _error(path)


def test_participants_must_be_a_list_of_names(tmp_path: Path) -> None:
    """A bare string for participants is refused, not split into letters."""
    path = _write(tmp_path, '[sources."a.txt"]\nparticipants = "Ann Lee"\n')
    assert "participants" in _error(path)


def test_title_from_file_name() -> None:
    """Separators become spaces, the extension goes, the first letter is capitalised."""
    assert title_from_filename("my_talk-2024.vtt") == "My talk 2024"


def test_meta_for_unlisted_file_prefers_header_title_over_file_name() -> None:
    """No entry: the parsed header title and date are used, else the file-name title."""
    parsed = ParseResult("podcast_export", [], title="Episode 7", date="2023-02-16")
    with_header = meta_for(Path("x/ep_7.txt"), {}, parsed)
    without = meta_for(Path("x/ep_7.txt"), {})
    assert (with_header.title, with_header.date) == ("Episode 7", "2023-02-16")
    assert (without.title, without.date, without.participants) == ("Ep 7", None, ())


def test_meta_for_listed_file_keeps_manifest_title_over_header(tmp_path: Path) -> None:
    """The manifest's curated title wins; the header date fills a missing manifest date."""
    manifest = load_manifest(_write(tmp_path, '[sources."ep.txt"]\ntitle = "Curated"\n'))
    parsed = ParseResult("podcast_export", [], title="Raw header", date="2023-02-16")
    meta = meta_for(tmp_path / "ep.txt", manifest, parsed)
    assert (meta.title, meta.date) == ("Curated", "2023-02-16")


def test_meta_for_entry_without_title_falls_back(tmp_path: Path) -> None:
    """An entry that only lists participants still gets a usable title."""
    manifest = load_manifest(_write(tmp_path, '[sources."my_talk.vtt"]\nparticipants = ["A B"]\n'))
    assert meta_for(Path("my_talk.vtt"), manifest).title == "My talk"


def test_seed_manifest_describes_every_seed() -> None:
    """Every seed transcript has an entry with a title and participants."""
    manifest = load_manifest(SEEDS)
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert sorted(manifest) == seeds
    for meta in manifest.values():
        assert meta.title and meta.participants


def test_seed_manifest_spellings() -> None:
    """Known misspellings map to the correct names, and only 002 has a default speaker."""
    manifest = load_manifest(SEEDS)
    by_prefix = {name[:3]: meta for name, meta in manifest.items()}
    assert by_prefix["000"].aliases["Imad Mastak"] == "Emad Mostaque"
    assert by_prefix["003"].aliases["Stella Biederman"] == "Stella Biderman"
    assert by_prefix["004"].aliases["Nick Thompson"] == "Nicholas Thompson"
    assert {p for p, m in by_prefix.items() if m.default_speaker} == {"002"}
    assert by_prefix["000"].date == "2023-02-16"


def test_speakers_table_maps_generic_labels(tmp_path: Path) -> None:
    """``speakers = {"Speaker 1" = …}`` is read and merged into the parser's label map."""
    path = _write(
        tmp_path,
        '[sources."a.txt"]\nparticipants = ["Ann Lee", "Bo Park"]\n'
        'aliases = { "Anne" = "Ann Lee" }\nspeakers = { "Speaker 1" = "Bo Park" }\n',
    )
    meta = load_manifest(path)["a.txt"]
    assert meta.speakers == {"Speaker 1": "Bo Park"}
    assert meta.name_map == {"Anne": "Ann Lee", "Speaker 1": "Bo Park"}


def test_speaker_label_to_someone_not_listed_is_an_error(tmp_path: Path) -> None:
    """Like aliases, a speakers target must be a participant (a typo would silently unname)."""
    path = _write(
        tmp_path,
        '[sources."a.txt"]\nparticipants = ["Ann Lee"]\nspeakers = { "Speaker 1" = "Ann Li" }\n',
    )
    message = _error(path)
    assert "Speaker 1" in message and "Ann Li" in message and "participants" in message


def test_speakers_must_be_a_table_of_strings(tmp_path: Path) -> None:
    """``speakers = ["Ann Lee"]`` is refused with one line naming the key."""
    path = _write(
        tmp_path, '[sources."a.txt"]\nparticipants = ["Ann Lee"]\nspeakers = ["Ann Lee"]\n'
    )
    assert "'speakers' must map speaker labels to full names" in _error(path)


def test_speakers_table_names_a_generic_label_end_to_end(tmp_path: Path) -> None:
    """A Rev file's "Speaker 1" is cited by the manifest's name after parsing with its entry."""
    from bot.index.ingest import parse_for

    path = _write(
        tmp_path,
        '[sources."a.txt"]\nparticipants = ["Ravi Shah"]\n'
        'speakers = { "Speaker 1" = "Ravi Shah" }\n',
    )
    meta = load_manifest(path)["a.txt"]
    result = parse_for("Speaker 1 (00:01):\nHello.\n\nSpeaker 1 (00:03):\nAgain.\n", meta)
    assert [s.speaker for s in result.segments] == ["Ravi Shah", "Ravi Shah"]


def test_roles_are_read_and_checked(tmp_path: Path) -> None:
    """roles map participants to a description; a role for someone not listed is an error."""
    good = _write(
        tmp_path,
        '[sources."a.txt"]\nparticipants = ["Ann Lee"]\nroles = { "Ann Lee" = "  host  of X " }\n',
    )
    assert load_manifest(good)["a.txt"].roles == {"Ann Lee": "host of X"}
    _write(tmp_path, '[sources."a.txt"]\nparticipants = ["Ann Lee"]\nroles = { "Bob" = "host" }\n')
    assert "not in participants" in _error(tmp_path)
    _write(tmp_path, '[sources."a.txt"]\nparticipants = ["Ann Lee"]\nroles = { "Ann Lee" = 3 }\n')
    assert "roles" in _error(tmp_path)


def test_known_as_is_read_and_checked(tmp_path: Path) -> None:
    """known_as lists other names of the discussion; anything but a list of names is an error,
    and a change to it changes the file's fingerprint, so the next ingest saves the new names."""
    from bot.index.ingest import fingerprint

    good = _write(tmp_path, '[sources."a.txt"]\nknown_as = ["the  notes", "AMA"]\n')
    meta = load_manifest(good)["a.txt"]
    assert meta.known_as == ("the notes", "AMA")
    unnamed = replace(meta, known_as=())
    assert fingerprint("text", meta, 192, 1) != fingerprint("text", unnamed, 192, 1)
    for bad in ('"notes"', '["notes", 3]', '[" "]'):
        _write(tmp_path, f'[sources."a.txt"]\nknown_as = {bad}\n')
        assert "known_as" in _error(tmp_path)
