"""The Elasticsearch side of the article: index template, mappings and analyzers.

The document these map is :func:`sinks.documents.to_document`: every Article field, with
``entities`` and ``topics`` as keywords (what people type in query strings:
``entities:"Vladimir Putin"``) and the ``*_details`` fields keeping counts, scores and evidence.
"""

from typing import Any

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
        "gazetteer_version": KEYWORD,
        "dated": {"type": "date"},
        "replay_alerts": {"type": "boolean"},
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
