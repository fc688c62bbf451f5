"""The shipped gazetteer data (every country, capital, seat, person, organisation) and the
loader's checks that keep it clean."""

from collections import Counter
from pathlib import Path

import pytest
from spacy.language import Language

from contract import ConfigError
from processors.gazetteer import (
    DEFAULT_PATH,
    ORG_KINDS,
    ROLES,
    Gazetteer,
    KnownEntity,
    load_gazetteer,
)
from processors.model import load_model

_UN_CODES = """
    AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA CD
    CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET FI FJ FM FR GA
    GB GD GE GH GM GN GQ GR GT GW GY HN HR HT HU ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KI
    KM KN KP KR KW KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MG MH MK ML MM MN MR MT MU
    MV MW MX MY MZ NA NE NG NI NL NO NP NR NZ OM PA PE PG PH PK PL PT PW PY QA RO RS RU RW SA
    SB SC SD SE SG SI SK SL SM SN SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN TO TR TT TV TZ UA
    UG US UY UZ VC VE VN VU WS YE ZA ZM ZW
"""
UN_MEMBERS = set(_UN_CODES.split())
OTHER_STATES = {"PS", "VA", "TW", "XK", "EH"}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer(DEFAULT_PATH)


def _of_kind(gaz: Gazetteer, kind: str) -> list[KnownEntity]:
    return [e for e in gaz.entries.values() if e.kind == kind]


def _known(gaz: Gazetteer, text: str) -> KnownEntity:
    entry = gaz.lookup(text)
    assert entry is not None, text
    return entry


# --- the data ---------------------------------------------------------------------------------


def test_every_un_member_and_the_other_states_are_countries(gaz: Gazetteer) -> None:
    countries = _of_kind(gaz, "country")
    codes = [c.kb_id for c in countries]
    assert len(UN_MEMBERS) == 193
    assert len(codes) == len(set(codes)) == 198
    assert set(codes) == UN_MEMBERS | OTHER_STATES
    for country in countries:
        assert (country.key, country.label, country.country) == (
            f"country:{country.kb_id}",
            "GPE",
            country.kb_id,
        )
        assert country.qid is not None and country.qid.startswith("Q"), country


def test_every_country_has_a_capital_that_maps_back(gaz: Gazetteer) -> None:
    capitals = _of_kind(gaz, "capital")
    assert {c.country for c in capitals} == {c.kb_id for c in _of_kind(gaz, "country")}
    assert len(capitals) == 198
    for city in capitals:
        assert city.key == f"city:{city.name}" and city.label == "GPE"
        country = gaz.country_of(city)
        assert country is not None and country.kb_id == city.country
        assert city.kb_id == city.qid


def test_seats_map_to_their_country(gaz: Gazetteer) -> None:
    seats = _of_kind(gaz, "seat")
    assert len(seats) >= 15
    for seat in seats:
        assert seat.label == "ORG" and seat.key == f"seat:{seat.name}"
        assert gaz.country_of(seat) is not None


def test_sizes_and_vocabularies(gaz: Gazetteer) -> None:
    people = [e for e in gaz.entries.values() if e.label == "PERSON"]
    orgs = [e for e in gaz.entries.values() if e.label == "ORG" and e.kind != "seat"]
    assert len(people) >= 150
    assert len(orgs) >= 120
    assert {p.kind for p in people} <= ROLES
    assert {o.kind for o in orgs} <= ORG_KINDS
    kinds = Counter(o.kind for o in orgs)
    for kind in ("intergovernmental", "armed-group", "news-agency", "media", "government-body"):
        assert kinds[kind] >= 20, kind


def test_ids_are_iso_codes_for_countries_and_qids_for_the_rest(gaz: Gazetteer) -> None:
    for entry in gaz.entries.values():
        if entry.kind == "country":
            assert entry.kb_id is not None and len(entry.kb_id) == 2
        else:
            assert entry.kb_id == entry.qid, entry
        if entry.qid is not None:
            assert entry.qid[0] == "Q" and entry.qid[1:].isdigit(), entry
    qids = Counter(
        e.qid for e in gaz.entries.values() if e.qid and e.kind not in ("country", "capital")
    )
    assert [q for q, n in qids.items() if n > 1] == []


