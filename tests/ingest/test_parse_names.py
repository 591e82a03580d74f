"""Resolving speaker labels to the manifest's full names."""

from __future__ import annotations

from bot.ingest.formats.names import Names, initials_of, looks_like_person


def test_initials_split_on_hyphens() -> None:
    """Hyphenated first names contribute one letter per part."""
    assert initials_of("Kai-Fu Lee") == "KFL"
    assert initials_of("Yann LeCun") == "YL"


def test_alias_wins_over_spelling_in_the_file() -> None:
    """An ASR misspelling listed as an alias resolves to the correct name, any case."""
    names = Names(["Stella Biderman"], {"Stella Biederman": "Stella Biderman"})
    assert names.resolve("stella  biederman") == "Stella Biderman"


def test_unique_first_name_resolves_but_a_shared_one_does_not() -> None:
    """A bare "Sarah" means Sarah Guo only when no other participant is a Sarah."""
    assert Names(["Sarah Guo", "Elad Gil"]).resolve("Sarah") == "Sarah Guo"
    assert Names(["Sarah Guo", "Sarah Connor"]).resolve("Sarah") is None


def test_unknown_label_resolves_to_nothing() -> None:
    """A heading word like "Guest" is nobody."""
    assert Names(["Cristobal Valenzuela"]).resolve("Guest") is None


def test_initials_from_file_labels_beat_participant_spellings() -> None:
    """NT is the "Nick Thompson" the file labelled, not a clash with "Nicholas Thompson"."""
    names = Names(["Nicholas Thompson"])
    mapping, clashes = names.initials_map(["Nick Thompson"])
    assert mapping["NT"] == "Nick Thompson"
    assert clashes == []


def test_shared_initials_are_reported_and_left_unmapped() -> None:
    """Two participants with the same initials map to nobody."""
    mapping, clashes = Names(["Anna Gray", "Aidan Gomez"]).initials_map()
    assert "AG" not in mapping
    assert clashes == ["AG"]


def test_person_shaped_labels() -> None:
    """Two to four capitalised words are a name; headings and sentences are not."""
    assert looks_like_person("Kai-Fu Lee")
    assert looks_like_person("Dan Södergren")
    assert not looks_like_person("Show Notes")
    assert not looks_like_person("So the question is")
    assert not looks_like_person("Transcript")
