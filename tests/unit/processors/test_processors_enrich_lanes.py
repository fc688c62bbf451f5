"""Language routing and story assignment in ``Enricher.enrich_batch``."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

from contract import SCHEMA_VERSION, Article
from processors.enrich import NO_TEXT, UNSUPPORTED, Enricher
from processors.stories import StoryIndex

Factory = Callable[..., Article]

FRENCH = (
    "Le gouvernement a annoncé mardi de nouvelles sanctions contre les banques russes, "
    "affirmant que la guerre en Ukraine ne pouvait pas rester sans réponse."
)
WIRE = (
    "Russian forces struck the port of Odesa overnight with drones and missiles, damaging grain "
    "silos and a passenger terminal, regional governor Oleh Kiper said on Tuesday. Two people "
    "were wounded. Ukraine's air force said it shot down 31 of the 40 drones launched from "
    "Russia's Kursk region and the annexed Crimean peninsula."
)


def _with(enricher: Enricher, **changes: object) -> Enricher:
    return dataclasses.replace(enricher, **changes)  # type: ignore[arg-type]


def test_non_english_is_flagged_not_tagged(enricher: Enricher, make_article: Factory) -> None:
    article = make_article(title="Sanctions contre la Russie", text=FRENCH, language=None)
    enriched = enricher.enrich(article)
    assert enriched.language == "fr"
    assert enriched.entities == [] and enriched.topics == []
    assert UNSUPPORTED in enriched.flags
    assert enriched.nlp_model is None


def test_english_is_detected_and_tagged(enricher: Enricher, make_article: Factory) -> None:
    enriched = enricher.enrich(make_article(title="Odesa port hit", text=WIRE, language="fr"))
    assert enriched.language == "en"  # the text wins over a wrong feed declaration
    assert enriched.flags == []
    assert "Odesa" in {e.name for e in enriched.entities}
    assert enriched.schema_version == SCHEMA_VERSION


def test_undetectable_text_falls_back_to_the_declared_language(
    enricher: Enricher, make_article: Factory
) -> None:
    enriched = enricher.enrich(make_article(title="Kyiv", text="", language="uk-UA"))
    assert enriched.language == "uk"
    assert UNSUPPORTED in enriched.flags


def test_empty_article_is_flagged(enricher: Enricher, make_article: Factory) -> None:
    enriched = enricher.enrich(make_article(title="", text="", language=None))
    assert enriched.flags == [NO_TEXT]


def test_copies_share_a_story_and_exact_copies_are_marked(
    enricher: Enricher, make_article: Factory, tmp_path: Path
) -> None:
    with StoryIndex(tmp_path / "stories.sqlite3") as stories:
        clustering = _with(enricher, stories=stories)
        first = make_article(url="https://a.example/1", title="Drones hit Odesa", text=WIRE)
        copy = make_article(url="https://b.example/2", title="Odesa port attacked", text=WIRE)
        edited = make_article(
            url="https://c.example/3",
            title="Russia strikes Odesa",
            text=WIRE.replace("Two people were wounded. ", "") + " Kyiv condemned the attack.",
        )
        other = make_article(url="https://d.example/4", title="Unrelated", text=FRENCH)
        results = clustering.enrich_batch([first, copy, edited, other])
        again = clustering.enrich(copy)  # a redelivery
    story = results[0].story_id
    assert story == first.id
    assert [r.story_id for r in results[:3]] == [story] * 3
    assert results[3].story_id == other.id
    assert results[1].duplicate_of == first.id and results[1].content_hash
    assert results[2].duplicate_of is None
    assert (again.story_id, again.duplicate_of) == (story, first.id)
