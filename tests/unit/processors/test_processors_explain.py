"""``explain_topics``: the report agrees with the tagger, and shows near misses and blocks."""

from processors.enrich import Enricher
from processors.explain import explain_topics
from processors.taxonomy import tag_topics


def _by_topic(enricher: Enricher, text: str) -> dict[str, object]:
    return {e.topic: e for e in explain_topics(enricher.parse(text), enricher.taxonomy)}


def test_explanation_agrees_with_the_tagger(enricher: Enricher, seed_text: str) -> None:
    doc = enricher.parse(seed_text)
    tagged = {m.topic: m.score for m in tag_topics(doc, enricher.taxonomy)}
    explained = explain_topics(doc, enricher.taxonomy)
    assert {e.topic: e.score for e in explained if e.assigned} == tagged
    assert [e.assigned for e in explained] == sorted((e.assigned for e in explained), reverse=True)
    fired = [t for e in explained if e.topic == "weapons-restrictions" for t in e.traces]
    assert any(t.status == "fired" and "restriction" in t.matched for t in fired)


def test_near_miss_names_the_missing_group(enricher: Enricher) -> None:
    text = "The government will lift restrictions on imports of cheese next month."
    weapons = _by_topic(enricher, text)["weapons-restrictions"]
    assert not weapons.assigned  # type: ignore[attr-defined]
    near = [t for t in weapons.traces if t.status == "near"]  # type: ignore[attr-defined]
    assert near and any(
        "missile" in group or "weapon" in group for t in near for group in t.missing
    )


def test_blocked_and_excluded_are_reported(enricher: Enricher) -> None:
    text = "Retailers declared a truce in the smartphone price war as prices fell."
    ceasefire = _by_topic(enricher, text)["ceasefire"]
    assert not ceasefire.assigned  # type: ignore[attr-defined]
    assert ceasefire.excluded_by == "price war"  # type: ignore[attr-defined]


def test_all_topics_are_explained(enricher: Enricher) -> None:
    explained = explain_topics(enricher.parse("Nothing happened today."), enricher.taxonomy)
    assert len(explained) == len(enricher.taxonomy.topics)
    assert not any(e.assigned for e in explained)