def test_every_alias_names_one_entry_and_every_entry_answers_to_its_name(gaz: Gazetteer) -> None:
    for entry in gaz.entries.values():
        hit = gaz.lookup(entry.name)
        assert hit is not None
        # A city-state's capital leaves its name to the country ("Singapore").
        assert hit == entry or (entry.kind == "capital" and hit.kind == "country"), entry
    assert all(key in gaz.entries for key, _ in gaz.aliases.values())
    patterns = gaz.ruler_patterns()
    assert len({p["pattern"] for p in patterns}) == len(patterns)


def test_no_alias_is_a_plain_lowercase_word(gaz: Gazetteer) -> None:
    """Lowercase forms fire on ordinary text: only particles of names start lowercase."""
    particles = ("al-", "al ", "el-", "bin ", "von ", "the ")
    for alias in gaz.aliases:
        assert not alias[0].islower() or alias.startswith(particles) or alias == "dpa", alias
    assert not {"IS", "AU", "Male", "Roma"} & gaz.aliases.keys()


@pytest.mark.parametrize(
    ("text", "name", "label", "kb_id"),
    [
        ("Zelenskyy", "Volodymyr Zelensky", "PERSON", "Q3874799"),
        ("DRC", "Democratic Republic of the Congo", "GPE", "CD"),
        ("Congo-Kinshasa", "Democratic Republic of the Congo", "GPE", "CD"),
        ("Türkiye", "Turkey", "GPE", "TR"),
        ("Burma", "Myanmar", "GPE", "MM"),
        ("Côte d'Ivoire", "Ivory Coast", "GPE", "CI"),
        ("U.S.", "United States", "GPE", "US"),
        ("UK", "United Kingdom", "GPE", "GB"),
        ("Azeri", "Azerbaijan", "GPE", "AZ"),
        ("Emiratis", "United Arab Emirates", "GPE", "AE"),
        ("Singapore", "Singapore", "GPE", "SG"),
        ("Kiev", "Kyiv", "GPE", "Q1899"),
        ("Peking", "Beijing", "GPE", "Q956"),
        ("ISIL", "Islamic State", "ORG", "Q2429253"),
        ("Nato", "NATO", "ORG", "Q7184"),
        ("Hemedti", "Mohamed Hamdan Dagalo", "PERSON", None),
        ("Gaza", "Gaza Strip", "GPE", None),
    ],
)
def test_spot_checks(gaz: Gazetteer, text: str, name: str, label: str, kb_id: str | None) -> None:
    entry = _known(gaz, text)
    assert (entry.name, entry.label, entry.kb_id) == (name, label, kb_id)


def test_kyiv_is_a_capital_of_ukraine(gaz: Gazetteer) -> None:
    kyiv = _known(gaz, "Kyiv")
    assert (kyiv.key, kyiv.kind, kyiv.country, kyiv.label) == ("city:Kyiv", "capital", "UA", "GPE")
    ukraine = gaz.country_of(kyiv)
    assert ukraine is not None and (ukraine.name, ukraine.kb_id, ukraine.qid) == (
        "Ukraine",
        "UA",
        "Q212",
    )


@pytest.mark.parametrize(
    ("seat", "country"),
    [("Kremlin", "Russia"), ("White House", "United States"), ("Downing Street", "United Kingdom")],
)
def test_seats_of_government(gaz: Gazetteer, seat: str, country: str) -> None:
    entry = _known(gaz, seat)
    assert (entry.kind, entry.label) == ("seat", "ORG")
    owner = gaz.country_of(entry)
    assert owner is not None and owner.name == country


def test_armed_groups_and_agencies(gaz: Gazetteer) -> None:
    houthis = _known(gaz, "Houthis")
    assert (houthis.kind, houthis.country) == ("armed-group", "YE")
    assert _known(gaz, "Ansar Allah") == houthis
    assert _known(gaz, "RSF").name == "Rapid Support Forces"
    assert _known(gaz, "Reuters").kind == "news-agency"
    assert _known(gaz, "Pentagon").kind == "government-body"
    assert gaz.country_of(_known(gaz, "Pentagon")) is None  # an actor of its own, not a metonym
    assert gaz.country_of(_known(gaz, "Vladimir Putin")) is None


