"""Entity clean-up: surnames resolve to full names, possessives are stripped, merges count."""

from processors.enrich import Enricher
from processors.entities import extract_entities


def _entities(enricher: Enricher, text: str) -> dict[str, tuple[str, int]]:
    doc = enricher.nlp(text)
    return {e.name: (e.label, e.count) for e in extract_entities(doc, enricher.gazetteer)}


def test_surname_resolves_to_full_name_in_same_article(enricher: Enricher) -> None:
    text = (
        "Maria Kowalczyk, an economist in Warsaw, spoke on Monday. "
        "Kowalczyk said the plan was sound. Later, Kowalczyk declined to comment."
    )
    entities = _entities(enricher, text)
    assert entities["Maria Kowalczyk"] == ("PERSON", 3)
    assert "Kowalczyk" not in entities


def test_surname_without_full_name_stays_as_is(enricher: Enricher) -> None:
    entities = _entities(enricher, "Kowalczyk said the plan was sound, speaking in Warsaw.")
    assert "Maria Kowalczyk" not in entities


def test_possessive_is_stripped(enricher: Enricher) -> None:
    text = "Maria Kowalczyk spoke in Warsaw. Kowalczyk\u2019s plan and Kowalczyk's report."
    entities = _entities(enricher, text)
    assert entities["Maria Kowalczyk"] == ("PERSON", 3)
    assert not any(name.endswith(("'s", "\u2019s")) for name in entities)


def test_gazetteer_possessive_links(enricher: Enricher) -> None:
    entities = _entities(enricher, "Ukraine's army held the line as Zelensky\u2019s aides met.")
    assert entities["Ukraine"][0] == "GPE"
    assert entities["Volodymyr Zelensky"] == ("PERSON", 1)


def test_demonym_and_name_merge_into_the_country(enricher: Enricher) -> None:
    text = "Polish troops arrived. Poland said the Poles would stay."
    entities = _entities(enricher, text)
    assert entities["Poland"] == ("GPE", 3)


def test_capital_as_actor_is_its_country(enricher: Enricher) -> None:
    entities = _entities(enricher, "Kyiv said the talks had failed. Moscow warned of retaliation.")
    assert entities["Ukraine"][0] == "GPE"
    assert entities["Russia"][0] == "GPE"
    assert "Kyiv" not in entities and "Moscow" not in entities


def test_capital_as_place_stays_the_city(enricher: Enricher) -> None:
    entities = _entities(enricher, "Missiles hit Kyiv overnight, and talks in Moscow stalled.")
    assert "Kyiv" in entities and "Moscow" in entities
    assert "Ukraine" not in entities and "Russia" not in entities


def test_seat_of_government_is_its_country(enricher: Enricher) -> None:
    entities = _entities(enricher, "The Kremlin rejected the proposal on Tuesday.")
    assert "Russia" in entities and "Kremlin" not in entities


def test_spelling_variants_are_one_person(enricher: Enricher) -> None:
    text = "Volodymyr Zelenskyy met allies. Zelensky later said Zelenskiy's plan stood."
    entities = _entities(enricher, text)
    assert entities["Volodymyr Zelensky"] == ("PERSON", 3)


def test_lowercase_words_are_not_entities(enricher: Enricher) -> None:
    doc = enricher.nlp("Turnout was low as gunmen attacked the polling station.")
    names = {e.name.lower() for e in extract_entities(doc, enricher.gazetteer)}
    assert not names & {"turnout", "gunmen"}


def test_ambiguous_name_tagged_as_a_person_is_not_a_country(enricher: Enricher) -> None:
    doc = enricher.nlp("Michael Jordan said he was proud.")
    entities = {e.name: e for e in extract_entities(doc, enricher.gazetteer)}
    assert not any(e.kb_id == "JO" for e in entities.values())
