"""The processor on a real story: canonical entities, topics with evidence, batch = single."""

from collections.abc import Callable

import pytest

from contract import Article, Entity
from processors.enrich import Enricher, cap_text

Factory = Callable[..., Article]


def _by_name(article: Article) -> dict[str, Entity]:
    return {e.name: e for e in article.entities}


def test_seed_entities_have_canonical_names(seed_enriched: Article) -> None:
    names = set(_by_name(seed_enriched))
    assert {
        "NATO",
        "Jens Stoltenberg",
        "Ukraine",
        "Russia",
        "Volodymyr Zelensky",
        "Antony Blinken",
        "Vladimir Putin",
        "Reuters",
    } <= names
    assert "Stoltenberg" not in names
    assert "Putin" not in names


def test_one_entity_per_name(seed_enriched: Article) -> None:
    names = [e.name for e in seed_enriched.entities]
    assert len(names) == len(set(names))


def test_stoltenberg_is_a_person_mentioned_three_times(seed_enriched: Article) -> None:
    stoltenberg = _by_name(seed_enriched)["Jens Stoltenberg"]
    assert stoltenberg.label == "PERSON"
    assert stoltenberg.count == 3
    assert stoltenberg.kb_id == "Q57286"
    assert not any(e.label == "ORG" and "Stoltenberg" in e.name for e in seed_enriched.entities)


def test_armageddon_is_not_an_entity(seed_enriched: Article) -> None:
    assert not any("Armageddon" in e.name for e in seed_enriched.entities)


def test_economist_is_an_org(seed_enriched: Article) -> None:
    assert _by_name(seed_enriched)["The Economist"].label == "ORG"


def test_russia_comes_from_the_adjective(seed_enriched: Article) -> None:
    russia = _by_name(seed_enriched)["Russia"]
    assert (russia.label, russia.kb_id, russia.text) == ("GPE", "RU", "Russian")
    assert seed_enriched.body[russia.first_offset :].startswith("Russian")


def test_first_offsets_point_at_the_surface_form(seed_enriched: Article) -> None:
    body = seed_enriched.body
    for entity in seed_enriched.entities:
        assert body[entity.first_offset :].startswith(entity.text), entity
    offsets = [e.first_offset for e in seed_enriched.entities]
    assert offsets == sorted(offsets)


def test_seed_topics_with_real_sentence_evidence(
    seed_enriched: Article, seed_article: Article, enricher: Enricher
) -> None:
    topics = {t.topic: t for t in seed_enriched.topics}
    assert {"weapons-restrictions", "ceasefire"} <= set(topics)
    sentences = {line.strip() for line in seed_article.body.splitlines()}
    for name in ("weapons-restrictions", "ceasefire"):
        match = topics[name]
        assert match.score >= 1.0
        assert match.evidence
        for evidence in match.evidence:
            assert "\n" not in evidence.sentence
            assert evidence.sentence in seed_article.body
            # A sentence, not a whole paragraph run into the next one or the title.
            assert any(evidence.sentence in line for line in sentences)
            tokens = enricher.nlp(evidence.sentence)
            forms = {t.lower_ for t in tokens} | {t.lemma_.lower() for t in tokens}
            for term in evidence.terms:
                assert set(term.split()) <= forms, (term, evidence.sentence)
    ceasefire = topics["ceasefire"].evidence[0]
    assert "ceasefire" in ceasefire.terms
    assert "Putin is now actively seeking a ceasefire" in ceasefire.sentence


def test_title_is_its_own_evidence_sentence(seed_enriched: Article) -> None:
    sentences = {
        e.sentence for t in seed_enriched.topics for e in t.evidence if "NATO chief" in e.sentence
    }
    assert sentences == {seed_enriched.title}


def test_versions_and_time_are_set(seed_enriched: Article, enricher: Enricher) -> None:
    assert seed_enriched.taxonomy_version == enricher.taxonomy.stamp
    assert enricher.taxonomy.stamp.startswith("1.1.0+")
    assert seed_enriched.gazetteer_version == enricher.gazetteer.stamp
    assert enricher.gazetteer.stamp.startswith(enricher.gazetteer.version + "+")
    assert seed_enriched.nlp_model == enricher.model
    assert seed_enriched.enriched_at is not None


def test_enrich_keeps_the_input_fields(seed_enriched: Article, seed_article: Article) -> None:
    fields = ("id", "url", "title", "text", "published", "fetched_at", "source", "lane")
    assert {f: getattr(seed_enriched, f) for f in fields} == {
        f: getattr(seed_article, f) for f in fields
    }
    assert seed_article.entities == []  # the input is not mutated


def test_batch_equals_one_by_one(
    enricher: Enricher, make_article: Factory, seed_article: Article
) -> None:
    articles = [
        seed_article,
        make_article(
            url="https://example.com/2",
            title="Israel and Hamas agree a ceasefire",
            text="Fighting in Gaza stopped as a truce took hold, Qatari mediators said.",
        ),
        make_article(url="https://example.com/3", title="", text=""),
        make_article(
            url="https://example.com/4",
            title="EU adopts new sanctions on Russia",
            text="The European Union froze assets of Russian banks.",
        ),
    ]
    batch = Enricher(enricher.nlp, enricher.gazetteer, enricher.taxonomy, batch_size=2)
    together = batch.enrich_batch(articles)
    alone = [enricher.enrich(a) for a in articles]
    ignore = {"enriched_at"}
    assert [a.model_dump(exclude=ignore) for a in together] == [
        a.model_dump(exclude=ignore) for a in alone
    ]
    assert together[2].entities == [] and together[2].topics == []


@pytest.mark.parametrize(
    ("text", "max_chars", "max_tokens", "kept", "cut"),
    [
        ("short text", 100, 100, "short text", False),
        ("x" * 50, 20, 100, "x" * 20, True),
        ("one, two, three four", 100, 4, "one, two,", True),  # words and punctuation count
        ("a b c d", 100, 4, "a b c d", False),
    ],
)
def test_cap_text(text: str, max_chars: int, max_tokens: int, kept: str, cut: bool) -> None:
    assert cap_text(text, max_chars, max_tokens) == (kept, cut)


def test_a_huge_article_is_tagged_up_to_its_cap_and_flagged(
    enricher: Enricher, seed_article: Article
) -> None:
    """4.5 MB of text (just under the fetch cap) costs what 5,000 tokens cost: the rest is
    not tagged, the article says so, its stored text is untouched."""
    huge = seed_article.model_copy(update={"text": seed_article.text + " filler" * 650_000})
    enriched = enricher.enrich(huge)
    assert "text-capped" in enriched.flags
    assert enriched.text == huge.text
    assert {t.topic for t in enriched.topics} >= {"weapons-restrictions"}
    assert "text-capped" not in enricher.enrich(seed_article).flags