def test_people_roles(gaz: Gazetteer) -> None:
    putin = _known(gaz, "Putin")
    assert (putin.kind, putin.country, putin.kb_id) == ("head of state", "RU", "Q7747")
    assert _known(gaz, "Lavrov").kind == "foreign minister"
    assert _known(gaz, "Guterres").country is None


def test_ambiguous_names_are_linked_only_under_a_fitting_label(gaz: Gazetteer) -> None:
    patterns = {p["pattern"] for p in gaz.ruler_patterns()}
    for name in ("Jordan", "Washington", "Congo", "Victoria", "Congress"):
        assert gaz.is_ambiguous(name) and name not in patterns
        assert gaz.lookup(name) is not None
    assert gaz.lookup("Jordan", "PERSON") is None
    assert gaz.lookup("Jordan", "GPE") == gaz.entries["country:JO"]
    assert gaz.lookup("Congolese", "NORP") == gaz.entries["country:CD"]
    assert gaz.lookup("Congress", "ORG") is not None
    assert gaz.lookup("Kyiv", "PERSON") == gaz.entries["city:Kyiv"]  # not ambiguous: always


# --- the ruler ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nlp(gaz: Gazetteer) -> Language:
    pipeline = load_model("en_core_web_sm")
    gaz.install(pipeline)
    gaz.install(pipeline)  # once only
    return pipeline


def _ents(nlp: Language, text: str) -> dict[str, tuple[str, str]]:
    return {e.text: (e.label_, e.ent_id_) for e in nlp(text).ents}


def test_install_is_idempotent(nlp: Language) -> None:
    names = nlp.pipe_names
    assert names.count("gazetteer_ruler") == 1
    assert names.index("gazetteer_ruler") < names.index("gazetteer_longer_names")
    assert names.index("gazetteer_longer_names") < names.index("ner")


def test_ruler_tags_capitals_seats_and_aliases(nlp: Language) -> None:
    ents = _ents(nlp, "Kyiv said the Kremlin and the Houthis met in Washington, D.C. on Monday.")
    assert ents["Kyiv"] == ("GPE", "city:Kyiv")
    assert ents["Kremlin"] == ("ORG", "seat:Kremlin")
    assert ents["Houthis"] == ("ORG", "ORG:Houthis")
    assert ents["Washington, D.C."] == ("GPE", "city:Washington")


def test_longer_names_go_back_to_the_model(nlp: Language) -> None:
    ents = _ents(nlp, "Missiles hit Damascus International Airport. The Bank of Japan met.")
    assert "Damascus" not in ents
    assert not any(e.startswith("city:") or e.startswith("country:") for _, e in ents.values())


def test_listed_places_beat_the_country_inside_them(nlp: Language) -> None:
    ents = _ents(nlp, "Chinese ships patrolled the South China Sea and the Indian Ocean.")
    assert ents["South China Sea"] == ("LOC", "LOC:South China Sea")
    assert ents["Indian Ocean"] == ("LOC", "LOC:Indian Ocean")
    assert ents["Chinese"] == ("NORP", "country:CN")


# --- the loader's checks -------------------------------------------------------------------------

COUNTRY = "{name: Freedonia, iso: FD, adjectives: [Freedonian], capital: Fredville}"


def _load(tmp_path: Path, text: str) -> Gazetteer:
    path = tmp_path / "gaz.yaml"
    path.write_text(text, encoding="utf-8")
    return load_gazetteer(path)


def test_a_small_file_loads(tmp_path: Path) -> None:
    gaz = _load(
        tmp_path,
        f'version: "1"\ncountries:\n  - {COUNTRY}\n'
        "seats:\n  - {name: Fred House, iso: FD}\n"
        "people:\n  - {name: Rufus Firefly, role: head of state, iso: FD, qid: Q1, aliases: "
        "[Firefly]}\n"
        "organizations:\n  - {name: Freedonian Army, kind: armed-group, iso: FD}\n"
        "ambiguous: [Firefly]\n",
    )
    assert gaz.version == "1"
    assert gaz.lookup("Freedonian") == gaz.entries["country:FD"]
    assert gaz.country_of(gaz.entries["city:Fredville"]) == gaz.entries["country:FD"]
    assert gaz.country_of(gaz.entries["seat:Fred House"]) == gaz.entries["country:FD"]
    assert gaz.lookup("Firefly", "PERSON") == gaz.entries["PERSON:Rufus Firefly"]
    assert gaz.ambiguous == {"Firefly"}


