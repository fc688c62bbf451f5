"""The Elasticsearch side of the article: index template, mappings and the document shape.

Documents keep every Article field; ``entities`` and ``topics`` hold the canonical names as
keywords (what people type in query strings: ``entities:"Vladimir Putin"``), and the
``*_details`` fields keep counts, scores and evidence.
"""

from typing import Any

from contract import Article, Entity

KEYWORD = {"type": "keyword"}
ANALYZER = "newsmon_english"
ENGLISH_TEXT = {"type": "text", "analyzer": ANALYZER}

# Ways to define ANALYZER, best first. Clusters with the analysis-common module (every full
# Elasticsearch distribution) have the built-in ``english`` analyzer; the server-only build on
# Maven Central does not, so there it is assembled from the server's own filters, with hunspell
# stemming where the node has an en_US dictionary.
_STOP = {"type": "stop", "stopwords": "_english_"}
_HUNSPELL = {"type": "hunspell", "locale": "en_US", "dedup": True}
ANALYZER_CHOICES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # (name, analysis settings, the same as an _analyze request to test it)
    (
        "english",
        {"analyzer": {ANALYZER: {"type": "english"}}},
        {"analyzer": "english"},
    ),
    (
        "standard+stop+hunspell",
        {
            "filter": {"newsmon_stop": _STOP, "newsmon_stem": _HUNSPELL},
            "analyzer": {
                ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "newsmon_stop", "newsmon_stem"],
                }
            },
        },
        {"tokenizer": "standard", "filter": ["lowercase", _STOP, _HUNSPELL]},
    ),
    (
        "standard+stop",
        {
            "filter": {"newsmon_stop": _STOP},
            "analyzer": {
                ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "newsmon_stop"],
                }
            },
        },
        {"tokenizer": "standard", "filter": ["lowercase", _STOP]},
    ),
]

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "id": KEYWORD,
        "url": KEYWORD,
        "title": {**ENGLISH_TEXT, "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "summary": ENGLISH_TEXT,
        "text": ENGLISH_TEXT,
        "published": {"type": "date"},
        "fetched_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "enriched_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        "source": KEYWORD,
        "feed_url": KEYWORD,
        "language": KEYWORD,
        "lane": KEYWORD,
        "nlp_model": KEYWORD,
        "taxonomy_version": KEYWORD,
        "story_id": KEYWORD,
        "content_hash": KEYWORD,
        "duplicate_of": KEYWORD,
        "flags": KEYWORD,
        "published_source": KEYWORD,
        "text_source": KEYWORD,
        "canonical_url": KEYWORD,
        "author": KEYWORD,
        "site_name": KEYWORD,
        "entities": KEYWORD,
        "entity_types": KEYWORD,
        "countries": KEYWORD,
        "people": KEYWORD,
        "organizations": KEYWORD,
        "places": KEYWORD,
        "entity_details": {
            "type": "nested",
            "properties": {
                "name": KEYWORD,
                "label": KEYWORD,
                "text": KEYWORD,
                "count": {"type": "integer"},
                "first_offset": {"type": "integer"},
                "kb_id": KEYWORD,
            },
        },
        "topics": KEYWORD,
        "topic_details": {
            "type": "nested",
            "properties": {
                "topic": KEYWORD,
                "score": {"type": "float"},
                "evidence": {
                    "properties": {
                        "rule": KEYWORD,
                        "sentence": ENGLISH_TEXT,
                        "terms": KEYWORD,
                    }
                },
            },
        },
    },
}

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


def index_template(
    alias: str, analysis: dict[str, Any], shards: int = 1, replicas: int = 0
) -> dict[str, Any]:
    """The composable index template body for every versioned index behind ``alias``.

    Args:
        alias: the alias the indices are read and written through.
        analysis: index analysis settings defining ``newsmon_english`` (see ANALYZER_CHOICES).
        shards: primary shards per index.
        replicas: replicas per shard (0 on one node).
    """
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "analysis": analysis,
            },
            "mappings": MAPPINGS,
        },
        "_meta": {"managed_by": "newsmon", "alias": alias},
    }


def _is_country(entity: Entity) -> bool:
    """Countries carry their ISO 3166 alpha-2 code as kb_id (cities and people a QID)."""
    kb_id = entity.kb_id or ""
    return entity.label == "GPE" and len(kb_id) == 2 and kb_id.isupper()


def to_document(article: Article, indexed_at: str) -> dict[str, Any]:
    """The Elasticsearch document for ``article``."""
    doc = article.model_dump(mode="json", exclude={"entities", "topics"})
    entities = article.entities
    doc.update(
        indexed_at=indexed_at,
        entities=[e.name for e in entities],
        entity_types=sorted({e.label for e in entities}),
        people=[e.name for e in entities if e.label == "PERSON"],
        organizations=[e.name for e in entities if e.label == "ORG"],
        places=[e.name for e in entities if e.label in PLACE_LABELS],
        countries=[e.name for e in entities if _is_country(e)],
        entity_details=[e.model_dump(mode="json") for e in entities],
        topics=[t.topic for t in article.topics],
        topic_details=[t.model_dump(mode="json") for t in article.topics],
    )
    return doc


def from_document(source: dict[str, Any]) -> Article:
    """Rebuild the Article from a stored document."""
    fields = {k: v for k, v in source.items() if k in Article.model_fields}
    fields["entities"] = source.get("entity_details", [])
    fields["topics"] = source.get("topic_details", [])
    return Article.model_validate(fields)
