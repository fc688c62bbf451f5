"""The Elasticsearch document shape: keyword lists, details, strict mapping, round trip."""

from typing import Any

import pytest

from contract import Article
from sinks.documents import from_document, to_document
from sinks.elasticsearch.mapping import (
    ANALYZER,
    ANALYZER_CHOICES,
    MAPPINGS,
    index_template,
)

NOW = "2024-05-24T12:00:00+00:00"


def _unmapped(doc: dict[str, Any], mapping: dict[str, Any], path: str = "") -> list[str]:
    """Document keys (at any depth) that the strict mapping does not declare."""
    missing = []
    for key, value in doc.items():
        field = mapping.get(key)
        if field is None:
            missing.append(path + key)
            continue
        inner = field.get("properties")
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, dict):
                if inner is None:
                    missing.append(f"{path}{key} (object without properties)")
                else:
                    missing += _unmapped(item, inner, f"{path}{key}.")
    return missing


def test_document_has_keyword_lists_and_details(seed_enriched: Article) -> None:
    doc = to_document(seed_enriched, NOW)
    assert "Jens Stoltenberg" in doc["people"]
    assert "NATO" in doc["organizations"] and "The Economist" in doc["organizations"]
    assert "Russia" in doc["places"] and "Ukraine" in doc["places"]
    assert {"Russia", "Ukraine", "United States"} <= set(doc["countries"])
    assert "Kharkiv" not in doc["countries"] and "Kharkiv" in doc["places"]
    assert doc["entities"] == [e.name for e in seed_enriched.entities]
    assert "weapons-restrictions" in doc["topics"]
    assert len(doc["entity_details"]) == len(doc["entities"])
    assert doc["topic_details"][0]["evidence"][0]["sentence"]
    assert doc["indexed_at"] == NOW
    assert doc["id"] == seed_enriched.id
    assert "_id" not in doc  # metadata goes in the bulk action, not the source


def test_every_document_key_is_mapped(seed_enriched: Article, make_article: Any) -> None:
    assert MAPPINGS["dynamic"] == "strict"
    for article in (seed_enriched, make_article()):
        assert _unmapped(to_document(article, NOW), MAPPINGS["properties"]) == []


def test_every_article_field_is_mapped() -> None:
    assert set(Article.model_fields) <= set(MAPPINGS["properties"])


def test_document_round_trip(seed_enriched: Article, make_article: Any) -> None:
    for article in (seed_enriched, make_article(published=None, language=None)):
        assert from_document(to_document(article, NOW)) == article


@pytest.mark.parametrize(("name", "analysis", "_probe"), ANALYZER_CHOICES)
def test_index_template_patterns(name: str, analysis: dict[str, Any], _probe: Any) -> None:
    template = index_template("news-test", analysis, shards=2, replicas=1)
    assert template["index_patterns"] == ["news-test-v*"]
    assert template["template"]["mappings"] is MAPPINGS
    settings = template["template"]["settings"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == (2, 1)
    # Every analyzer the mapping names is defined by each analysis choice.
    assert ANALYZER in analysis["analyzer"], name