@pytest.mark.parametrize(
    ("yaml_text", "names"),
    [
        ("countries:\n  - [Freedonia, FD, [Freedonian], []]\n", ["countries[0]", "mapping"]),
        (f"countries:\n  - {COUNTRY}\n  - {{iso: SV, capital: X}}\n", ["countries[1]", "'name'"]),
        ("countries:\n  - {name: Freedonia, iso: fd, capital: X}\n", ["countries[0]", "'iso'"]),
        ("countries:\n  - {name: Norway, iso: NO, capital: Oslo}\n", ["countries[0]", "'iso'"]),
        ("countries:\n  - {name: Freedonia, iso: FD}\n", ["countries[0]", "'capital'"]),
        (f"countries:\n  - {COUNTRY}\n  - {COUNTRY}\n", ["countries[1]", "'FD'"]),
        (
            "countries:\n  - {name: A, iso: FD, capital: X, capitol: Y}\n",
            ["countries[0]", "capitol"],
        ),
        ("countries:\n  - {name: A, iso: FD, capital: X, qid: 42}\n", ["countries[0]", "'qid'"]),
        (
            "countries:\n  - {name: A, iso: FD, capital: X, aliases: B}\n",
            ["countries[0]", "aliases"],
        ),
        ("seats:\n  - {name: Kremlin, iso: RU}\n", ["seats[0]", "'RU'"]),
        ("people:\n  - {name: A B}\n  - {qid: Q1, aliases: [X]}\n", ["people[1]", "'name'"]),
        ("people:\n  - {name: A B, role: king}\n", ["people[0]", "'role'"]),
        ("people:\n  - {name: A B, kb_id: Q1}\n", ["people[0]", "kb_id"]),
        ("people:\n  - {name: A B, qid: X1}\n", ["people[0]", "'qid'"]),
        ("people:\n  - {name: A B}\n  - {name: A B}\n", ["people[1]", "twice"]),
        ("organizations:\n  - {name: ''}\n", ["organizations[0]", "'name'"]),
        ("organizations:\n  - {name: X, kind: club}\n", ["organizations[0]", "'kind'"]),
        ("places:\n  - {name: X, label: ORG}\n", ["places[0]", "'label'"]),
        ("people: {name: A}\n", ["people", "list"]),
        ("people: [{name: [unclosed\n", ["gazetteer"]),
        ("- just a list\n", ["mapping"]),
        ("people:\n  - {name: A B}\nambiguous: [Nobody]\n", ["ambiguous", "'Nobody'"]),
        ("people:\n  - {name: A B}\nnot_entities: [A B]\n", ["not_entities", "'A B'"]),
    ],
)
def test_load_errors_name_the_entry(tmp_path: Path, yaml_text: str, names: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, yaml_text)
    for name in names:
        assert name in str(caught.value)


def test_an_alias_naming_two_entries_is_refused_with_both_names(tmp_path: Path) -> None:
    text = (
        f"countries:\n  - {COUNTRY}\n"
        "people:\n  - {name: Rufus Firefly, aliases: [Firefly]}\n"
        "organizations:\n  - {name: Firefly Films, kind: company, aliases: [Firefly]}\n"
    )
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    for part in ("organizations[0]", "'Firefly'", "Firefly Films", "Rufus Firefly"):
        assert part in message


def test_a_capital_may_not_take_another_countrys_name(tmp_path: Path) -> None:
    text = (
        f"countries:\n  - {COUNTRY}\n"
        "  - {name: Sylvania, iso: SY, adjectives: [Sylvanian], capital: Freedonia}\n"
    )
    with pytest.raises(ConfigError, match=r"countries\[1\].*'Freedonia'"):
        _load(tmp_path, text)


def test_a_city_states_capital_keeps_no_alias_of_its_own(tmp_path: Path) -> None:
    gaz = _load(tmp_path, "countries:\n  - {name: Fredonia, iso: FD, capital: Fredonia}\n")
    assert gaz.lookup("Fredonia") == gaz.entries["country:FD"]
    assert gaz.entries["city:Fredonia"].country == "FD"
