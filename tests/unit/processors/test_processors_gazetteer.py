"""The gazetteer: load errors, ambiguous names, demonyms and linking."""

from pathlib import Path

import pytest

from contract import ConfigError
from processors.enrich import Enricher
from processors.gazetteer import DEFAULT_PATH, Gazetteer, load_gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(DEFAULT_PATH)


def _patterns(gaz: Gazetteer) -> set[str]:
    return {p["pattern"] for p in gaz.ruler_patterns()}


@pytest.mark.parametrize("name", ["Georgia", "Jordan", "Chad", "Niger", "Turkey"])
def test_ambiguous_names_are_not_ruler_patterns(gazetteer: Gazetteer, name: str) -> None:
    assert name in gazetteer.ambiguous
    assert name not in _patterns(gazetteer)


def test_ambiguous_names_are_still_linked(gazetteer: Gazetteer) -> None:
    georgia = gazetteer.lookup("Georgia")
    jordan = gazetteer.lookup("Jordan")
    assert georgia is not None and (georgia.name, georgia.label, georgia.kb_id) == (
        "Georgia",
        "GPE",
        "GE",
    )
    assert jordan is not None and jordan.kb_id == "JO"
    assert "Georgian" in _patterns(gazetteer)


@pytest.mark.parametrize(
    ("demonym", "country", "iso"),
    [("Russian", "Russia", "RU"), ("Ukrainians", "Ukraine", "UA"), ("Dutch", "Netherlands", "NL")],
)
def test_demonyms_map_to_their_country(
    gazetteer: Gazetteer, demonym: str, country: str, iso: str
) -> None:
    entry = gazetteer.lookup(demonym)
    assert entry is not None
    assert (entry.name, entry.label, entry.kb_id) == (country, "GPE", iso)
    assert gazetteer.aliases[demonym][1] == "NORP"
    pattern = next(p for p in gazetteer.ruler_patterns() if p["pattern"] == demonym)
    assert pattern == {"label": "NORP", "pattern": demonym, "id": f"country:{iso}"}


def test_people_and_organizations(gazetteer: Gazetteer) -> None:
    putin = gazetteer.lookup("Putin")
    nato = gazetteer.lookup("Nato")
    assert putin is not None and (putin.name, putin.label) == ("Vladimir Putin", "PERSON")
    assert nato is not None and (nato.name, nato.label, nato.kb_id) == ("NATO", "ORG", "Q7184")
    assert gazetteer.lookup("Nobody Inparticular") is None
    assert "Armageddon" in gazetteer.not_entities


def test_ambiguous_name_of_a_person_is_not_forced_to_a_country(enricher: Enricher) -> None:
    doc = enricher.nlp("Jordan Peterson spoke in London.")
    assert not any(ent.ent_id_ == "country:JO" for ent in doc.ents)


@pytest.mark.parametrize(
    ("yaml_text", "names"),
    [
        ("countries:\n  - [Freedonia, FD, [Freedonian]]\n", ["countries[0]"]),
        (
            "countries:\n  - {name: Freedonia, iso: FD, capital: Fredville}\n  - Sylvania\n",
            ["countries[1]"],
        ),
        ("people:\n  - {name: A B}\n  - {qid: Q1, aliases: [X]}\n", ["people[1]", "'name'"]),
        ("organizations:\n  - {name: ''}\n", ["organizations[0]", "'name'"]),
        ("people: [{name: [unclosed\n", ["gazetteer"]),
    ],
)
def test_load_errors_name_the_entry(tmp_path: Path, yaml_text: str, names: list[str]) -> None:
    path = tmp_path / "gaz.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_gazetteer(path)
    for name in names:
        assert name in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        load_gazetteer(tmp_path / "nope.yaml")
